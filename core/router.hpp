#pragma once
// The router (gate): logits x·W_gᵀ + b, noise and jitter, the score function, the
// selection keys (bias, group-limited routing) and top-k. decideRouting() runs them
// all on the CPU and hands the choices to capacity.hpp.
#include <cmath>
#include <vector>

#include "routing.hpp"
#include "weights.hpp"

namespace moe {

// Inputs of the routing decision that come from GEMMs (the backend's job).
struct RouterLogits {
    Mat logits;       // [T, E] x·W_g^T + b
    Mat noiseLogits;  // [T, E] x·W_noise^T, only for noisy top-k
};

// Everything after the GEMMs: noise, score function, selection, capacity.
// `bias` is the DeepSeek-V3 selection bias (size E).
Routing decideRouting(RouterLogits in, const RouterConfig& cfg, const Vec& bias);

// The selection bias in force: the flag's, else the weights'.
Vec effectiveBias(const ModelWeights& w, const RouterConfig& cfg);

// log(1 + e^x), exact to the type's precision (shaders/scores.cl uses the float cut-off).
template <typename T>
T softplus(T x) {
    constexpr T cut = sizeof(T) == sizeof(float) ? T(20) : T(30);
    return x > cut ? x : std::log1p(std::exp(x));
}
// Noisy top-k (Shazeer et al. 2017): H = x·W_g + N(0,1)·softplus(x·W_noise).
// Row i of the matrices is token firstRow + i (the draws are keyed by token).
void addRoutingNoise(Mat& logits, const Mat& noiseLogits, uint64_t seed, int firstRow = 0);
// softmax(z/T) or sigmoid(z/T); T = 0 is the limit: one-hot argmax (softmax) or a step (sigmoid).
void scoreFunction(const Mat& noisyLogits, ScoreFn fn, float temperature, Mat& scores);
// Selection keys: score + bias (DeepSeek-V3); logits + bias at T = 0. Experts outside a
// token's best groups (DeepSeek-V2 group-limited routing) get -inf.
Mat selectionKeys(const Mat& noisyLogits, const Mat& scores, const RouterConfig& cfg, const Vec& bias);
// Top-k indices per row, best first, ties to the lower index. [T*k]
std::vector<int> topK(const Mat& keys, int k);

// out = x·Wᵀ (+ b): each output summed over j = 0..D-1 in order, without fused
// multiply-add, so the OpenCL kernel (router.cl) produces the very same bits and
// both backends make the same routing decisions.
void routerLinear(const Mat& x, const Mat& w, const Vec* bias, Mat& out);

// Per-(token, expert) standard normal draws of noisy top-k, for every backend.
Mat routingNoise(int tokens, int experts, uint64_t seed, int firstRow = 0);
// Per-(token, dim) jitter factors U(1-eps, 1+eps).
Mat jitterFactors(int tokens, int dim, float eps, uint64_t seed, int firstRow = 0);
// Switch Transformer input jitter: x * U(1-eps, 1+eps), elementwise, seeded per (token, dim).
void applyJitter(Mat& x, float eps, uint64_t seed, int firstRow = 0);

}  // namespace moe
