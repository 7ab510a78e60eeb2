#pragma once
// Timing of the layer's forward pass on fixed shapes, shared by `moelab bench`
// and the Google Benchmark program. Speed is reported as a ratio against an
// Eigen GEMM of the same FLOPs timed in the same run: this machine is shared.
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "traffic.hpp"

namespace moe {

struct BenchShape {
    std::string name;
    int tokens, experts, k, dim, hidden;
};

struct BenchResult {
    BenchShape shape;
    std::string backend, device;
    double ffnGflops = 0;   // expert FFN FLOPs / time of the expert stage
    double gemmGflops = 0;  // one Eigen GEMM pair of the same FLOPs
    double ratioToGemm = 0;
    double pipelineMs = 0;  // whole forward pass (route + experts), median
    double expertsMs = 0;   // expert stage, median
};

// T=4096 E=8 k=2 D=256 H=1024; fine-grained T=4096 E=64 k=8 D=256 H=128; classroom T=256 E=8 k=2 D=32.
std::vector<BenchShape> standardBenchShapes();

// Weights (seed 0), dropless routing and text-like input for a shape: the same
// problem for `moelab bench` and the Google Benchmark program.
struct BenchProblem {
    ModelWeights weights;
    RouterConfig cfg;
    Mat x;
};
BenchProblem makeBenchProblem(const BenchShape& shape);

// Dropless routing so every shape always computes T*k expert rows.
BenchResult benchLayer(Backend& backend, const BenchShape& shape, double minSeconds = 0.5);
// GFLOP/s of (T*k x D)·(D x H) then (T*k x H)·(H x D) with Eigen.
double benchGemmGflops(const BenchShape& shape, double minSeconds = 0.5);

// The expert-parallel simulation alone: T=65,536, E=256, k=8, G=64 (8 nodes of 8),
// on a skewed synthetic routing. Returns the median milliseconds.
double benchClusterSimulationMs(double minSeconds = 0.5);
Routing clusterBenchRouting();
ClusterConfig clusterBenchConfig();

// Training throughput (tokens per second) of `moelab train` at a shape, on the bundled
// corpus, batch 16 x 64 bytes, over at least minSeconds.
double benchTrainingTokensPerSecond(int dim, int experts, int k, const std::string& corpus, double minSeconds = 2.0);

// Median milliseconds of fn over repeated runs lasting at least minSeconds (3..1000 runs).
template <typename Fn>
double medianMs(Fn&& fn, double minSeconds);

}  // namespace moe

#include "bench_impl.hpp"
