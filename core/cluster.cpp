#include "cluster.hpp"

#include "errors.hpp"

#include <string>
#include <vector>

namespace moe {

int elementBytes(SimDtype d) {
    switch (d) {
        case SimDtype::Fp32:
            return 4;
        case SimDtype::Bf16:
        case SimDtype::Fp16:
            return 2;
        case SimDtype::Fp8:
            return 1;
    }
    return 2;
}

namespace {

// name, description, GPUs a node, GB/s inside and between nodes, latencies (µs), TFLOP/s
const TopologyPreset kTopologies[] = {
    // NVLink 4; 400 Gb/s NDR InfiniBand per GPU
    {"h100-nvlink", "8 GPUs a node, 450 GB/s NVLink, 50 GB/s (400 Gb/s) InfiniBand per GPU", 8, 450, 50, 2, 5, 400},
    // PCIe 4.0 x16; a 100 Gb/s NIC
    {"pcie", "8 GPUs a node on PCIe 4.0 x16 (25 GB/s), 100 Gb/s network", 8, 25, 12.5, 5, 10, 150},
};

}  // namespace

std::span<const TopologyPreset> topologyPresets() { return kTopologies; }

std::string topologyNames() {
    std::string out;
    for (const TopologyPreset& t : kTopologies) (out += out.empty() ? "" : "|") += t.name;
    return out;
}

void applyTopologyPreset(ClusterConfig& c, std::string_view name) {
    for (const TopologyPreset& t : kTopologies) {
        if (name != t.name) continue;
        c.gpusPerNode = t.gpusPerNode;
        c.intraBwGBps = t.intraBwGBps;
        c.interBwGBps = t.interBwGBps;
        c.intraLatencyUs = t.intraLatencyUs;
        c.interLatencyUs = t.interLatencyUs;
        c.gpuTflops = t.gpuTflops;
        return;
    }
    std::vector<std::string_view> names;
    for (const TopologyPreset& t : kTopologies) names.push_back(t.name);
    throwBadChoice("--topology", name, names.data(), names.size());
}

}  // namespace moe
