#pragma once
// Expert parallelism, simulated: experts placed on G GPUs (N per node), tokens on
// contiguous data-parallel shards, and the all-to-all bytes and time that the
// routing's kept assignments cost in dispatch and combine.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "routing.hpp"

namespace moe {

enum class Placement { Contiguous, RoundRobin, LoadAware };
enum class SimDtype { Fp32, Bf16, Fp16, Fp8 };

struct ClusterConfig {
    int gpus = 1;
    int gpusPerNode = 8;
    Placement placement = Placement::Contiguous;
    int simHidden = 4096;           // hidden size on the wire
    int simFfnHidden = 0;           // expert FFN width for compute time; 0 = 4 * simHidden
    SimDtype dtype = SimDtype::Bf16;
    double intraBwGBps = 450;       // per GPU, per direction (H100 SXM NVLink)
    double interBwGBps = 50;        // per GPU, per direction (400 Gb/s InfiniBand)
    double intraLatencyUs = 2;
    double interLatencyUs = 5;
    double gpuTflops = 400;         // sustained expert-FFN throughput per GPU
    bool dedupPerGpu = false;       // one copy per destination GPU for a token's experts there
    int replicateHot = 0;           // load-aware: extra replicas of the hottest experts
};

// Named topologies: "h100-nvlink" (8 GPUs a node, 450 GB/s NVLink, 50 GB/s IB)
// and "pcie" (8 GPUs a node on PCIe 4.0 x16: 25 GB/s, 12.5 GB/s between nodes).
void applyTopologyPreset(ClusterConfig& c, std::string_view name);
void validate(const ClusterConfig& c, int experts);
int elementBytes(SimDtype d);
std::string_view toString(Placement p);
std::string_view toString(SimDtype d);
Placement parsePlacement(std::string_view s, const std::string& flag = "--placement");
SimDtype parseSimDtype(std::string_view s, const std::string& flag = "--sim-dtype");

struct GpuTraffic {
    int gpu = 0;
    std::vector<int> experts;   // experts (or replicas) placed here
    int64_t sendBytes = 0;      // bytes leaving this GPU (dispatch + combine), local excluded
    int64_t recvBytes = 0;      // bytes arriving, local excluded
    int tokensComputed = 0;     // kept assignments computed here
    double dispatchUs = 0, computeUs = 0, combineUs = 0;
};

struct Traffic {
    int gpus = 1, gpusPerNode = 8;
    std::vector<std::vector<int64_t>> dispatchBytes;  // [src][dst], diagonal = local
    std::vector<std::vector<int64_t>> combineBytes;   // [expert GPU][home GPU]: dispatch's transpose
    std::vector<std::vector<int>> dispatchTokens;     // [src][dst] assignments (or copies) sent
    int64_t localBytes = 0, intraNodeBytes = 0, interNodeBytes = 0;  // dispatch + combine
    double dispatchTimeUs = 0, combineTimeUs = 0, computeTimeUs = 0, totalTimeUs = 0;
    double dispatchBusBwGBps = 0;                     // nccl-tests AlltoAll: algbw * (n-1)/n
    int straggler = 0;                                // the GPU with the longest compute
    std::vector<GpuTraffic> perGpu;
    std::vector<std::vector<int>> expertGpus;         // [expert] the GPUs holding it
};

// GPU of each expert replica: [expert] -> GPUs. Load-aware placement balances `load`
// (per-expert assignments) greedily, replicating the hottest experts, and is never
// worse than contiguous on the busiest GPU's load.
std::vector<std::vector<int>> placeExperts(const ClusterConfig& c, const std::vector<int>& load);
int homeGpu(int token, int tokens, int gpus);  // floor(t * G / T)

Traffic simulateTraffic(const Routing& r, const ClusterConfig& c);

} // namespace moe
