#include <gtest/gtest.h>

#include <cmath>

#include "safetensors.hpp"
#include "weights.hpp"

using namespace moe;

TEST(Weights, SameSeedSameBytes) {
    ModelShape s;
    s.sharedExperts = 1;
    s.activation = Activation::SwiGlu;
    EXPECT_EQ(serializeWeights(initWeights(s, 42)), serializeWeights(initWeights(s, 42)));
    EXPECT_NE(serializeWeights(initWeights(s, 42)), serializeWeights(initWeights(s, 43)));
}

TEST(Weights, PyTorchDefaultDistributions) {
    ModelShape s;
    s.dim = 64;
    s.hidden = 100;
    const ModelWeights w = initWeights(s, 1);
    // Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    EXPECT_LE(w.experts[0].w1.cwiseAbs().maxCoeff(), 1.0f / 8.0f);
    EXPECT_GT(w.experts[0].w1.cwiseAbs().maxCoeff(), 0.12f);
    EXPECT_LE(w.experts[0].w2.cwiseAbs().maxCoeff(), 1.0f / 10.0f);
    EXPECT_LE(w.routerB.cwiseAbs().maxCoeff(), 1.0f / 8.0f);
    // Embedding: N(0, 1) over 256*64 samples.
    const double mean = w.embed.mean();
    const double var = (w.embed.array() - mean).square().mean();
    EXPECT_NEAR(mean, 0.0, 0.03);
    EXPECT_NEAR(var, 1.0, 0.05);
    // Shazeer et al.: W_noise starts at zero.
    EXPECT_EQ(w.noiseW.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Weights, ExpertWeightsDoNotDependOnExpertCount) {
    ModelShape a, b;
    a.experts = 4;
    b.experts = 16;
    EXPECT_EQ(initWeights(a, 7).experts[3].w1, initWeights(b, 7).experts[3].w1);
    EXPECT_EQ(initWeights(a, 7).embed, initWeights(b, 7).embed);
}
