// Google Benchmark: the language model's causal attention (D = 128, 4 query heads, 2 KV
// heads, head width 32) at T = 256 and 4096 on both backends, next to an Eigen GEMM of
// the same FLOPs timed in the same run: read time / BM_AttentionGemmSameFlops's time.
#include <benchmark/benchmark.h>

#include "backends/factory.hpp"
#include "lm/lm_ops.hpp"

namespace {

using namespace moe;

constexpr AttentionShape kShape{4, 2, 32};

// Causal: row i scores i + 1 keys and sums as many value rows, 2 FLOPs a column each.
double attentionFlops(int T) { return 2.0 * 2.0 * kShape.heads * kShape.headDim * (T * (T + 1.0) / 2.0); }

void setCounters(benchmark::State& st, int T) {
    st.SetLabel("T=" + std::to_string(T) + " D=128 heads=4 kv=2");
    st.counters["FLOP/s"] =
        benchmark::Counter(attentionFlops(T) * double(st.iterations()), benchmark::Counter::kIsRate);
}

void runAttention(benchmark::State& st, BackendKind kind) {
    const int T = static_cast<int>(st.range(0));
    auto choice = makeBackend(kind);
    if (!choice.fallbackReason.empty()) {
        st.SkipWithError(("no OpenCL: " + choice.fallbackReason).c_str());
        return;
    }
    const Mat q = Mat::Random(T, kShape.heads * kShape.headDim);
    const Mat k = Mat::Random(T, kShape.kvHeads * kShape.headDim), v = Mat::Random(T, kShape.kvHeads * kShape.headDim);
    Mat out;
    choice.backend->causalAttention(q, k, v, kShape, 0, out);  // a first pass compiles PoCL's kernel
    for (auto _ : st) {
        choice.backend->causalAttention(q, k, v, kShape, 0, out);
        benchmark::ClobberMemory();
    }
    setCounters(st, T);
}

void BM_AttentionEigen(benchmark::State& st) { runAttention(st, BackendKind::Eigen); }
void BM_AttentionOpencl(benchmark::State& st) { runAttention(st, BackendKind::OpenCL); }

// [T, 128] · [128, T + 1]: 2 · T · 128 · (T + 1) FLOPs, the attention's count exactly
// (heads · headDim = 128).
void BM_AttentionGemmSameFlops(benchmark::State& st) {
    const int T = static_cast<int>(st.range(0));
    const Mat a = Mat::Random(T, 128), b = Mat::Random(T + 1, 128);
    Mat c(T, T + 1);
    for (auto _ : st) {
        c.noalias() = a * b.transpose();
        benchmark::ClobberMemory();
    }
    setCounters(st, T);
}

BENCHMARK(BM_AttentionGemmSameFlops)->Arg(256)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionEigen)->Arg(256)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionOpencl)->Arg(256)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
