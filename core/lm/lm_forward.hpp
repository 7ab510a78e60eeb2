#pragma once
// The language model's forward pass (docs/contract.md, "The little MoE language model"):
// per layer h = x + o_proj(Attn(RMSNorm(x))), x' = h + MoE(RMSNorm(h)), where the MoE is
// moelab's one-layer pipeline (runLayer) with every routing rule; logits = lm_head(RMSNorm(x_L)).
// Every LM operation goes through the Backend hooks, so each backend runs the whole model.
#include <string_view>
#include <vector>

#include "../layer.hpp"
#include "lm_model.hpp"

namespace moe {

struct LmRun {
    std::vector<LayerResult> layers;  // per layer: its MoE's routing (per byte) and metrics
    Mat logits;                       // [T, 256]
    Mat logprobs;                     // [T, 256] log-softmax; row t predicts byte t+1
    double bitsPerByte = 0;           // mean -log2 p(byte t | bytes before t), t = 1..T-1; 0 when T < 2
};

// The routing the model was trained with: its config's k, softmax, T=1, renormalised, dropless.
RouterConfig trainedRouting(const LmConfig& c);

// The whole text at once. Throws InputError("text") for an empty text.
LmRun runLm(Backend& backend, const LmModel& m, const RouterConfig& routing, std::string_view bytes);

// Every layer's keys (after RoPE) and values of the positions seen so far: [positions, kvHeads*headDim].
struct LmCache {
    std::vector<Mat> k, v;
    int positions = 0;
};

// Runs the bytes at positions cache.positions.. through every layer (attending to the
// cache and to each other), appends their keys and values, and returns their logits
// [n, 256]. layers: per layer its MoE's result for these rows. rope must cover the positions.
Mat lmStep(Backend& backend, const LmModel& m, const RouterConfig& routing, std::string_view bytes,
           const RopeTable& rope, LmCache& cache, std::vector<LayerResult>& layers);

// Row-wise log-softmax (in double, rounded to float).
Mat logSoftmaxRows(const Mat& logits);

}  // namespace moe
