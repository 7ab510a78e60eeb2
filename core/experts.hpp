#pragma once
// Expert FFNs on the CPU with Eigen: the reference every other backend is tested against.
#include <vector>

#include "gemm_kernel.hpp"
#include "routing.hpp"
#include "weights.hpp"

namespace moe {

// Activation in place. GELU is the exact erf form (PyTorch's default).
void activate(float* p, Eigen::Index n, Activation a);
inline void activate(Mat& h, Activation a) { activate(h.data(), h.size(), a); }

// y = W2 · act(W1 x + b1) + b2 for every row of x; SwiGLU (Shazeer 2020):
// y = W2 · (silu(W_gate x + b_gate) ⊙ (W1 x + b1)) + b2.
// Scratch only grows, so a steady stream of calls allocates nothing.
struct FfnScratch {
    Mat x, h, g, y;
};
// Returns the first x.rows() rows of s.y.
Mat::RowsBlockXpr ffnForward(const ExpertWeights& e, Activation a, const Eigen::Ref<const Mat>& x, FfnScratch& s);
// Resizes m to at least rows x cols, keeping it when it is already big enough.
void ensureSize(Mat& m, Eigen::Index rows, Eigen::Index cols);

// Groups kept assignments by expert, in slot order: expertSlots[e] lists slot indices.
void bucketByExpert(const Routing& r, std::vector<int>& offsets, std::vector<int>& slots);

// out[t] = sum over kept slots of weight * Expert_e(x_t) + sum of shared experts(x_t).
// Each expert computes only its own tokens (read and written in place through the
// bucket's indices by the micro-kernel; gathered and scattered for Eigen), in row chunks
// spread over OpenMP threads; combine.hpp then sums each token's slots.
class ExpertRunner {
public:
    void run(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out);
    // Eigen's GEMM instead of the micro-kernel (gemm_kernel.hpp), for the tests that
    // compare them; where the build has no micro-kernel, Eigen always.
    void useEigen(bool on) { m_eigen = on; }

private:
    struct PackedExpert {
        PackedWeight up, gate, down;
    };
    // n rows of x through the packed expert into y, rows of p.down.outPadded floats.
    static void ffnPacked(const PackedExpert& p, Activation a, RowSet<const float> x, int n, RowSet<float> y,
                          FfnScratch& s);
    struct PackedSet {
        uint64_t version = 0;
        std::vector<PackedExpert> experts, shared;
    };
    // The packed weights of w, packed once per version: a language model's layers take
    // turns, so the last few sets are kept (kPackedSets), the oldest replaced first.
    const PackedSet& pack(const ModelWeights& w);
    static constexpr size_t kPackedSets = 16;

    bool m_eigen = false;
    std::vector<PackedSet> m_packedSets;                // most recently used last
    std::vector<int> m_offsets, m_slots, m_slotTokens;  // m_slotTokens[i]: token of slot m_slots[i]
    Mat m_slotOut, m_shared;
    std::vector<Mat> m_sharedPerExpert;
    std::vector<FfnScratch> m_scratch;
};

}  // namespace moe
