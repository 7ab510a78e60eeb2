#pragma once
// The little language model's own operations (docs/contract.md, "The little MoE language
// model"), as the Eigen reference every backend is tested against. Rows are positions,
// a head's columns are [h*headDim, (h+1)*headDim), PyTorch's view(T, heads, headDim).
#include <vector>

#include "../tensor.hpp"

namespace moe {

struct AttentionShape {
    int heads = 4;    // query heads
    int kvHeads = 2;  // query head h reads KV head h / (heads / kvHeads)
    int headDim = 32;
};

// out = x / sqrt(mean(x^2) + eps) * gain, row by row.
void rmsNormReference(const Mat& x, const Vec& gain, float eps, Mat& out);

// out = x · wᵀ (a bias-free nn.Linear; w is [out, in]).
void linearReference(const Mat& x, const Mat& w, Mat& out);

// cos and sin of [freqs, freqs] for positions 0..positions-1, inv_freq_i =
// theta^(-2i/headDim), computed in double and rounded (as the PyTorch model does).
struct RopeTable {
    int headDim = 0;
    Mat cos;  // [positions, headDim]
    Mat sin;
};
RopeTable ropeTable(int positions, int headDim, double theta);

// Rotates every head of the rows of qk in place: row i is position firstPos + i;
// x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1].
void ropeReference(Mat& qk, int heads, const RopeTable& table, int firstPos);

// Causal grouped-KV attention. q: [n, heads*headDim], rows are positions firstPos..firstPos+n-1;
// k, v: [firstPos + n, kvHeads*headDim] (positions 0.., a KV cache plus the new rows).
// out: [n, heads*headDim], softmax(q·kᵀ/√headDim over positions ≤ its own)·v.
void causalAttentionReference(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s, int firstPos,
                              Mat& out);

}  // namespace moe
