#pragma once
// The all-to-all handed to ASTRA-sim 2.0's analytical backend (issue #27, docs/astra-sim.md):
// one Chakra execution trace per simulated GPU plus the network, system and memory
// configurations and a run script, from moelab's own Traffic.
#include <string>
#include <vector>

#include "cluster.hpp"
#include "moelab_chakra.pb.h"
#include "traffic.hpp"

namespace moe::astra {

// Every trace's comm_tag per phase: a receive matches the send of the same phase.
inline constexpr int kDispatchTag = 1;
inline constexpr int kCombineTag = 2;

struct ExportOptions {
    // One uniform ALL_TO_ALL collective per phase instead of point-to-point sends, for comparison.
    bool collective = false;
};

// One GPU's trace: dispatch -> expert compute -> combine, in node order.
std::vector<ChakraProtoMsg::Node> rankNodes(const Traffic& t, const ClusterConfig& c, int rank,
                                            const ExportOptions& opt);
// A whole .et file: the GlobalMetadata, then the nodes, each as a varint length and the message.
std::string traceFile(const std::vector<ChakraProtoMsg::Node>& nodes);
// Writes DIR/workload.<rank>.et for every GPU, network.yml, system.json, memory.json and
// run.sh; InputError(dir, ...) when it cannot.
void exportAstra(const Traffic& t, const ClusterConfig& c, const ExportOptions& opt, const std::string& dir);

// The configurations (astra_config.cpp).
std::string networkYaml(const ClusterConfig& c);
int networkDims(const ClusterConfig& c);              // 2 with several nodes, else 1
std::string flatNetworkYaml(const ClusterConfig& c);  // one switch of every GPU (congestion-aware)
std::string systemJson(const ClusterConfig& c, int dims);
std::string memoryJson();
std::string runScript();

}  // namespace moe::astra
