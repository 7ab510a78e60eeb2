#pragma once
// The expert FFNs' GEMMs on the CPU without Eigen: y = x · Wᵀ + b, then an activation or
// a product, for a few rows at a time. A register-blocked micro-kernel (a block of rows
// × two vectors of outputs stays in registers while the inner dimension streams through
// fused multiply-adds) over weights packed once per weights version into panels: for
// each block of two vectors of outputs, its [in][block] weights one after another, so
// the kernel reads them in order (a plain [in][out] layout puts each step a whole row
// away, and rows 4 KiB apart fight over one cache set). Outputs are padded with zero
// weights to whole blocks, so no tail is ever masked. It runs where the build targets
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
    std::vector<float> panels;  // [outPadded / block][in][block]: W[o][i] at ((o / block) * in + i) * block + o % block
    Vec bias;                   // [outPadded], zeros past `out`
    int in = 0, out = 0, outPadded = 0;
};
PackedWeight packWeight(const Mat& w, const Vec& b);

enum class Epilogue {
    Bias,         // y = x·Wᵀ + b
    BiasAct,      // y = act(x·Wᵀ + b)
    BiasTimesMul  // y = (x·Wᵀ + b) ⊙ mul (SwiGLU's up projection times silu(gate))
};
// Rows [0, rows) of x ([rows][in], leading dimension ldx) into y ([rows][outPadded],
// leading dimension ldy); mul has y's shape. Columns past `out` come out 0 (Bias) or
// act(0) (BiasAct); callers read only the first `out`.
void gemmRows(const float* x, int ldx, int rows, const PackedWeight& w, Epilogue e, Activation act, const float* mul,
              int ldmul, float* y, int ldy);

} // namespace moe
