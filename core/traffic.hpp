#pragma once
// Expert parallelism, simulated: experts placed on G GPUs (N per node), tokens on
// contiguous data-parallel shards, and the all-to-all bytes and time that the
// routing's kept assignments cost in dispatch and combine.
#include <cstdint>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "routing.hpp"

namespace moe {

struct GpuTraffic {
    int gpu = 0;
    std::vector<int> experts;  // experts (or replicas) placed here
    int64_t sendBytes = 0;     // bytes leaving this GPU (dispatch + combine), local excluded
    int64_t recvBytes = 0;     // bytes arriving, local excluded
    int tokensComputed = 0;    // kept assignments computed here
    double dispatchUs = 0, computeUs = 0, combineUs = 0;
};

// One all-to-all scheme's cost for the step: both phases, dispatch and combine.
struct AllToAllCost {
    int64_t intraNodeBytes = 0, interNodeBytes = 0;  // over links, dispatch + combine
    int messages = 0;                                // point-to-point sends, dispatch + combine
    double dispatchUs = 0, combineUs = 0;
};

struct Traffic {
    int gpus = 1, gpusPerNode = 8;
    // [src][dst], diagonal = local. With node-limited dispatch a copy for another node is
    // counted home -> forwarding GPU (network), then forwarding GPU -> expert GPU (NVLink).
    std::vector<std::vector<int64_t>> dispatchBytes;
    std::vector<std::vector<int64_t>> combineBytes;                  // [expert GPU][home GPU]: dispatch's transpose
    std::vector<std::vector<int>> dispatchTokens;                    // [src][dst] assignments (or copies) sent
    int64_t localBytes = 0, intraNodeBytes = 0, interNodeBytes = 0;  // dispatch + combine
    double dispatchTimeUs = 0, combineTimeUs = 0, computeTimeUs = 0, totalTimeUs = 0;
    double dispatchBusBwGBps = 0;  // nccl-tests AlltoAll: algbw * (n-1)/n
    int straggler = 0;             // the GPU with the longest compute
    std::vector<GpuTraffic> perGpu;
    std::vector<std::vector<int>> expertGpus;  // [expert] the GPUs holding it
    AllToAllCost flat, hierarchical;           // both schemes, side by side
    bool forwardedInNode = false;              // node-limited dispatch (ClusterConfig::forwardInNode)
    // DeepSeek-V2's device- and communication-balance losses (no coefficient; 1 when
    // balanced), with the GPUs as devices.
    double deviceBalanceLoss = 0, commBalanceLoss = 0;
};

int homeGpu(int token, int tokens, int gpus);  // floor(t * G / T)
// Node-limited dispatch (DeepSeek-V3, c.forwardInNode): the GPU of `node` that takes a
// token from GPU `home` over the network and forwards it over NVLink: the one with home's
// local index (home mod N), as DeepEP does; in a smaller last node, that index mod its size.
int forwardingGpu(int home, int node, int gpus, int gpusPerNode);

// deviceLimit: at most this many devices per token (DeepSeek-V2's M); 0: min(k, G).
Traffic simulateTraffic(const Routing& r, const ClusterConfig& c, int deviceLimit = 0);

// One placement's step beside the others' (route --json's traffic.placements, the app's
// GPUs view). GPU load = kept assignments computed on the GPU.
struct PlacementOutcome {
    Placement placement = Placement::Contiguous;
    std::string error;  // why the placement cannot be used here (EPLB's rule); the rest is then 0
    int maxGpuLoad = 0;
    double meanGpuLoad = 0, maxOverMean = 0;
    int64_t intraNodeBytes = 0, interNodeBytes = 0;
    double dispatchTimeUs = 0, totalTimeUs = 0;
};
// Every placement, in EnumNames order, with c's other settings (the same --replicate).
std::vector<PlacementOutcome> comparePlacements(const Routing& r, const ClusterConfig& c, int deviceLimit = 0);

}  // namespace moe
