#pragma once
// Bytes to vectors: each byte picks its row of the 256 x D embedding table (the seeds'
// ByteEmbedding); a trained model then mixes each row with the previous bytes' rows.
#include <string_view>

#include "weights.hpp"

namespace moe {

// x_t = sum_j mixer[j] ⊙ x_{t-j}, j = 0..K-1, within sequences of `sequenceLength` rows
// (a causal depthwise convolution). Shared by the engine (float) and training (double).
template <typename M>
M causalMix(const M& x, const M& mixer, int sequenceLength) {
    M mixed = M::Zero(x.rows(), x.cols());
    for (Eigen::Index t = 0; t < x.rows(); ++t)
        for (Eigen::Index j = 0; j < mixer.rows() && j <= t % sequenceLength; ++j)
            mixed.row(t) += mixer.row(j).cwiseProduct(x.row(t - j));
    return mixed;
}

// The layer's input, one row per byte: x_t = embed[byte_t], or, for trained weights
// with a mixer, its causal mix over the previous bytes of the text.
Mat embedBytes(const ModelWeights& w, std::string_view bytes);

}  // namespace moe
