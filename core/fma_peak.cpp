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
// independent chains keep both ports busy. V is a GCC vector type (the intrinsics'
// types are too), fma(a, b, c) = a·b + c.
constexpr int kChains = 10;

template <typename V, typename Fma>
float chains(long iterations, Fma fma) {
    V acc[kChains];  // different starts: identical chains would be computed once
    for (int i = 0; i < kChains; ++i) acc[i] = V{} + 0.001f * i;
    const V a = V{} + 0.999999f, b = V{} + 1e-7f;
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kChains; ++i) acc[i] = fma(acc[i], a, b);
    float sum = 0;  // used, so the loop stays
    for (int i = 0; i < kChains; ++i)
        for (size_t l = 0; l < sizeof(V) / sizeof(float); ++l) sum += acc[i][l];
    return sum;
}

#if defined(__AVX512F__)
using Vec = __m512;
Vec fma(Vec x, Vec y, Vec z) { return _mm512_fmadd_ps(x, y, z); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
Vec fma(Vec x, Vec y, Vec z) { return _mm256_fmadd_ps(x, y, z); }
#else
typedef float Vec __attribute__((vector_size(16)));
Vec fma(Vec x, Vec y, Vec z) { return x * y + z; }  // a multiply and an add
#endif
constexpr int kLanes = sizeof(Vec) / sizeof(float);

}  // namespace

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
            total += chains<Vec>(iterations, fma);
        }
        sink = sink + total;
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        spent += s;
        best = std::max(best, 2.0 * kChains * kLanes * double(iterations) * threads / s / 1e9);
    }
    return best;
}

}  // namespace moe
