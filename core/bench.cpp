#include "bench.hpp"

#include "placement.hpp"
#include "traffic.hpp"
#include "embedding.hpp"
#include "experts.hpp"
#include "layer.hpp"
#include "rng.hpp"
#include "train/trainer.hpp"

#include <chrono>

namespace moe {

std::vector<BenchShape> standardBenchShapes() {
    return {
        {"large", 4096, 8, 2, 256, 1024}, {"fine-grained", 4096, 64, 8, 256, 128}, {"classroom", 256, 8, 2, 32, 128}};
}

namespace {
std::string benchBytes(int n) {
    // Text-like bytes: letters, spaces and some UTF-8 so routing is not trivial.
    static const std::string pool = "the quick brown fox jumps over a lazy dog, MoE\xE6\x98\xAF\xE5\xBE\x88";
    Rng rng(1, "bench.text");
    std::string s(n, ' ');
    for (int i = 0; i < n; ++i) s[i] = pool[rng.next() % pool.size()];
    return s;
}

double ffnFlops(const BenchShape& s) { return 2.0 * 2.0 * s.dim * s.hidden * double(s.tokens) * s.k; }
}  // namespace

double benchGemmGflops(const BenchShape& s, double minSeconds) {
    const int rows = s.tokens * s.k;
    Rng rng(2, "bench.gemm");
    Mat a(rows, s.dim), w1(s.hidden, s.dim), w2(s.dim, s.hidden), h(rows, s.hidden), y(rows, s.dim);
    for (Mat* m : {&a, &w1, &w2})
        for (int i = 0; i < m->size(); ++i) m->data()[i] = rng.uniform(-1, 1);
    const double ms = medianMs(
        [&] {
            h.noalias() = a * w1.transpose();
            y.noalias() = h * w2.transpose();
        },
        minSeconds);
    return ffnFlops(s) / (ms * 1e6);
}

BenchProblem makeBenchProblem(const BenchShape& s) {
    ModelShape shape;
    shape.experts = s.experts;
    shape.dim = s.dim;
    shape.hidden = s.hidden;
    BenchProblem p;
    p.weights = initWeights(shape, 0);
    p.cfg.k = s.k;
    p.cfg.capacityFactor = 0;  // dropless
    p.x = embedBytes(p.weights, benchBytes(s.tokens));
    return p;
}

BenchResult benchLayer(Backend& backend, const BenchShape& s, double minSeconds) {
    const BenchProblem p = makeBenchProblem(s);
    const ModelWeights& w = p.weights;
    const RouterConfig& cfg = p.cfg;
    const Mat& x = p.x;

    BenchResult r;
    r.shape = s;
    r.backend = backend.name();
    r.device = backend.device();
    LayerResult res;
    r.pipelineMs = medianMs([&] { runLayer(backend, w, cfg, x, true, res); }, minSeconds);
    Mat out;
    r.expertsMs = medianMs([&] { backend.experts(w, x, res.routing, out); }, minSeconds);
    r.ffnGflops = ffnFlops(s) / (r.expertsMs * 1e6);
    r.gemmGflops = benchGemmGflops(s, minSeconds);
    r.ratioToGemm = r.ffnGflops / r.gemmGflops;
    return r;
}

Routing clusterBenchRouting() {
    const int T = 65536, E = 256, k = 8;
    Routing r;
    r.tokens = T;
    r.experts = E;
    r.k = k;
    r.slotBegin.resize(T + 1);
    Rng rng(3, "bench.cluster");
    for (int t = 0; t < T; ++t) {
        r.slotBegin[t] = t * k;
        for (int j = 0; j < k; ++j) r.slotExpert.push_back(static_cast<int>((rng.next() % E + j * 37) % E));
    }
    r.slotBegin[T] = T * k;
    r.slotKept.assign(size_t(T) * k, 1);
    r.slotWeight.assign(size_t(T) * k, 0.125f);
    return r;
}

ClusterConfig clusterBenchConfig() {
    ClusterConfig c;
    c.gpus = 64;
    c.gpusPerNode = 8;
    c.placement = Placement::LoadAware;
    return c;
}

double benchTrainingTokensPerSecond(int dim, int experts, int k, const std::string& corpus, double minSeconds) {
    train::TrainConfig c;
    c.model.shape.dim = dim;
    c.model.shape.hidden = 4 * dim;
    c.model.shape.experts = experts;
    c.model.router.k = k;
    train::Trainer t(c, corpus);
    t.step();  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    int steps = 0;
    double secs = 0;
    while (steps < 3 || secs < minSeconds) {
        t.step();
        ++steps;
        secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return double(steps) * c.batch * c.seqLen / secs;
}

double benchClusterSimulationMs(double minSeconds) {
    const Routing r = clusterBenchRouting();
    const ClusterConfig c = clusterBenchConfig();
    return medianMs([&] { (void)simulateTraffic(r, c); }, minSeconds);
}

}  // namespace moe
