#pragma once
// DeepSeek's expert-parallel load balancer (github.com/deepseek-ai/EPLB, eplb.py), for one
// layer: which experts get extra replicas and which GPU each replica lands on.
#include <string>
#include <vector>

#include "cluster.hpp"

namespace moe {

// eplb.py's rebalance_experts for one layer. Physical expert p lives on GPU
// p / (numReplicas / numGpus).
struct EplbPlan {
    std::vector<int> physicalToLogical;  // [numReplicas] the expert of each physical slot
    std::vector<int> replicaRank;        // [numReplicas] which replica of its expert it is
    std::vector<int> logicalCount;       // [experts] replicas of each expert
};

// Hierarchical policy when numGroups % numNodes == 0 (groups packed onto nodes, experts
// replicated inside each node, replicas packed onto the node's GPUs), else the global one.
// Needs numReplicas % numGpus == 0, numGpus % numNodes == 0 and experts % numGroups == 0.
EplbPlan rebalanceExperts(const std::vector<float>& weight, int numReplicas, int numGroups, int numNodes, int numGpus);

// moelab's settings as EPLB's: replicas E + R (R = --replicate), nodes G / N when N divides
// G (else 1), groups the router's when they divide E (else 1).
struct EplbShape {
    int replicas = 0, groups = 1, nodes = 1, gpus = 1;
};
EplbShape eplbShape(const ClusterConfig& c, int experts);

// Why EPLB cannot place E experts on c's GPUs ("" when it can): the message names
// --replicate and the values that work.
std::string eplbProblem(const ClusterConfig& c, int experts);
// The app's repair of that problem: the nearest --replicate in 0..E that works (upwards
// first), or contiguous placement when none does.
void fitEplbReplicas(ClusterConfig& c, int experts);

// [expert] -> the GPU of each of its replicas, in replica-rank order (a GPU may hold two
// replicas of one expert: EPLB does not forbid it). `load`: per-expert assignments.
std::vector<std::vector<int>> eplbPlacement(const ClusterConfig& c, const std::vector<int>& load);

}  // namespace moe
