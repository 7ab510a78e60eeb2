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
#include "preset_support.hpp"
#include "presets.hpp"
#include "sentences.hpp"
#include "settings.hpp"
#include "test_support.hpp"
#include "traffic.hpp"

using namespace moe;
using namespace moe::test;

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
