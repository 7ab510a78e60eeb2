// The published systems' capacity and traffic rules (DeepSpeed-MoE, Megatron, Tutel,
// expert choice, GShard's groups), each checked against numbers worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "backends/eigen_backend.hpp"
#include "capacity.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "preset_support.hpp"
#include "presets.hpp"
#include "sentences.hpp"
#include "settings.hpp"
#include "test_support.hpp"
#include "traffic.hpp"

using namespace moe;
using namespace moe::test;

// ---- DeepSpeed-MoE, Megatron, Tutel, expert choice ----

TEST(Presets, DeepSpeedMoEDropsUniformlyOverPositions) {
    const RouterConfig cfg = presetRouter("deepspeed-moe");
    // 1000 tokens all want expert 0 of 8: capacity ceil(1000/8) = 125.
    const std::vector<std::vector<float>> probs(1000, prefers(8, 0, 1));
    const Routing r = routeProbs(probs, cfg);
    ASSERT_EQ(r.capacity, 125);
    EXPECT_EQ(r.kept[0], 125);
    int quarter[4] = {0, 0, 0, 0};
    double meanPos = 0;
    for (int t = 0; t < 1000; ++t)
        if (r.slotKept[t]) {
            ++quarter[t / 250];
            meanPos += t / 125.0;
        }
    // Uniform: 31.25 a quarter (sd ≈ 4.8) and a mean position of 499.5 (sd ≈ 24).
    for (int q : quarter) EXPECT_GT(q, 15);
    EXPECT_NEAR(meanPos, 499.5, 100);
    // Position priority would keep tokens 0..124 and nothing after.
    RouterConfig byPosition = cfg;
    byPosition.dropPriority = DropPriority::Position;
    EXPECT_FALSE(routeProbs(probs, byPosition).slotKept[125]);
    // Another seed, another selection.
    RouterConfig other = cfg;
    other.noiseSeed = cfg.noiseSeed + 1;
    EXPECT_NE(routeProbs(probs, other).slotKept, r.slotKept);
}

TEST(Presets, DeepSpeedMoEHasAMinimumCapacityOfFour) {
    const Routing r = routeProbs(std::vector<std::vector<float>>(8, prefers(8, 0, 1)), presetRouter("deepspeed-moe"));
    EXPECT_EQ(r.capacity, 4);  // ceil(8/8·1) = 1, raised to 4
    EXPECT_EQ(r.kept[0], 4);
}

TEST(Presets, MegatronCountsThePaddingInFlopsAndTraffic) {
    const RouterConfig cfg = presetRouter("megatron");
    // 6 tokens, 8 experts, top-2: capacity ceil(2·6/8·1) = 2, so 8·2 = 16 slots are
    // computed for 12 assignments: 16/6 experts a token instead of 2.
    const Routing r = routeProbs(randomProbs(6, 8, 3), cfg);
    ASSERT_EQ(r.capacity, 2);
    EXPECT_TRUE(r.padded);
    const ModelShape shape{.experts = 8, .dim = 10, .hidden = 20};
    const double expert = 2 * 2.0 * 10 * 20, routerFlops = 2.0 * 10 * 8;
    EXPECT_NEAR(computeMetrics(r, shape, 2).flopsPerTokenMoe, routerFlops + 16.0 / 6 * expert, 1e-6);
    // Two GPUs, four experts each: every GPU computes 4·2 = 8 slots and sends every
    // expert ceil(2/2) = 1 slot: 4 vectors to each GPU, the padding included.
    ClusterConfig c;
    c.gpus = 2;
    c.simHidden = 100;
    c.dtype = SimDtype::Fp32;
    const Traffic tr = simulateTraffic(r, c);
    EXPECT_EQ(tr.perGpu[0].tokensComputed, 8);
    EXPECT_EQ(tr.perGpu[1].tokensComputed, 8);
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) EXPECT_EQ(tr.dispatchBytes[a][b], 4 * 400) << a << "→" << b;
}

TEST(Presets, TutelCapacityIsTheLargestLoadUpToTheBound) {
    const RouterConfig cfg = presetRouter("tutel");  // 16 experts, top-2, factor -2
    const int T = 16, E = 16;                        // bound ceil(2·16/16·2) = 4
    std::vector<std::vector<float>> spread;
    for (int t = 0; t < T; ++t) spread.push_back(prefers(E, t, (t + 1) % E));
    EXPECT_EQ(routeProbs(spread, cfg).capacity, 2);  // every expert asked twice
    auto three = spread;
    three[5] = prefers(E, 0, 1);  // experts 0 and 1 asked three times
    const Routing r3 = routeProbs(three, cfg);
    EXPECT_EQ(r3.capacity, 3);
    EXPECT_EQ(computeMetrics(r3, ModelShape{.experts = E}, 2).dropped, 0);
    const Routing all = routeProbs(std::vector<std::vector<float>>(T, prefers(E, 0, 1)), cfg);
    EXPECT_EQ(all.capacity, 4);  // 16 asked, the bound holds
    EXPECT_EQ(all.kept[0], 4);
}

TEST(Presets, TutelHierarchicalAllToAllSendsFewerMessages) {
    // 4 GPUs in 2 nodes; token t lives on GPU t and uses all four experts (expert e on GPU e).
    Routing r;
    r.tokens = 4;
    r.experts = 4;
    r.k = 4;
    for (int t = 0; t <= 4; ++t) r.slotBegin.push_back(4 * t);
    for (int t = 0; t < 4; ++t)
        for (int e = 0; e < 4; ++e) r.slotExpert.push_back(e);
    r.slotChoice = r.slotExpert;
    r.slotWeight.assign(16, 0.25f);
    r.slotKept.assign(16, 1);
    ClusterConfig c;
    c.gpus = 4;
    c.gpusPerNode = 2;
    c.simHidden = 1000;
    c.dtype = SimDtype::Fp32;  // 4000-byte vectors
    c.intraBwGBps = 100;
    c.interBwGBps = 10;
    c.intraLatencyUs = 2;
    c.interLatencyUs = 5;
    const Traffic tr = simulateTraffic(r, c);
    // Flat: every GPU sends 3 messages a phase, one inside its node, two out: 24 in all.
    EXPECT_EQ(tr.flat.messages, 24);
    EXPECT_EQ(tr.flat.intraNodeBytes, 2 * 4 * 4000);
    EXPECT_EQ(tr.flat.interNodeBytes, 2 * 8 * 4000);
    // A GPU's slowest link: 2 inter-node messages, 2·5 µs + 8000 B / 10 GB/s = 10.8 µs.
    EXPECT_NEAR(tr.flat.dispatchUs, 10.8, 1e-9);
    // 2D: one message to the node peer (two vectors), then one to the same rank in the
    // other node (two vectors): 2 + 2 messages a phase for each of 4 GPUs = 16 in all.
    EXPECT_EQ(tr.hierarchical.messages, 16);
    EXPECT_EQ(tr.hierarchical.intraNodeBytes, 2 * 8 * 4000);  // twice flat's
    EXPECT_EQ(tr.hierarchical.interNodeBytes, 2 * 8 * 4000);  // the same
    // (2 + 8000/100e3) + (5 + 8000/10e3) = 2.08 + 5.8 µs.
    EXPECT_NEAR(tr.hierarchical.dispatchUs, 7.88, 1e-9);
    c.allToAll = AllToAll::Hierarchical;
    EXPECT_NEAR(simulateTraffic(r, c).dispatchTimeUs, 7.88, 1e-9);
}

TEST(Presets, ExpertChoiceFillsEveryExpertToCapacity) {
    const RouterConfig cfg = presetRouter("expert-choice");
    const Routing r = routeProbs(randomProbs(8, 8, 2), cfg);
    EXPECT_EQ(r.capacity, 4);  // ceil(2·8/8·2)
    for (int e = 0; e < 8; ++e) EXPECT_EQ(r.kept[e], 4);
    EXPECT_EQ(r.slotCount(), 32);
}

TEST(Presets, EveryPresetRoutesAndNamesItsPaper) {
    for (const Preset& p : presets()) {
        EXPECT_NE(std::string(p.paper), "") << p.name;
        EXPECT_NE(std::string(p.scaled), "") << p.name;
        EXPECT_FALSE(presetFlags(p).empty()) << p.name;
        const PresetRun run = runPreset(p.name);
        EXPECT_GT(run.res.routing.tokens, 0) << p.name;
        EXPECT_TRUE(run.res.outputs.allFinite()) << p.name;
    }
}

TEST(Presets, GptFourIsNotPublished) {
    for (const PublishedModel& m : publishedModels())
        if (std::string(m.name) == "GPT-4") {
            EXPECT_TRUE(std::isnan(m.totalParamsB));
            EXPECT_TRUE(std::isnan(m.activeParamsB));
            EXPECT_EQ(m.experts, 0);
        } else if (std::string(m.name) == "GLaM") {
            EXPECT_EQ(m.totalParamsB, 1200);
            EXPECT_EQ(m.activeParamsB, 97);
        }
}

TEST(Presets, GShardCapacityIsPerGroupOfTokens) {
    // 8 tokens, 2 experts, top-1, C = 1: tokens 0-5 want E0, tokens 6-7 want E1.
    std::vector<std::vector<float>> probs(8, {0.9f, 0.1f});
    probs[6] = probs[7] = {0.1f, 0.9f};
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 1;
    // One group: capacity ceil(1·8/2·1) = 4, E0 keeps tokens 0-3 and drops 4 and 5.
    Routing r = routeProbs(probs, cfg);
    EXPECT_EQ(r.capacity, 4);
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{1, 1, 1, 1, 0, 0, 1, 1}));
    // Two groups of 4: each has capacity ceil(1·4/2·1) = 2 per expert. Group 0 (tokens
    // 0-3) overflows E0 at tokens 2 and 3 while group 1 fits: the drops move, although
    // E0's 4 kept equal the global capacity.
    cfg.capacityGroups = 2;
    r = routeProbs(probs, cfg);
    EXPECT_EQ(r.capacity, 4);  // 2 + 2 slots per expert in all
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{1, 1, 0, 0, 1, 1, 1, 1}));
    EXPECT_EQ(r.kept, (std::vector<int>{4, 2}));
    EXPECT_EQ(r.overflow, (std::vector<int>{2, 0}));
    // Rerouted, tokens 2 and 3 find room at E1 in their own group.
    cfg.overflow = Overflow::Reroute;
    r = routeProbs(probs, cfg);
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 0, 1, 1, 0, 0, 1, 1}));
    EXPECT_EQ(r.kept, (std::vector<int>{4, 4}));
}

TEST(Presets, CapacityGroupsSplitTokensByPosition) {
    // T = 10, G = 4: group of t is floor(4t/10), so the groups are {0,1,2} {3,4} {5,6,7} {8,9}.
    EXPECT_EQ(capacityGroupOf(2, 10, 4), 0);
    EXPECT_EQ(capacityGroupOf(3, 10, 4), 1);
    EXPECT_EQ(capacityGroupOf(5, 10, 4), 2);
    EXPECT_EQ(capacityGroupOf(9, 10, 4), 3);
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 1;
    cfg.capacityGroups = 4;
    // ceil(2·n/2·1) = n for groups of 3, 2, 3, 2 tokens; 10 slots per expert in all.
    EXPECT_EQ(groupCapacities(cfg, 10, 2), (std::vector<int>{3, 2, 3, 2}));
    EXPECT_EQ(layerCapacity(cfg, 10, 2), 10);
    cfg.capacityFactor = 0;  // dropless stays dropless
    EXPECT_EQ(layerCapacity(cfg, 10, 2), -1);
}

TEST(Presets, KeepTheTextAndTheDevice) {
    Settings base;
    base.text = "kept";
    base.backend = BackendKind::Auto;
    base.device = "pocl";
    const Settings s = presetSettings(*findPreset("switch"), base);
    EXPECT_EQ(s.text, "kept");
    EXPECT_EQ(s.backend, BackendKind::Auto);
    EXPECT_EQ(s.device, "pocl");
    EXPECT_EQ(s.router.k, 1);
}
