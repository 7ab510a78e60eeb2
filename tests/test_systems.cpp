// The published systems (core/presets.cpp) and the routing rules they need, each checked
// against numbers worked out by hand or from the paper's formula.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "backends/eigen_backend.hpp"
#include "capacity.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "presets.hpp"
#include "rng.hpp"
#include "sentences.hpp"
#include "settings.hpp"
#include "test_support.hpp"
#include "traffic.hpp"

using namespace moe;
using moe::test::routeProbs;

namespace {

RouterConfig presetRouter(const char* name) {
    const Preset* p = findPreset(name);
    EXPECT_NE(p, nullptr) << name;
    return presetSettings(*p).router;
}

// A token that puts `first` first and `second` second among E experts.
std::vector<float> prefers(int E, int first, int second) {
    std::vector<float> p(E, 0.2f / (E - 2));
    p[first] = 0.5f;
    p[second] = 0.3f;
    return p;
}

// Random probability rows (normalised uniforms), T of them.
std::vector<std::vector<float>> randomProbs(int T, int E, uint64_t seed) {
    Rng rng(seed, "systems.probs");
    std::vector<std::vector<float>> out(T, std::vector<float>(E));
    for (auto& row : out) {
        float sum = 0;
        for (float& v : row) sum += v = 0.05f + rng.uniform();
        for (float& v : row) v /= sum;
    }
    return out;
}

// A preset's whole layer on its own text (or `text`), on the reference backend.
struct PresetRun {
    Settings s;
    ModelWeights w;
    LayerResult res;
};
PresetRun runPreset(const char* name, const std::string& text = "") {
    PresetRun out;
    Settings base;
    if (!text.empty()) base.text = text;
    out.s = presetSettings(*findPreset(name), base);
    out.w = buildWeights(out.s);
    EigenBackend eigen;
    runLayer(eigen, out.w, out.s.router, out.s.text, embedBytes(out.w, out.s.text), true, out.res);
    return out;
}

std::vector<int> keptExperts(const Routing& r, int t) {
    std::vector<int> e;
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
        if (r.slotKept[s]) e.push_back(r.slotExpert[s]);
    return e;
}

}  // namespace

// ---- sentences ----

TEST(Sentences, EndAtPunctuationInBothScriptsAndAtNewlines) {
    const std::string text = "你好。Hi! \"Really?\" he said. Pi is 3.14 ok\nnext…（完）";
    std::vector<std::string> got;
    for (const Sentence& s : splitSentences(text)) got.push_back(text.substr(s.start, s.end - s.start));
    const std::vector<std::string> want = {"你好。",          "Hi! ",  "\"Really?\" ", "he said. ",
                                           "Pi is 3.14 ok\n", "next…", "（完）"};
    EXPECT_EQ(got, want);
}

TEST(Sentences, CoverTheTextAndKeepTheSpaceAfterAnEnd) {
    EXPECT_TRUE(splitSentences("").empty());
    const auto one = splitSentences("no end mark");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].end, 11);
    const auto two = splitSentences("A. B.  ");
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].start, 0);
    EXPECT_EQ(two[0].end, 3);  // "A. "
    EXPECT_EQ(two[1].start, 3);
    EXPECT_EQ(two[1].end, 7);  // "B.  "
    const auto runs = splitSentences("What?!… Yes");
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].end, 10);  // 4 letters, ?, ! and the 3-byte … are one run, then the space
    const auto blank = splitSentences("end.\n\n  next");
    ASSERT_EQ(blank.size(), 2u);  // no sentence of blanks alone
    EXPECT_EQ(blank[1].start, 8);
    EXPECT_EQ(splitSentences(" \n ").size(), 1u);
}

// ---- seed 003 and seed 002 ----

TEST(Presets, Seed003TakesTheRawTopTwoScoresWithoutCapacity) {
    const RouterConfig cfg = presetRouter("seed-003");
    std::vector<std::vector<float>> probs(10, {0.5f, 0.3f, 0.1f, 0.05f, 0.03f, 0.02f});
    const Routing r = routeProbs(probs, cfg);
    EXPECT_EQ(r.capacity, -1);
    for (int t = 0; t < 10; ++t) {  // ten tokens on experts 0 and 1, none dropped
        EXPECT_EQ(r.slotExpert[2 * t], 0);
        EXPECT_EQ(r.slotExpert[2 * t + 1], 1);
        EXPECT_NEAR(r.slotWeight[2 * t], 0.5f, 1e-6);  // the score itself, not 0.5 / 0.8
        EXPECT_NEAR(r.slotWeight[2 * t + 1], 0.3f, 1e-6);
        EXPECT_TRUE(r.slotKept[2 * t] && r.slotKept[2 * t + 1]);
    }
}

TEST(Presets, Seed002ChoosesE1AndE2ForThePositiveReview) {
    // Seed 002: g = [0.7, 0.25, 0.04, 0.01] for a positive review, E1 and E2 chosen.
    const RouterConfig cfg = presetRouter("seed-002");
    const Routing r = routeProbs({{0.7f, 0.25f, 0.04f, 0.01f}}, cfg);
    ASSERT_EQ(r.slotCount(), 2);
    EXPECT_EQ(r.slotExpert[0], 0);
    EXPECT_EQ(r.slotExpert[1], 1);
    EXPECT_NEAR(r.slotWeight[0], 0.7f, 1e-6);
    EXPECT_NEAR(r.slotWeight[1], 0.25f, 1e-6);
}

TEST(Presets, Seed002RoutesEachSentenceByItsMeanEmbedding) {
    const PresetRun run = runPreset("seed-002");
    const LayerResult& res = run.res;
    // The preset's text: two reviews, 18 and 18 characters, every one 3 bytes in UTF-8.
    ASSERT_EQ(res.sentences.size(), 2u);
    EXPECT_EQ(res.sentences[0].end, 54);
    EXPECT_EQ(res.sentences[1].end, 108);
    EXPECT_EQ(res.metrics.tokens, 2);  // capacity and metrics count sentences
    const ModelWeights& w = run.w;
    const Mat x = embedBytes(w, run.s.text);
    for (int s = 0; s < 2; ++s) {
        const Sentence& sen = res.sentences[s];
        const Vec mean = x.middleRows(sen.start, sen.end - sen.start).colwise().mean();
        const Vec logits = w.routerW * mean + w.routerB;
        for (int e = 0; e < 4; ++e) EXPECT_NEAR(res.unitRouting.logits(s, e), logits(e), 1e-5);
        for (int t = sen.start; t < sen.end; ++t)  // every byte follows its sentence
            EXPECT_EQ(keptExperts(res.routing, t), keptExperts(res.unitRouting, s)) << "byte " << t;
    }
    // A byte's output is its sentence's weights times the experts applied to the byte.
    Mat one;
    EigenBackend eigen;
    eigen.experts(w, x, res.routing, one);
    EXPECT_LT((one - res.outputs).cwiseAbs().maxCoeff(), 1e-5);
}

// ---- Switch, GShard, GLaM, Mixtral ----

TEST(Presets, SwitchSendsEachTokenToOneExpertAndDropsPastCapacity) {
    const RouterConfig cfg = presetRouter("switch");
    // 8 tokens, 8 experts, all preferring expert 0: capacity ceil(1·8/8·1.25) = 2.
    std::vector<std::vector<float>> probs(8, prefers(8, 0, 1));
    const Routing r = routeProbs(probs, cfg);
    EXPECT_EQ(r.capacity, 2);
    EXPECT_EQ(r.slotCount(), 8);
    for (int t = 0; t < 8; ++t) {
        EXPECT_EQ(bool(r.slotKept[t]), t < 2) << t;  // the first two tokens keep their slot
        EXPECT_NEAR(r.slotWeight[t], 0.5f, 1e-6);    // w = s, not renormalised to 1
    }
}

TEST(Presets, GShardKeepsTheSecondExpertAtTwiceItsWeightOnAverage) {
    RouterConfig cfg = presetRouter("gshard");
    cfg.capacityFactor = 0;  // capacity apart, to see the rule alone
    const int T = 10000, E = 8;
    const auto probs = randomProbs(T, E, 5);
    const Routing r = routeProbs(probs, cfg);
    double expected = 0;
    int kept = 0, requested = 0;
    for (int t = 0; t < T; ++t) {
        std::vector<float> p = probs[t];
        std::sort(p.rbegin(), p.rend());
        const double w1 = p[0] / (p[0] + p[1]), w2 = p[1] / (p[0] + p[1]);
        expected += std::min(1.0, 2 * w2) / T;
        EXPECT_FALSE(r.skipped(2 * t));  // the first choice always goes
        EXPECT_NEAR(r.slotWeight[2 * t], w1, 1e-5) << "the first choice keeps its weight";
        kept += !r.skipped(2 * t + 1);
    }
    for (int n : r.requested) requested += n;
    // Binomial spread: sd ≤ 0.5/√T = 0.005; 0.02 is four of them.
    EXPECT_NEAR(double(kept) / T, expected, 0.02);
    EXPECT_GT(expected, 0.5);        // random uniforms: w2 is mostly well above 1/4
    EXPECT_EQ(requested, T + kept);  // a skipped choice is not requested ...
    EXPECT_EQ(computeMetrics(r, ModelShape{.experts = E}, 2).dropped, 0);  // ... nor dropped
}

TEST(Presets, GShardCapacityIsTwiceTheFairSharePerGroup) {
    const Routing r = routeProbs(randomProbs(10, 8, 1), presetRouter("gshard"));
    // 4 groups of 3, 2, 3, 2 tokens: ceil(2·3/8·2) = 2 and ceil(2·2/8·2) = 1 slots each.
    EXPECT_EQ(r.capacity, 2 + 1 + 2 + 1);
}

TEST(Presets, GLaMHasSixtyFourExpertsTopTwo) {
    const PresetRun run = runPreset("glam", std::string(64, 'a'));
    EXPECT_EQ(run.s.shape.experts, 64);
    EXPECT_EQ(run.res.routing.capacity, 4);  // ceil(2·64/64·2)
    // 64 identical tokens want the same two experts: each takes 4, 120 assignments drop.
    EXPECT_EQ(run.res.metrics.dropped, 120);
}

TEST(Presets, MixtralRenormalisesTheTopTwoAndDropsNothing) {
    const RouterConfig cfg = presetRouter("mixtral");
    std::vector<std::vector<float>> probs(40, prefers(8, 3, 5));
    const Routing r = routeProbs(probs, cfg);
    EXPECT_EQ(r.capacity, -1);
    EXPECT_NEAR(r.slotWeight[0], 0.5 / 0.8, 1e-6);
    EXPECT_NEAR(r.slotWeight[1], 0.3 / 0.8, 1e-6);
    EXPECT_EQ(r.kept[3], 40);
    EXPECT_EQ(r.kept[5], 40);
    EXPECT_EQ(presetSettings(*findPreset("mixtral")).shape.activation, Activation::SwiGlu);
}

// ---- DeepSeek ----

TEST(Presets, DeepSeekV2ReachesAtMostThreeGpus) {
    const PresetRun run = runPreset("deepseek-v2", "DeepSeek-V2 把每个词元限制在 3 台设备上。");
    const Routing& r = run.res.routing;
    EXPECT_EQ(r.k, 6);
    EXPECT_EQ(run.s.shape.sharedExperts, 2);
    int most = 0;
    for (int t = 0; t < r.tokens; ++t) {
        std::set<int> gpus;  // 32 experts on 8 GPUs, contiguous: expert e on GPU e / 4
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) gpus.insert(r.slotChoice[s] / 4);
        most = std::max(most, int(gpus.size()));
        EXPECT_LE(gpus.size(), 3u) << "token " << t;
    }
    EXPECT_EQ(most, 3);  // the limit is reached, not just respected
}

TEST(Presets, DeepSeekV2BalanceLossesAreOneWhenBalanced) {
    // Four tokens, four experts on two GPUs (0,1 | 2,3). Each token's scores are a
    // rotation of (0.4, 0.3, 0.2, 0.1), so every Pₑ = 1/4 and top-2 loads are all 2.
    std::vector<std::vector<float>> probs;
    for (int t = 0; t < 4; ++t) {
        std::vector<float> p(4);
        for (int e = 0; e < 4; ++e) p[(t + e) % 4] = 0.4f - 0.1f * e;
        probs.push_back(p);
    }
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0;
    const Routing r = routeProbs(probs, cfg);
    ClusterConfig c;
    c.gpus = 2;
    const Traffic tr = simulateTraffic(r, c, 2);
    // Device: f′ = (1, 1), P′ = (1/2, 1/2): 1.
    EXPECT_NEAR(tr.deviceBalanceLoss, 1.0, 1e-6);
    // Communication: tokens reach GPUs {0}, {0,1}, {1}, {1,0}: 3 each, f″ = 2/(2·4)·3 = 3/4,
    // so 3/4·1/2 + 3/4·1/2 = 3/4.
    EXPECT_NEAR(tr.commBalanceLoss, 0.75, 1e-6);
    // All on GPU 0: tokens prefer experts 0 and 1 with scores (0.4, 0.3, 0.2, 0.1).
    const Routing skew = routeProbs(std::vector<std::vector<float>>(4, {0.4f, 0.3f, 0.2f, 0.1f}), cfg);
    const Traffic ts = simulateTraffic(skew, c, 2);
    // f = (2, 2, 0, 0): f′ = (2, 0), P′ = (0.7, 0.3): 1.4. f″ = (1/4·4, 0) = (1, 0): 0.7.
    EXPECT_NEAR(ts.deviceBalanceLoss, 1.4, 1e-6);
    EXPECT_NEAR(ts.commBalanceLoss, 0.7, 1e-6);
}

TEST(Presets, DeepSeekV3UsesRenormalisedSigmoidsOnAtMostFourNodes) {
    const PresetRun run = runPreset("deepseek-v3");
    const Routing& r = run.res.routing;
    EXPECT_EQ(r.capacity, -1);
    for (int t = 0; t < r.tokens; ++t) {
        std::set<int> nodes;  // 64 experts on 64 GPUs, 8 a node: expert e in node e / 8
        double sum = 0, weights = 0;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            nodes.insert(r.slotExpert[s] / 8);
            sum += 1 / (1 + std::exp(-double(r.logits(t, r.slotExpert[s]))));
        }
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            const double sig = 1 / (1 + std::exp(-double(r.logits(t, r.slotExpert[s]))));
            EXPECT_NEAR(r.slotWeight[s], sig / sum, 1e-5);
            weights += r.slotWeight[s];
        }
        EXPECT_LE(nodes.size(), 4u);
        EXPECT_NEAR(weights, 1.0, 1e-5);
    }
}

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
