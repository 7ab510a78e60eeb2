#include <gtest/gtest.h>

#include <cmath>

#include "settings_schema.hpp"
#include "test_support.hpp"

using namespace moe;
using moe::test::routeProbs;

TEST(Router, SeedExampleTop2Renormalised) {
    // Seed 002: g(x) = [0.7, 0.25, 0.04, 0.01], k = 2.
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0;
    const Routing r = routeProbs({{0.7f, 0.25f, 0.04f, 0.01f}}, cfg);
    ASSERT_EQ(r.slotCount(), 2);
    EXPECT_EQ(r.slotExpert[0], 0);
    EXPECT_EQ(r.slotExpert[1], 1);
    EXPECT_NEAR(r.slotWeight[0], 0.7 / 0.95, 1e-6);
    EXPECT_NEAR(r.slotWeight[1], 0.25 / 0.95, 1e-6);
    EXPECT_NEAR(r.scores.row(0).sum(), 1.0, 1e-6);
}

TEST(Router, SeedExampleTop2Raw) {
    RouterConfig cfg;
    cfg.k = 2;
    cfg.renormalize = false;
    cfg.capacityFactor = 0;
    const Routing r = routeProbs({{0.7f, 0.25f, 0.04f, 0.01f}, {0.1f, 0.2f, 0.6f, 0.1f}}, cfg);
    EXPECT_NEAR(r.slotWeight[0], 0.7, 1e-6);
    EXPECT_NEAR(r.slotWeight[1], 0.25, 1e-6);
    // Second sentence of seed 002: E3 and E2 (indices 2, 1), y = 0.6*O3 + 0.2*O2.
    EXPECT_EQ(r.slotExpert[2], 2);
    EXPECT_EQ(r.slotExpert[3], 1);
    EXPECT_NEAR(r.slotWeight[2], 0.6, 1e-6);
    EXPECT_NEAR(r.slotWeight[3], 0.2, 1e-6);
}

TEST(Router, TiesGoToLowerExpertIndex) {
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0;
    const Routing r = routeProbs({{0.2f, 0.3f, 0.2f, 0.3f}}, cfg);
    EXPECT_EQ(r.slotExpert[0], 1);
    EXPECT_EQ(r.slotExpert[1], 3);
    const Mat keys = (Mat(1, 4) << 0.5f, 0.5f, 0.5f, 0.5f).finished();
    EXPECT_EQ(topK(keys, 3), (std::vector<int>{0, 1, 2}));
}

TEST(Router, TemperatureScalesLogitsBeforeSoftmax) {
    Mat z(1, 2);
    z << 1.0f, 0.0f;
    Mat s;
    scoreFunction(z, ScoreFn::Softmax, 2.0f, s);
    // softmax([0.5, 0]) = [1/(1+e^-0.5), ...]
    EXPECT_NEAR(s(0, 0), 1.0 / (1.0 + std::exp(-0.5)), 1e-6);
    // Lower temperature makes the distribution sharper, not flatter (seed 004 says otherwise).
    Mat cold;
    scoreFunction(z, ScoreFn::Softmax, 0.5f, cold);
    EXPECT_NEAR(cold(0, 0), 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
    EXPECT_GT(cold(0, 0), s(0, 0));
}

TEST(Router, ZeroTemperatureIsHardArgmaxWithoutNaN) {
    RouterConfig cfg;
    cfg.k = 2;
    cfg.temperature = 0;
    cfg.capacityFactor = 0;
    RouterLogits in;
    in.logits = (Mat(2, 3) << 1.0f, 3.0f, 2.0f, 5.0f, 5.0f, -1.0f).finished();
    const Routing r = decideRouting(in, cfg, Vec::Zero(3));
    EXPECT_EQ(r.scores(0, 1), 1.0f);
    EXPECT_EQ(r.scores(0, 0), 0.0f);
    EXPECT_EQ(r.slotExpert[0], 1);
    EXPECT_EQ(r.slotExpert[1], 2);  // second choice still follows the logits
    EXPECT_EQ(r.slotWeight[0], 1.0f);
    EXPECT_EQ(r.slotWeight[1], 0.0f);
    EXPECT_EQ(r.scores(1, 0), 1.0f);  // tie between 5 and 5: lower index
    EXPECT_TRUE(r.scores.allFinite());
}

TEST(Router, SigmoidScores) {
    Mat z(1, 3);
    z << 0.0f, 2.0f, -2.0f;
    Mat s;
    scoreFunction(z, ScoreFn::Sigmoid, 1.0f, s);
    EXPECT_NEAR(s(0, 0), 0.5, 1e-7);
    EXPECT_NEAR(s(0, 1), 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
    EXPECT_NEAR(s(0, 2), 1.0 / (1.0 + std::exp(2.0)), 1e-6);
    scoreFunction(z, ScoreFn::Sigmoid, 0.0f, s);
    EXPECT_EQ(s(0, 0), 0.5f);
    EXPECT_EQ(s(0, 1), 1.0f);
    EXPECT_EQ(s(0, 2), 0.0f);
}

TEST(Router, ExtremeLogitsStayFinite) {
    Mat z(1, 3);
    z << 1e30f, -1e30f, 0.0f;
    Mat s;
    scoreFunction(z, ScoreFn::Softmax, 1e-6f, s);
    EXPECT_TRUE(s.allFinite());
    EXPECT_NEAR(s(0, 0), 1.0, 1e-6);
}

TEST(Router, ExpertBiasShiftsSelectionNotWeights) {
    // DeepSeek-V3: bias decides who is chosen; the weight is still the plain score.
    RouterConfig cfg;
    cfg.k = 1;
    cfg.renormalize = false;
    cfg.capacityFactor = 0;
    RouterLogits in;
    in.logits = test::logitsFromProbs({{0.6f, 0.4f}});
    Vec bias(2);
    bias << 0.0f, 0.3f;
    const Routing r = decideRouting(in, cfg, bias);
    EXPECT_EQ(r.slotExpert[0], 1);
    EXPECT_NEAR(r.slotWeight[0], 0.4, 1e-6);
}

TEST(Router, GroupLimitedRoutingKeepsBestGroups) {
    // 4 experts in 2 groups {0,1} {2,3}; keep 1 group. Group max: 0.35 vs 0.3 -> group 0,
    // so k=2 picks 0 and 1 even though expert 2 (0.3) beats expert 1 (0.05).
    RouterConfig cfg;
    cfg.k = 2;
    cfg.groups = 2;
    cfg.topkGroups = 1;
    cfg.capacityFactor = 0;
    Routing r = routeProbs({{0.35f, 0.05f, 0.3f, 0.3f}}, cfg);
    EXPECT_EQ(r.slotExpert[0], 0);
    EXPECT_EQ(r.slotExpert[1], 1);
    // V3 scores a group by its two best: 0.40 vs 0.60 -> group 1.
    cfg.groupScore = GroupScore::Top2Sum;
    r = routeProbs({{0.35f, 0.05f, 0.3f, 0.3f}}, cfg);
    EXPECT_EQ(r.slotExpert[0], 2);
    EXPECT_EQ(r.slotExpert[1], 3);
}

TEST(Router, NoisyTopKIsSeededAndScaledBySoftplus) {
    Mat logits = Mat::Zero(3, 4), noise = Mat::Constant(3, 4, -30.0f);
    Mat a = logits;
    addRoutingNoise(a, noise, 7);
    EXPECT_LT(a.cwiseAbs().maxCoeff(), 1e-10);  // softplus(-30) ~ 1e-13: almost no noise
    Mat b = logits, c = logits, d = logits;
    noise.setZero();
    addRoutingNoise(b, noise, 7);
    addRoutingNoise(c, noise, 7);
    addRoutingNoise(d, noise, 8);
    EXPECT_EQ(b, c);
    EXPECT_NE(b, d);
    EXPECT_GT(b.cwiseAbs().maxCoeff(), 0.0f);
    EXPECT_NEAR(softplus(0.0f), std::log(2.0f), 1e-7);
}

TEST(Router, JitterStaysInItsBand) {
    Mat x = Mat::Constant(50, 8, 2.0f);
    applyJitter(x, 0.1f, 3);
    EXPECT_GE(x.minCoeff(), 2.0f * 0.9f);
    EXPECT_LE(x.maxCoeff(), 2.0f * 1.1f);
    EXPECT_GT(x.maxCoeff() - x.minCoeff(), 0.1f);
}

TEST(Router, ValidateNamesTheFlag) {
    RouterConfig cfg;
    cfg.k = 9;
    EXPECT_INPUT_ERROR(validate(cfg, 8), "--k");
    cfg.k = 2;
    cfg.groups = 3;
    EXPECT_INPUT_ERROR(validate(cfg, 8), "--groups");
    cfg.groups = 4;
    cfg.topkGroups = 1;  // one group of 2 experts: k = 2 still fits
    EXPECT_INPUT_ERROR(validate(cfg, 8), "(no error)");
    cfg.k = 3;
    EXPECT_INPUT_ERROR(validate(cfg, 8), "--topk-groups");
}
