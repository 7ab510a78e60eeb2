#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {
ModelShape shape4() {
    ModelShape s;
    s.experts = 4;
    s.dim = 2;
    s.hidden = 3;
    return s;
}
}  // namespace

TEST(Metrics, AuxLossIsOneAtPerfectBalance) {
    // Token t scores 0.7 on expert t: f_i = 1/4, P_i = (0.7 + 3*0.1)/4 = 1/4, aux = 4 * 4/16 = 1.
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0;
    std::vector<std::vector<float>> p(4, std::vector<float>(4, 0.1f));
    for (int t = 0; t < 4; ++t) p[t][t] = 0.7f;
    const Routing r = test::routeProbs(p, cfg);
    const Metrics m = computeMetrics(r, shape4(), 1);
    EXPECT_NEAR(m.auxLoss, 1.0, 1e-6);
    EXPECT_NEAR(m.cv, 0.0, 1e-12);
    EXPECT_NEAR(m.maxOverMean, 1.0, 1e-12);
}

TEST(Metrics, AuxLossIsEWhenOneExpertTakesAll) {
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0;
    cfg.temperature = 0;  // scores exactly one-hot
    RouterLogits in;
    in.logits = Mat::Zero(5, 4);
    in.logits.col(2).setConstant(3.0f);
    const Routing r = decideRouting(in, cfg, Vec::Zero(4));
    const Metrics m = computeMetrics(r, shape4(), 1);
    EXPECT_NEAR(m.auxLoss, 4.0, 1e-9);
    // requested [0,0,5,0]: mean 1.25, std sqrt((3*1.25^2 + 3.75^2)/4) = 2.165, cv = sqrt(3)
    EXPECT_NEAR(m.cv, std::sqrt(3.0), 1e-9);
    EXPECT_NEAR(m.maxOverMean, 4.0, 1e-9);
    EXPECT_NEAR(m.entropy, 0.0, 1e-12);
}

TEST(Metrics, KeptLoadCvMovesWithTheCapacityFactorRequestedCvDoesNot) {
    // 4 tokens, 2 experts, top-1: three prefer E0, one E1, so requested = [3, 1]: mean 2,
    // std 1, cv 0.5 at any capacity factor.
    RouterConfig cfg;
    cfg.k = 1;
    const std::vector<std::vector<float>> p = {{0.9f, 0.1f}, {0.8f, 0.2f}, {0.7f, 0.3f}, {0.4f, 0.6f}};
    ModelShape s = shape4();
    s.experts = 2;
    // Factor 1: capacity ceil(1·4/2·1) = 2, kept = [2, 1]: mean 1.5, std 0.5, cv 1/3.
    cfg.capacityFactor = 1;
    Routing r = test::routeProbs(p, cfg);
    ASSERT_EQ(r.kept, (std::vector<int>{2, 1}));
    Metrics m = computeMetrics(r, s, 1);
    EXPECT_NEAR(m.cv, 0.5, 1e-12);
    EXPECT_NEAR(m.cvKept, 1.0 / 3.0, 1e-12);
    // Factor 0.5: capacity ceil(1) = 1, kept = [1, 1]: cv 0; the requested cv stays 0.5.
    cfg.capacityFactor = 0.5f;
    r = test::routeProbs(p, cfg);
    ASSERT_EQ(r.kept, (std::vector<int>{1, 1}));
    m = computeMetrics(r, s, 1);
    EXPECT_NEAR(m.cv, 0.5, 1e-12);
    EXPECT_NEAR(m.cvKept, 0.0, 1e-12);
    // Dropless: kept = requested, the same cv.
    cfg.capacityFactor = 0;
    m = computeMetrics(test::routeProbs(p, cfg), s, 1);
    EXPECT_NEAR(m.cvKept, 0.5, 1e-12);
}

TEST(Metrics, ZLossOnKnownLogits) {
    // lse([0,0]) = ln 2; lse([ln 3, 0]) = ln 4 = 2 ln 2; mean of squares = 2.5 (ln 2)^2.
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0;
    RouterLogits in;
    in.logits = (Mat(2, 2) << 0.0f, 0.0f, std::log(3.0f), 0.0f).finished();
    const Routing r = decideRouting(in, cfg, Vec::Zero(2));
    ModelShape s = shape4();
    s.experts = 2;
    const Metrics m = computeMetrics(r, s, 1);
    EXPECT_NEAR(m.zLoss, 2.5 * std::log(2.0) * std::log(2.0), 1e-6);
    // Entropies: ln 2 and -(3/4 ln 3/4 + 1/4 ln 1/4).
    const double h2 = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
    EXPECT_NEAR(m.entropy, (std::log(2.0) + h2) / 2, 1e-6);
    // z-loss ignores the temperature: it is on the raw logits.
    cfg.temperature = 0.25f;
    EXPECT_NEAR(computeMetrics(decideRouting(in, cfg, Vec::Zero(2)), s, 1).zLoss, m.zLoss, 1e-9);
}

TEST(Metrics, DropRateCountsLostAssignments) {
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0.5;
    const Routing r = test::routeProbs({{0.6f, 0.4f}, {0.3f, 0.7f}}, cfg);
    ModelShape s = shape4();
    s.experts = 2;
    const Metrics m = computeMetrics(r, s, 2);
    EXPECT_EQ(m.assignments, 4);
    EXPECT_EQ(m.dropped, 2);
    EXPECT_DOUBLE_EQ(m.dropRate, 0.5);
}

TEST(Metrics, ParametersAndFlops) {
    // D=2, H=3: expert = 2*3+3 + 3*2+2 = 17; router = 4*2+4 = 12.
    ModelShape s = shape4();
    s.sharedExperts = 1;
    EXPECT_EQ(layerParams(s, 4), 12 + 5 * 17);
    EXPECT_EQ(layerParams(s, 2), 12 + 3 * 17);
    // FLOPs: router 2*2*4 = 16; expert 2 matmuls * 2*2*3 = 24.
    EXPECT_DOUBLE_EQ(layerFlopsPerToken(s, 2), 16 + 3 * 24);
    s.activation = Activation::SwiGlu;
    EXPECT_DOUBLE_EQ(layerFlopsPerToken(s, 1), 16 + 2 * 36);
}

TEST(Metrics, EmptyInputIsAllZeroNotNaN) {
    RouterConfig cfg;
    RouterLogits in;
    in.logits.resize(0, 4);
    const Routing r = decideRouting(in, cfg, Vec::Zero(4));
    const Metrics m = computeMetrics(r, shape4(), 2);
    EXPECT_EQ(m.tokens, 0);
    EXPECT_EQ(m.auxLoss, 0.0);
    EXPECT_EQ(m.cv, 0.0);
    EXPECT_EQ(m.dropRate, 0.0);
}

// Sigmoid scores need not sum to 1: with scores {1, 1, 2^-149} (the smallest float) the
// third share, 2^-150, is below float's range. It must add nothing, not -inf: the
// entropy is that of {1/2, 1/2}, ln 2.
TEST(Metrics, EntropyStaysFiniteWhenAShareIsBelowFloatRange) {
    Routing r;
    r.tokens = 1;
    r.experts = 3;
    r.k = 1;
    r.logits = Mat::Zero(1, 3);
    r.scores = (Mat(1, 3) << 1.0f, 1.0f, std::numeric_limits<float>::denorm_min()).finished();
    const ScoreSums s = scoreSums(r);
    EXPECT_NEAR(s.entropy, std::log(2.0), 1e-7);
}
