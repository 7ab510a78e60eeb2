#include "gemm_kernel.hpp"

#include <immintrin.h>

#include <algorithm>

#include "experts.hpp"

namespace moe {
namespace {

#if !defined(MOELAB_NO_GEMM_KERNEL) && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#define MOELAB_HAVE_GEMM_KERNEL 1
#endif

#if !defined(MOELAB_HAVE_GEMM_KERNEL)
constexpr int kLanes = 8;  // packWeight still pads to whole blocks
#elif defined(__AVX512F__)
using V = __m512;
constexpr int kLanes = 16, kRowBlock = 12;  // 24 accumulators of 32 registers
inline V vzero() { return _mm512_setzero_ps(); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline V vset1(float f) { return _mm512_set1_ps(f); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
#elif defined(__AVX2__) && defined(__FMA__)
using V = __m256;
constexpr int kLanes = 8, kRowBlock = 6;  // 12 accumulators of 16 registers: 0.81 of the AVX2 peak, 0.72 with 4 rows
inline V vzero() { return _mm256_setzero_ps(); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline V vset1(float f) { return _mm256_set1_ps(f); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
#endif
constexpr int kColBlock = 2 * kLanes;

#if defined(MOELAB_HAVE_GEMM_KERNEL)
// Steps of the inner dimension per pass: a block of rows' kDepthBlock inputs (12 KiB)
// stays in L1 while every column panel's kDepthBlock x 2 vectors of weights streams past
// from L2. Without it, the down projection's 1024-long rows spill L1 on every block.
constexpr int kDepthBlock = 256;
// Output columns per group: kDepthBlock x kColumnGroup weights, 256 KiB, a share of L2.
constexpr int kColumnGroup = 256;
// How far ahead the kernel prefetches weights, in steps of the inner dimension (8 to 32
// measured alike).
constexpr int kPrefetchSteps = 16;

// One pass over inputs [k0, k1) for R rows x 2 vectors of outputs starting at column c.
// The first pass starts from zero, later ones from the partial sums left in y; only the
// last adds the bias and applies the epilogue. Stored and reloaded floats are exact, so
// every output is still one chain of fused multiply-adds over its inputs in order.
template <int R>
void block(const float* const* xr, const PackedWeight& w, int c, int k0, int k1, Epilogue e, Activation act,
           const float* const* mr, float* const* yr) {
    V acc[R][2];
    if (k0 == 0) {
        for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = vzero();
    } else {
        for (int i = 0; i < R; ++i) acc[i][0] = vload(yr[i] + c), acc[i][1] = vload(yr[i] + c + kLanes);
    }
    const float* wp = w.panels.data() + (size_t(c / kColBlock) * w.in + k0) * kColBlock;
    for (int k = k0; k < k1; ++k, wp += kColBlock) {
        // The weights 16 steps ahead, from L2 into L1: +5-8 % at the large shape, with
        // AVX-512 and AVX2 alike. (A prefetch past the panel's end never faults.)
        const char* ahead = reinterpret_cast<const char*>(wp + kPrefetchSteps * kColBlock);
        _mm_prefetch(ahead, _MM_HINT_T0);
        if constexpr (kColBlock * sizeof(float) > 64) _mm_prefetch(ahead + 64, _MM_HINT_T0);
        const V w0 = vload(wp), w1 = vload(wp + kLanes);
        for (int i = 0; i < R; ++i) {
            const V xv = vset1(xr[i][k]);
            acc[i][0] = vfma(xv, w0, acc[i][0]);
            acc[i][1] = vfma(xv, w1, acc[i][1]);
        }
    }
    if (k1 < w.in) {
        for (int i = 0; i < R; ++i) vstore(yr[i] + c, acc[i][0]), vstore(yr[i] + c + kLanes, acc[i][1]);
        return;
    }
    const V b0 = vload(w.bias.data() + c), b1 = vload(w.bias.data() + c + kLanes);
    for (int i = 0; i < R; ++i) {
        V v0 = vadd(acc[i][0], b0), v1 = vadd(acc[i][1], b1);
        float* out = yr[i] + c;
        if (e == Epilogue::BiasTimesMul) v0 = vmul(v0, vload(mr[i] + c)), v1 = vmul(v1, vload(mr[i] + c + kLanes));
        const bool relu = e == Epilogue::BiasAct && act == Activation::Relu;
        if (relu) v0 = vmax(v0, vzero()), v1 = vmax(v1, vzero());  // in registers; the others by activate()
        vstore(out, v0);
        vstore(out + kLanes, v1);
        if (e == Epilogue::BiasAct && !relu) activate(out, kColBlock, act);
    }
}

// Columns [c0, c1) of R rows for inputs [k0, k1). The rows' addresses are worked out
// once here, so the kernel's inner loop sees R plain pointers.
template <int R>
void rowBlock(const RowSet<const float>& x, const PackedWeight& w, int c0, int c1, int k0, int k1, Epilogue e,
              Activation act, const RowSet<const float>& mul, const RowSet<float>& y) {
    const float* xr[R];
    const float* mr[R];
    float* yr[R];
    for (int i = 0; i < R; ++i) xr[i] = x.row(i), yr[i] = y.row(i), mr[i] = mul.data ? mul.row(i) : nullptr;
    for (int c = c0; c < c1; c += kColBlock) block<R>(xr, w, c, k0, k1, e, act, mr, yr);
}

// The last rows of a depth pass, fewer than kRowBlock.
template <int... R>
void tail(int rows, std::integer_sequence<int, R...>, const RowSet<const float>& x, const PackedWeight& w, int c0,
          int c1, int k0, int k1, Epilogue e, Activation act, const RowSet<const float>& mul, const RowSet<float>& y) {
    ((rows == R + 1 ? rowBlock<R + 1>(x, w, c0, c1, k0, k1, e, act, mul, y) : void()), ...);
}
#endif

}  // namespace

#if defined(MOELAB_HAVE_GEMM_KERNEL)
bool gemmKernelAvailable() { return true; }
#else
bool gemmKernelAvailable() { return false; }
#endif
int gemmColumnBlock() { return kColBlock; }

PackedWeight packWeight(const Mat& w, const Vec& b) {
    PackedWeight p;
    p.out = static_cast<int>(w.rows());
    p.in = static_cast<int>(w.cols());
    p.outPadded = (p.out + kColBlock - 1) / kColBlock * kColBlock;
    p.panels.assign(size_t(p.outPadded) * p.in, 0.0f);
    for (int o = 0; o < p.out; ++o)
        for (int i = 0; i < p.in; ++i)
            p.panels[(size_t(o / kColBlock) * p.in + i) * kColBlock + o % kColBlock] = w(o, i);
    p.bias = Vec::Zero(p.outPadded);
    p.bias.head(p.out) = b;
    return p;
}

void gemmRows(RowSet<const float> x, int rows, const PackedWeight& w, Epilogue e, Activation act,
              RowSet<const float> mul, RowSet<float> y) {
#if defined(MOELAB_HAVE_GEMM_KERNEL)
    // Depth passes, then groups of columns, then blocks of rows, then column blocks:
    // a block of rows' inputs for one pass (12 KiB) stays in L1 while the group's weights
    // (256 KiB) stream past from L2 in the order they are packed. A whole pass's weights
    // (1 MiB at H = 1024) would be pushed out of L2 by the rows written meanwhile.
    for (int k0 = 0; k0 < w.in || k0 == 0; k0 += kDepthBlock) {
        const int k1 = std::min(w.in, k0 + kDepthBlock);
        for (int c0 = 0; c0 < w.outPadded; c0 += kColumnGroup) {
            const int c1 = std::min(w.outPadded, c0 + kColumnGroup);
            int r = 0;
            for (; r + kRowBlock <= rows; r += kRowBlock)
                rowBlock<kRowBlock>(x.from(r), w, c0, c1, k0, k1, e, act, mul.data ? mul.from(r) : mul, y.from(r));
            if (r < rows)
                tail(rows - r, std::make_integer_sequence<int, kRowBlock - 1>(), x.from(r), w, c0, c1, k0, k1, e, act,
                     mul.data ? mul.from(r) : mul, y.from(r));
        }
    }
#else
    (void)x, (void)rows, (void)w, (void)e, (void)act, (void)mul, (void)y;
#endif
}

}  // namespace moe
