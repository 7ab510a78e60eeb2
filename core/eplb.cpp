#include "eplb.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "errors.hpp"
#include "tie_sort.hpp"

namespace moe {
namespace {

// eplb.py computes in float32 (weight.float()); so does this file, so that sums and
// loads / replica counts round, and therefore tie, exactly as there.
struct Packing {
    std::vector<int> pack, rank;  // [items] the pack of each item, its place in the pack
};

// eplb.py's balanced_packing: items heaviest first, each to the lightest pack with room, the
// first such pack on a tie (Python's min). Every pack gets items / packs of them. The order
// of equal weights is torch.sort's on the CPU: libstdc++'s std::sort of (weight, index)
// pairs by weight (PyTorch's sort kernel, unstable), on every platform (tie_sort.hpp).
Packing balancedPacking(const std::vector<float>& weight, int packs) {
    const int n = static_cast<int>(weight.size()), perPack = n / packs;
    Packing out{std::vector<int>(n), std::vector<int>(n, 0)};
    if (perPack == 1) {
        std::iota(out.pack.begin(), out.pack.end(), 0);
        return out;
    }
    std::vector<std::pair<float, int>> byWeight(n);
    for (int i = 0; i < n; ++i) byWeight[i] = {weight[i], i};
    sortHeaviestFirst(byWeight);
    std::vector<float> packWeight(packs, 0.0f);
    std::vector<int> packItems(packs, 0);
    for (const auto& [w, item] : byWeight) {
        int best = -1;
        for (int p = 0; p < packs; ++p)
            if (packItems[p] < perPack && (best < 0 || packWeight[p] < packWeight[best])) best = p;
        out.pack[item] = best;
        out.rank[item] = packItems[best]++;
        packWeight[best] += weight[item];
    }
    return out;
}

// eplb.py's replicate_experts: each extra replica goes to the expert with the largest
// load per replica (torch.max: the first on a tie).
EplbPlan replicateExperts(const std::vector<float>& weight, int physical) {
    const int logical = static_cast<int>(weight.size());
    EplbPlan plan{std::vector<int>(physical), std::vector<int>(physical, 0), std::vector<int>(logical, 1)};
    std::iota(plan.physicalToLogical.begin(), plan.physicalToLogical.begin() + logical, 0);
    for (int i = logical; i < physical; ++i) {
        int best = 0;
        for (int e = 1; e < logical; ++e)
            if (weight[e] / float(plan.logicalCount[e]) > weight[best] / float(plan.logicalCount[best])) best = e;
        plan.physicalToLogical[i] = best;
        plan.replicaRank[i] = plan.logicalCount[best]++;
    }
    return plan;
}

// Step 1 of the hierarchical policy: expert groups packed onto nodes. Returns mlog2log:
// the experts in node order (node n holds positions [n*E/nodes, (n+1)*E/nodes)).
std::vector<int> groupsOntoNodes(const std::vector<float>& weight, int groups, int nodes) {
    const int E = static_cast<int>(weight.size()), groupSize = E / groups, groupsPerNode = groups / nodes;
    std::vector<float> groupLoad(groups, 0.0f);
    for (int e = 0; e < E; ++e) groupLoad[e / groupSize] += weight[e];
    const Packing p = balancedPacking(groupLoad, nodes);
    std::vector<int> nodeOrderToExpert(E);
    for (int e = 0; e < E; ++e) {
        const int g = e / groupSize;
        nodeOrderToExpert[(p.pack[g] * groupsPerNode + p.rank[g]) * groupSize + e % groupSize] = e;
    }
    return nodeOrderToExpert;
}

// Steps 2 and 3 for one node: its experts replicated to `physical` replicas, which are
// packed onto its `gpus` GPUs. Writes the node's slice of `plan`, GPU by GPU.
void placeInNode(const std::vector<float>& weight, const std::vector<int>& experts, int physical, int gpus,
                 int firstSlot, EplbPlan& plan) {
    std::vector<float> nodeWeight(experts.size());
    for (size_t i = 0; i < experts.size(); ++i) nodeWeight[i] = weight[experts[i]];
    const EplbPlan rep = replicateExperts(nodeWeight, physical);
    std::vector<float> replicaLoad(physical);
    for (int p = 0; p < physical; ++p) {
        const int m = rep.physicalToLogical[p];
        replicaLoad[p] = nodeWeight[m] / float(rep.logicalCount[m]);
    }
    const Packing onGpus = balancedPacking(replicaLoad, gpus);
    const int perGpu = physical / gpus;
    for (int p = 0; p < physical; ++p) {
        const int slot = firstSlot + onGpus.pack[p] * perGpu + onGpus.rank[p];
        plan.physicalToLogical[slot] = experts[rep.physicalToLogical[p]];
        plan.replicaRank[slot] = rep.replicaRank[p];
    }
    for (size_t i = 0; i < experts.size(); ++i) plan.logicalCount[experts[i]] = rep.logicalCount[i];
}

EplbPlan hierarchical(const std::vector<float>& weight, int replicas, int groups, int nodes, int gpus) {
    const int E = static_cast<int>(weight.size()), perNode = E / nodes, physicalPerNode = replicas / nodes;
    const std::vector<int> order = groupsOntoNodes(weight, groups, nodes);
    EplbPlan plan{std::vector<int>(replicas), std::vector<int>(replicas), std::vector<int>(E)};
    for (int n = 0; n < nodes; ++n) {
        const std::vector<int> experts(order.begin() + n * perNode, order.begin() + (n + 1) * perNode);
        placeInNode(weight, experts, physicalPerNode, gpus / nodes, n * physicalPerNode, plan);
    }
    return plan;
}

}  // namespace

EplbPlan rebalanceExperts(const std::vector<float>& weight, int replicas, int groups, int nodes, int gpus) {
    if (groups % nodes == 0) return hierarchical(weight, replicas, groups, nodes, gpus);
    return hierarchical(weight, replicas, 1, 1, gpus);  // eplb.py's global policy
}

EplbShape eplbShape(const ClusterConfig& c, int experts) {
    EplbShape s;
    s.gpus = std::max(1, c.gpus);
    s.replicas = experts + std::max(0, c.replicateHot);
    const int N = std::max(1, c.gpusPerNode);
    s.nodes = s.gpus % N == 0 ? s.gpus / N : 1;
    s.groups = c.expertGroups >= 1 && experts % c.expertGroups == 0 ? c.expertGroups : 1;
    return s;
}

std::string eplbProblem(const ClusterConfig& c, int experts) {
    const EplbShape s = eplbShape(c, experts);
    if (experts < 1 || s.replicas % s.gpus == 0) return "";
    std::vector<int> work;  // --replicate's range is 0..E
    for (int r = 0; r <= experts; ++r)
        if ((experts + r) % s.gpus == 0) work.push_back(r);
    std::string msg = "eplb needs E + R = " + std::to_string(experts) + " + " + std::to_string(s.replicas - experts) +
                      " experts to be a multiple of --gpus " + std::to_string(s.gpus);
    if (work.empty()) return msg + ", and no --replicate from 0 to " + std::to_string(experts) + " makes it one";
    msg += "; --replicate ";
    for (size_t i = 0; i < work.size() && i < 4; ++i) msg += (i ? ", " : "") + std::to_string(work[i]);
    return msg + (work.size() > 4 ? ", ... work" : (work.size() > 1 ? " work" : " works"));
}

void fitEplbReplicas(ClusterConfig& c, int experts) {
    const int G = std::max(1, c.gpus), R = std::clamp(c.replicateHot, 0, std::max(0, experts));
    for (int d = 0; d <= experts; ++d)
        for (int r : {R + d, R - d})
            if (r >= 0 && r <= experts && (experts + r) % G == 0) {
                c.replicateHot = r;
                return;
            }
    c.placement = Placement::Contiguous;
}

std::vector<std::vector<int>> eplbPlacement(const ClusterConfig& c, const std::vector<int>& load) {
    const int E = static_cast<int>(load.size());
    if (const std::string p = eplbProblem(c, E); !p.empty()) throw InputError("--replicate", p);
    const EplbShape s = eplbShape(c, E);
    const std::vector<float> weight(load.begin(), load.end());
    const EplbPlan plan = rebalanceExperts(weight, s.replicas, s.groups, s.nodes, s.gpus);
    std::vector<std::vector<int>> gpusOf(E);
    for (int e = 0; e < E; ++e) gpusOf[e].resize(plan.logicalCount[e]);
    const int perGpu = s.replicas / s.gpus;
    for (int p = 0; p < s.replicas; ++p) gpusOf[plan.physicalToLogical[p]][plan.replicaRank[p]] = p / perGpu;
    return gpusOf;
}

}  // namespace moe
