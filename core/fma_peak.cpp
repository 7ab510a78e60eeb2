#include "fma_peak.hpp"

#include <algorithm>
#include <chrono>
#include <omp.h>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace moe {
namespace {

// Ten accumulators: an FMA has a latency of 4-5 cycles and two issue ports, so ten
// independent chains keep both ports busy.
constexpr int kChains = 10;

#if defined(__AVX512F__)
constexpr int kLanes = 16;
float chains(long iterations) {
    __m512 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    float sum = 0;
    for (int i = 0; i < kChains; ++i) sum += _mm512_reduce_add_ps(acc[i]);
    return sum;
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8;
float chains(long iterations) {
    __m256 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    alignas(32) float out[8];
    float sum = 0;
    for (int i = 0; i < kChains; ++i) {
        _mm256_store_ps(out, acc[i]);
        for (float v : out) sum += v;
    }
    return sum;
}
#else
constexpr int kLanes = 4;
typedef float v4 __attribute__((vector_size(16)));
float chains(long iterations) {
    v4 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = v4{} + 0.001f * i;
    const v4 a = v4{} + 0.999999f, b = v4{} + 1e-7f;
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * a + b;
    float sum = 0;
    for (int i = 0; i < kChains; ++i) sum += acc[i][0] + acc[i][1] + acc[i][2] + acc[i][3];
    return sum;
}
#endif

} // namespace

const char* fmaPeakIsa() {
#if defined(__AVX512F__)
    return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
    return "avx2-fma";
#else
    return "generic";
#endif
}

double measureFmaPeakGflops(double minSeconds) {
    using Clock = std::chrono::steady_clock;
    // Short runs (about 8 ms at 100 GFLOP/s a thread), many of them, the best kept: on a
    // shared machine some run finds both cores free.
    const long iterations = 5'000'000;
    double best = 0, spent = 0;
    volatile float sink = 0;  // the result is used, so the loop stays
    for (int run = 0; run < 200 && (run < 3 || spent < minSeconds); ++run) {
        const auto t0 = Clock::now();
        int threads = 1;
        float total = 0;
#pragma omp parallel reduction(+ : total)
        {
#pragma omp single
            threads = omp_get_num_threads();
            total += chains(iterations);
        }
        sink = sink + total;
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        spent += s;
        best = std::max(best, 2.0 * kChains * kLanes * double(iterations) * threads / s / 1e9);
    }
    return best;
}

} // namespace moe
