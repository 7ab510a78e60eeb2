// ASTRA-sim's configurations for an export, in the formats of its examples at 4f387bc
// (examples/network/analytical/*.yml, examples/system/native_collectives/*.json,
// examples/remote_memory/analytical/no_memory_expansion.json).
#include <algorithm>
#include <cstdio>
#include <string>

#include "astra_export.hpp"

namespace moe::astra {
namespace {

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    std::string s = buf;
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

// A Switch charges two hops (NPU -> switch -> NPU): half of moelab's per-message latency
// on each, so one message costs moelab's latency.
std::string hopLatencyNs(double latencyUs) { return number(latencyUs * 1000.0 / 2.0); }

}  // namespace

std::string networkYaml(const ClusterConfig& c) {
    const int N = std::max(1, std::min(c.gpusPerNode, c.gpus)), nodes = (c.gpus + N - 1) / N;
    std::string y = "# moelab export-astra: ASTRA-sim analytical network (GB/s per GPU and direction, ns per hop)\n";
    if (nodes == 1) {
        y += "topology: [ Switch ]\nnpus_count: [ " + std::to_string(c.gpus) + " ]\n";
        y += "bandwidth: [ " + number(c.intraBwGBps) + " ]\nlatency: [ " + hopLatencyNs(c.intraLatencyUs) + " ]\n";
        return y;
    }
    y += "topology: [ Switch, Switch ]\nnpus_count: [ " + std::to_string(N) + ", " + std::to_string(nodes) + " ]\n";
    y += "bandwidth: [ " + number(c.intraBwGBps) + ", " + number(c.interBwGBps) + " ]\n";
    y += "latency: [ " + hopLatencyNs(c.intraLatencyUs) + ", " + hopLatencyNs(c.interLatencyUs) + " ]\n";
    return y;
}

// The congestion-aware backend takes one dimension only: every GPU on one switch at the
// network's bandwidth and latency (exact for the traffic between nodes, slow for NVLink's).
std::string flatNetworkYaml(const ClusterConfig& c) {
    std::string y = "# moelab export-astra: one switch for ASTRA-sim's congestion-aware backend (1-D only)\n";
    y += "topology: [ Switch ]\nnpus_count: [ " + std::to_string(c.gpus) + " ]\n";
    y += "bandwidth: [ " + number(c.interBwGBps) + " ]\nlatency: [ " + hopLatencyNs(c.interLatencyUs) + " ]\n";
    return y;
}

// The roofline is on so that a COMP node's time is num_ops / peak-perf (moelab's TFLOP/s),
// not its duration rounded to whole microseconds. endpoint-delay 1 ns: at 0 a collective's
// events fall on one tick and the analytical event queue aborts.
std::string systemJson(const ClusterConfig& c, int dims) {
    std::string j = "{\n";
    j += "    \"scheduling-policy\": \"LIFO\",\n    \"endpoint-delay\": 1,\n";
    j += "    \"active-chunks-per-dimension\": 1,\n    \"preferred-dataset-splits\": 1,\n";
    const auto perDim = [&](const char* name) {
        std::string list;
        for (int d = 0; d < dims; ++d) list += d ? ", \"" + std::string(name) + "\"" : "\"" + std::string(name) + "\"";
        return "[" + list + "]";
    };
    for (const char* op : {"all-reduce", "all-gather", "reduce-scatter"})
        j += "    \"" + std::string(op) + "-implementation\": " + perDim("ring") + ",\n";
    j += "    \"all-to-all-implementation\": " + perDim("direct") + ",\n";
    j += "    \"collective-optimization\": \"localBWAware\",\n";
    j += "    \"local-mem-bw\": 3350,\n    \"boost-mode\": 0,\n";
    j += "    \"roofline-enabled\": 1,\n    \"peak-perf\": " + number(c.gpuTflops) + "\n}\n";
    return j;
}

std::string memoryJson() { return "{\n    \"memory-type\": \"NO_MEMORY_EXPANSION\"\n}\n"; }

std::string runScript() {
    return R"SH(#!/bin/sh
# moelab export-astra: runs this directory's workload on ASTRA-sim 2.0's analytical backend.
#   ./run.sh ASTRA_SIM_BINARY > astra.log   then   moelab route [same flags] --astra-log astra.log --json
# The congestion-aware backend takes a 1-D network only: it gets network_1d.yml and
# system_1d.json when there are several nodes.
set -e
if [ $# -ne 1 ]; then echo "usage: $0 ASTRA_SIM_BINARY" >&2; exit 2; fi
dir=$(cd "$(dirname "$0")" && pwd)
network="$dir/network.yml"
system="$dir/system.json"
case "$(basename "$1")" in
  *Congestion_Aware*) if [ -f "$dir/network_1d.yml" ]; then network="$dir/network_1d.yml"; system="$dir/system_1d.json"; fi ;;
esac
exec "$1" --workload-configuration="$dir/workload" --system-configuration="$system" \
  --remote-memory-configuration="$dir/memory.json" --network-configuration="$network"
)SH";
}

}  // namespace moe::astra
