#pragma once
// The MoE layer's parameters, laid out as PyTorch's state_dict (docs/contract.md).
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "tensor.hpp"

namespace moe {

struct ExpertWeights {
    Mat w1;     // [H, D] ffn.0
    Vec b1;     // [H]
    Mat wGate;  // [H, D] ffn.gate (SwiGLU only, else empty)
    Vec bGate;  // [H]
    Mat w2;     // [D, H] ffn.2
    Vec b2;     // [D]
};

struct ModelWeights {
    ModelShape shape;
    Mat embed;       // [256, D]
    Mat routerW;     // [E, D]
    Vec routerB;     // [E]
    Mat noiseW;      // [E, D] noisy top-k's W_noise
    Vec expertBias;  // [E] DeepSeek-V3 selection bias (zeros unless loaded or trained)
    std::vector<ExpertWeights> experts;
    std::vector<ExpertWeights> shared;
    // From training (moelab train), empty otherwise: the causal mixer [K, D] that makes
    // the layer's input x_t = sum_j mixer[j] * embed[byte_{t-j}], and the next-byte head.
    Mat mixer;
    Mat headW;  // [256, D]
    Vec headB;  // [256]
    // Identity of this set of values: a backend that copies weights to a device
    // re-uploads when it changes. Whoever modifies weights calls touch().
    uint64_t version = 0;
    void touch();
};

// PyTorch default initialisation, reproducible from the seed:
// nn.Linear weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a=sqrt(5));
// nn.Embedding ~ N(0, 1); W_noise = 0 as Shazeer et al. 2017 initialise it.
ModelWeights initWeights(const ModelShape& shape, uint64_t seed);

// Parameters of one expert FFN (weights and biases).
int64_t expertParams(const ModelShape& s);

}  // namespace moe
