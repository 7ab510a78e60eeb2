#pragma once
// The simulated cluster of expert parallelism: G GPUs, N to a node, their links and
// speed, and how experts are spread over them (placement.hpp, traffic.hpp).
#include <array>
#include <span>
#include <string>
#include <string_view>

#include "config.hpp"

namespace moe {

enum class Placement { Contiguous, RoundRobin, LoadAware, Eplb };
enum class SimDtype { Fp32, Bf16, Fp16, Fp8 };
// Flat: every GPU sends to every other directly. Hierarchical (Tutel's 2D all-to-all):
// first inside the node, to the GPU with the destination's local rank, then one message
// per node between GPUs of the same local rank.
enum class AllToAll { Flat, Hierarchical };
template <>
struct EnumNames<Placement> {
    static constexpr std::array<std::string_view, 4> names{"contiguous", "round-robin", "load-aware", "eplb"};
};
template <>
struct EnumNames<AllToAll> {
    static constexpr std::array<std::string_view, 2> names{"flat", "hierarchical"};
};
template <>
struct EnumNames<SimDtype> {
    static constexpr std::array<std::string_view, 4> names{"fp32", "bf16", "fp16", "fp8"};
};

struct ClusterConfig {
    int gpus = 1;
    int gpusPerNode = 8;
    Placement placement = Placement::Contiguous;
    int simHidden = 4096;  // hidden size on the wire
    int simFfnHidden = 0;  // expert FFN width for compute time; 0 = 4 * simHidden
    SimDtype dtype = SimDtype::Bf16;
    double intraBwGBps = 450;  // per GPU, per direction (H100 SXM NVLink)
    double interBwGBps = 50;   // per GPU, per direction (400 Gb/s InfiniBand)
    double intraLatencyUs = 2;
    double interLatencyUs = 5;
    double gpuTflops = 400;    // sustained expert-FFN throughput per GPU
    bool dedupPerGpu = false;  // one copy per destination GPU for a token's experts there
    // DeepSeek-V3's node-limited dispatch (set with --route-groups nodes): one copy of a token
    // per remote node over the network, forwarded inside that node over NVLink (traffic.hpp).
    bool forwardInNode = false;
    int replicateHot = 0;                // load-aware and eplb: extra replicas of the hottest experts
    int expertGroups = 1;                // the router's expert groups: EPLB packs them onto nodes
    AllToAll allToAll = AllToAll::Flat;  // which scheme the step's time uses (both are reported)

    double ffnHidden() const { return simFfnHidden > 0 ? simFfnHidden : 4.0 * simHidden; }
};

// A named topology (--topology NAME, the app's buttons): one table, in cluster.cpp.
struct TopologyPreset {
    const char* name;         // "h100-nvlink"
    const char* description;  // English; the app's translations have the Chinese
    int gpusPerNode;
    double intraBwGBps, interBwGBps, intraLatencyUs, interLatencyUs, gpuTflops;
};
std::span<const TopologyPreset> topologyPresets();
std::string topologyNames();  // "h100-nvlink|pcie", for messages and help
// Sets gpus-per-node, bandwidths, latencies and TFLOP/s; InputError("--topology") for an unknown name.
void applyTopologyPreset(ClusterConfig& c, std::string_view name);
int elementBytes(SimDtype d);

}  // namespace moe
