#pragma once
// The machine's FP32 FMA peak, measured where the benchmark runs: the yardstick that
// says how far a GEMM or the expert FFN is from what this CPU can do at all.

namespace moe {

// GFLOP/s of independent fused multiply-add chains in registers, on the widest vector
// unit the build targets (AVX-512, AVX2+FMA, else 128-bit multiply and add), on every
// OpenMP thread. Best of several runs lasting minSeconds in all.
double measureFmaPeakGflops(double minSeconds = 0.5);

// What the loop used: "avx512", "avx2-fma" or "generic".
const char* fmaPeakIsa();

}  // namespace moe
