#pragma once
// The expert FFNs' GEMMs on the CPU without Eigen: y = x · Wᵀ + b, then an activation or
// a product, for a few rows at a time. A register-blocked micro-kernel (a block of rows
// × two vectors of outputs stays in registers while the inner dimension streams through
// fused multiply-adds) over weights packed once per weights version into panels: for
// each block of two vectors of outputs, its [in][block] weights one after another, so
// the kernel reads them in order (a plain [in][out] layout puts each step a whole row
// away, and rows 4 KiB apart fight over one cache set). Outputs are padded with zero
// weights to whole blocks, so no tail is ever masked. The inner dimension goes in passes
// of 256 and the outputs in groups of 256, so a block of rows' inputs stays in L1 and
// the weights being streamed stay in L2 (gemm_kernel.cpp). It runs where the build targets
// AVX2+FMA or AVX-512 and MOELAB_GEMM_KERNEL is on (the default); elsewhere
// experts.cpp keeps Eigen. Deterministic: each output is summed over its inner
// dimension in order.
#include <vector>

#include "weights.hpp"

namespace moe {

// True when this build has the micro-kernel (AVX2+FMA or AVX-512 at compile time).
bool gemmKernelAvailable();
// Output columns per block: the padding unit of PackedWeight.
int gemmColumnBlock();

// A Linear layer's weight [out][in] and bias, packed for the kernel.
struct PackedWeight {
    // Aligned to the vector width (64 bytes with AVX-512): a vector load that straddles
    // two cache lines costs two (6 % measured).
    std::vector<float, Eigen::aligned_allocator<float>>
        panels;  // [outPadded / block][in][block]: W[o][i] at ((o / block) * in + i) * block + o % block
    Vec bias;    // [outPadded], zeros past `out`
    int in = 0, out = 0, outPadded = 0;
};
PackedWeight packWeight(const Mat& w, const Vec& b);

enum class Epilogue {
    Bias,         // y = x·Wᵀ + b
    BiasAct,      // y = act(x·Wᵀ + b)
    BiasTimesMul  // y = (x·Wᵀ + b) ⊙ mul (SwiGLU's up projection times silu(gate))
};

// Rows of a row-major matrix, in order or picked by an index: row i starts at
// data + (index ? index[i] : i) * ld. With an index the kernel reads each token's
// embedding and writes each slot's output in place, with no gather or scatter copy.
template <class T>
struct RowSet {
    T* data = nullptr;
    int ld = 0;
    const int* index = nullptr;
    T* row(int i) const { return data + size_t(index ? index[i] : i) * ld; }
    RowSet from(int i) const {
        return index ? RowSet{data, ld, index + i} : RowSet{data + size_t(i) * ld, ld, nullptr};
    }
};

// Rows [0, rows) of x (in floats each) into y, whose rows hold outPadded floats; mul
// has y's shape (BiasTimesMul only). Columns past `out` come out 0 (Bias) or act(0)
// (BiasAct); callers read only the first `out`.
void gemmRows(RowSet<const float> x, int rows, const PackedWeight& w, Epilogue e, Activation act,
              RowSet<const float> mul, RowSet<float> y);

}  // namespace moe
