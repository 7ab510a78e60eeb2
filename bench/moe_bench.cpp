// Google Benchmark: the layer's stages on the standard shapes, next to an Eigen GEMM
// of the same FLOPs so the ratio can be read from one run.
#include <benchmark/benchmark.h>

#include "backends/factory.hpp"
#include "bench.hpp"
#include "experts.hpp"
#include "layer.hpp"

namespace {

using namespace moe;

const BenchShape& shapeAt(int i) {
    static const auto shapes = standardBenchShapes();
    return shapes[i];
}

void setCounters(benchmark::State& st, const BenchShape& s) {
    st.SetLabel(s.name);
    st.counters["expert_FLOP/s"] = benchmark::Counter(
        2.0 * 2.0 * s.dim * s.hidden * double(s.tokens) * s.k * double(st.iterations()), benchmark::Counter::kIsRate);
}

void runStage(benchmark::State& st, const std::string& backendName, bool expertsOnly) {
    const BenchShape& s = shapeAt(static_cast<int>(st.range(0)));
    auto choice = makeBackend(parseEnum<BackendKind>(backendName, "backend"));
    if (!choice.fallbackReason.empty()) {
        st.SkipWithError(("no OpenCL: " + choice.fallbackReason).c_str());
        return;
    }
    const BenchProblem p = makeBenchProblem(s);
    const ModelWeights& w = p.weights;
    const RouterConfig& cfg = p.cfg;
    const Mat& x = p.x;
    LayerResult res;
    runLayer(*choice.backend, w, cfg, x, true, res);
    Mat out;
    for (auto _ : st) {
        if (expertsOnly)
            choice.backend->experts(w, x, res.routing, out);
        else
            runLayer(*choice.backend, w, cfg, x, true, res);
        benchmark::ClobberMemory();
    }
    setCounters(st, s);
}

void BM_EigenExperts(benchmark::State& st) { runStage(st, "eigen", true); }
void BM_EigenLayer(benchmark::State& st) { runStage(st, "eigen", false); }
void BM_OpenclExperts(benchmark::State& st) { runStage(st, "opencl", true); }
void BM_OpenclLayer(benchmark::State& st) { runStage(st, "opencl", false); }

void BM_EigenGemmSameFlops(benchmark::State& st) {
    const BenchShape& s = shapeAt(static_cast<int>(st.range(0)));
    const int rows = s.tokens * s.k;
    Mat a = Mat::Random(rows, s.dim), w1 = Mat::Random(s.hidden, s.dim), w2 = Mat::Random(s.dim, s.hidden);
    Mat h(rows, s.hidden), y(rows, s.dim);
    for (auto _ : st) {
        h.noalias() = a * w1.transpose();
        y.noalias() = h * w2.transpose();
        benchmark::ClobberMemory();
    }
    setCounters(st, s);
}

void BM_ClusterSimulation(benchmark::State& st) {
    const Routing r = clusterBenchRouting();
    const ClusterConfig c = clusterBenchConfig();
    for (auto _ : st) benchmark::DoNotOptimize(simulateTraffic(r, c));
    st.SetLabel("T=65536 E=256 k=8 G=64, load-aware");
}

BENCHMARK(BM_ClusterSimulation)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EigenGemmSameFlops)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EigenExperts)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EigenLayer)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenclExperts)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenclLayer)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
