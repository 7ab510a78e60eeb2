#pragma once
// The routing decision for T tokens over E experts, shared by both backends.
#include <cstdint>
#include <vector>

#include "config.hpp"
#include "tensor.hpp"

namespace moe {

struct Routing {
    int tokens = 0;
    int experts = 0;
    int k = 0;
    RoutingMode mode = RoutingMode::TokenChoice;
    int capacity = -1;  // -1: dropless
    Mat logits;         // [T, E] x·W_g^T + b, before temperature and noise
    Mat scores;         // [T, E] score function of (noisy logits / temperature)
    // Each token's assignment slots: [slotBegin[t], slotBegin[t+1]). Token choice:
    // k slots in choice-rank order; expert choice: the experts that picked it, best first.
    std::vector<int> slotBegin;
    std::vector<int> slotExpert;
    std::vector<float> slotWeight;
    std::vector<uint8_t> slotKept;
    std::vector<int> requested;  // [E] assignments routed to the expert before capacity
    std::vector<int> kept;       // [E] after capacity (reroutes included)
    std::vector<int> overflow;   // [E] assignments that found this expert full

    int slotCount() const { return static_cast<int>(slotExpert.size()); }
    // The token each slot belongs to. [slotCount()]
    std::vector<int> slotTokens() const;
};

// Inputs of the routing decision that come from GEMMs (the backend's job).
struct RouterLogits {
    Mat logits;       // [T, E] x·W_g^T + b
    Mat noiseLogits;  // [T, E] x·W_noise^T, only for noisy top-k
};

// Everything after the GEMMs, on the CPU: noise, score function, selection, capacity.
// `bias` is the DeepSeek-V3 selection bias (size E).
Routing decideRouting(RouterLogits in, const RouterConfig& cfg, const Vec& bias);

// Pieces of decideRouting, exposed for tests and the OpenCL parity checks.
float softplus(float x);
// Noisy top-k (Shazeer et al. 2017): H = x·W_g + N(0,1)·softplus(x·W_noise).
void addRoutingNoise(Mat& logits, const Mat& noiseLogits, uint64_t seed);
// softmax(z/T) or sigmoid(z/T); T = 0 is the limit: one-hot argmax (softmax) or a step (sigmoid).
void scoreFunction(const Mat& noisyLogits, ScoreFn fn, float temperature, Mat& scores);
// Selection keys: score + bias (DeepSeek-V3); logits + bias at T = 0. Experts outside a
// token's best groups (DeepSeek-V2 group-limited routing) get -inf.
Mat selectionKeys(const Mat& noisyLogits, const Mat& scores, const RouterConfig& cfg, const Vec& bias);
// Top-k indices per row, best first, ties to the lower index. [T*k]
std::vector<int> topK(const Mat& keys, int k);
// Capacity in CONTRACT.md's order: every 1st choice before any 2nd, by position or score.
void assignTokenChoice(const std::vector<int>& choices, const Mat& keys, const RouterConfig& cfg, Routing& r);
// Expert choice (Zhou et al. 2022): each expert takes its `capacity` best tokens.
void assignExpertChoice(const Mat& keys, const RouterConfig& cfg, Routing& r);

// out = x·Wᵀ (+ b): each output summed over j = 0..D-1 in order, without fused
// multiply-add, so the OpenCL kernel (router.cl) produces the very same bits and
// both backends make the same routing decisions.
void routerLinear(const Mat& x, const Mat& w, const Vec* bias, Mat& out);

// Per-(token, expert) standard normal draws of noisy top-k, for every backend.
Mat routingNoise(int tokens, int experts, uint64_t seed);
// Per-(token, dim) jitter factors U(1-eps, 1+eps).
Mat jitterFactors(int tokens, int dim, float eps, uint64_t seed);

// Switch Transformer input jitter: x * U(1-eps, 1+eps), elementwise, seeded per (token, dim).
void applyJitter(Mat& x, float eps, uint64_t seed);

} // namespace moe
