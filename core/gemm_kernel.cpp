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
constexpr int kLanes = 8, kRowBlock = 4;  // 8 accumulators of 16 registers
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
// R rows x 2 vectors of outputs starting at column c.
template <int R>
void block(const float* x, int ldx, const PackedWeight& w, int c, Epilogue e, Activation act, const float* mul, int ldmul,
           float* y, int ldy) {
    V acc[R][2];
    for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = vzero();
    const float* wp = w.panels.data() + size_t(c / kColBlock) * w.in * kColBlock;
    for (int k = 0; k < w.in; ++k, wp += kColBlock) {
        const V w0 = vload(wp), w1 = vload(wp + kLanes);
        for (int i = 0; i < R; ++i) {
            const V xv = vset1(x[size_t(i) * ldx + k]);
            acc[i][0] = vfma(xv, w0, acc[i][0]);
            acc[i][1] = vfma(xv, w1, acc[i][1]);
        }
    }
    const V b0 = vload(w.bias.data() + c), b1 = vload(w.bias.data() + c + kLanes);
    for (int i = 0; i < R; ++i) {
        V v0 = vadd(acc[i][0], b0), v1 = vadd(acc[i][1], b1);
        float* out = y + size_t(i) * ldy + c;
        if (e == Epilogue::BiasTimesMul) {
            const float* m = mul + size_t(i) * ldmul + c;
            v0 = vmul(v0, vload(m)), v1 = vmul(v1, vload(m + kLanes));
        }
        const bool relu = e == Epilogue::BiasAct && act == Activation::Relu;
        if (relu) v0 = vmax(v0, vzero()), v1 = vmax(v1, vzero());  // in registers; the others by activate()
        vstore(out, v0);
        vstore(out + kLanes, v1);
        if (e == Epilogue::BiasAct && !relu) activate(out, kColBlock, act);
    }
}

// The last rows - r of a column block, fewer than kRowBlock.
template <int... R>
void tail(int rows, std::integer_sequence<int, R...>, const float* x, int ldx, const PackedWeight& w, int c, Epilogue e,
          Activation act, const float* mul, int ldmul, float* y, int ldy) {
    ((rows == R + 1 ? block<R + 1>(x, ldx, w, c, e, act, mul, ldmul, y, ldy) : void()), ...);
}
#endif

} // namespace

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
        for (int i = 0; i < p.in; ++i) p.panels[(size_t(o / kColBlock) * p.in + i) * kColBlock + o % kColBlock] = w(o, i);
    p.bias = Vec::Zero(p.outPadded);
    p.bias.head(p.out) = b;
    return p;
}

void gemmRows(const float* x, int ldx, int rows, const PackedWeight& w, Epilogue e, Activation act, const float* mul,
              int ldmul, float* y, int ldy) {
#if defined(MOELAB_HAVE_GEMM_KERNEL)
    // Column blocks outside, row blocks inside: one column block's weights (in x 2
    // vectors) stay in cache while the rows stream past them.
    for (int c = 0; c < w.outPadded; c += kColBlock) {
        int r = 0;
        for (; r + kRowBlock <= rows; r += kRowBlock)
            block<kRowBlock>(x + size_t(r) * ldx, ldx, w, c, e, act, mul ? mul + size_t(r) * ldmul : nullptr, ldmul,
                             y + size_t(r) * ldy, ldy);
        if (r < rows)
            tail(rows - r, std::make_integer_sequence<int, kRowBlock - 1>(), x + size_t(r) * ldx, ldx, w, c, e, act,
                 mul ? mul + size_t(r) * ldmul : nullptr, ldmul, y + size_t(r) * ldy, ldy);
    }
#else
    (void)x, (void)ldx, (void)rows, (void)w, (void)e, (void)act, (void)mul, (void)ldmul, (void)y, (void)ldy;
#endif
}

} // namespace moe
