#pragma once
// Which simulated GPU holds which expert (expert parallelism).
#include <vector>

#include "cluster.hpp"

namespace moe {

// GPU of each expert replica: [expert] -> GPUs. Contiguous: floor(e*G/E); round-robin:
// e mod G. Load-aware placement balances `load` (per-expert assignments) greedily,
// replicating the hottest experts, and is kept only when its busiest GPU carries less
// than contiguous placement's. Eplb: DeepSeek's balancer (eplb.hpp); InputError
// ("--replicate") when E + R is not a multiple of G.
std::vector<std::vector<int>> placeExperts(const ClusterConfig& c, const std::vector<int>& load);

// The load of the busiest GPU under a placement (replicas share their expert's load).
double busiestGpuLoad(const std::vector<std::vector<int>>& gpusOf, const std::vector<int>& load, int gpus);

}  // namespace moe
