#include "cluster.hpp"

#include "errors.hpp"

namespace moe {

int elementBytes(SimDtype d) {
    switch (d) {
    case SimDtype::Fp32: return 4;
    case SimDtype::Bf16:
    case SimDtype::Fp16: return 2;
    case SimDtype::Fp8: return 1;
    }
    return 2;
}

void applyTopologyPreset(ClusterConfig& c, std::string_view name) {
    if (name == "h100-nvlink") {
        c.gpusPerNode = 8, c.intraBwGBps = 450, c.interBwGBps = 50;  // NVLink 4; 400 Gb/s NDR per GPU
        c.intraLatencyUs = 2, c.interLatencyUs = 5, c.gpuTflops = 400;
    } else if (name == "pcie") {
        c.gpusPerNode = 8, c.intraBwGBps = 25, c.interBwGBps = 12.5;  // PCIe 4.0 x16; 100 Gb/s NIC
        c.intraLatencyUs = 5, c.interLatencyUs = 10, c.gpuTflops = 150;
    } else {
        throwBadChoice("--topology", name, kTopologies.data(), kTopologies.size());
    }
}

} // namespace moe
