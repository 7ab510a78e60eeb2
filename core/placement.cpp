#include "placement.hpp"

#include <algorithm>
#include <numeric>

#include "eplb.hpp"

namespace moe {
namespace {

std::vector<std::vector<int>> fixedPlacement(int E, int G, bool roundRobin) {
    std::vector<std::vector<int>> gpusOf(E);
    for (int e = 0; e < E; ++e) gpusOf[e] = {roundRobin ? e % G : static_cast<int>(int64_t(e) * G / E)};
    return gpusOf;
}

}  // namespace

double busiestGpuLoad(const std::vector<std::vector<int>>& gpusOf, const std::vector<int>& load, int G) {
    std::vector<double> per(G, 0.0);
    for (size_t e = 0; e < gpusOf.size(); ++e)
        for (int g : gpusOf[e]) per[g] += double(load[e]) / gpusOf[e].size();
    return *std::max_element(per.begin(), per.end());
}

std::vector<std::vector<int>> placeExperts(const ClusterConfig& c, const std::vector<int>& load) {
    const int E = static_cast<int>(load.size()), G = c.gpus;
    if (c.placement == Placement::Eplb) return eplbPlacement(c, load);
    if (c.placement != Placement::LoadAware) return fixedPlacement(E, G, c.placement == Placement::RoundRobin);
    // Greedy longest-processing-time with equal slots per GPU, the hottest experts split
    // into two replicas first (DeepSeek's expert-parallel load balancer, simplified).
    std::vector<int> order(E);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return load[a] > load[b]; });
    struct Item {
        int expert;
        double load;
    };
    std::vector<Item> items;
    for (int i = 0; i < E; ++i) {
        const int e = order[i];
        const int copies = i < c.replicateHot ? 2 : 1;
        for (int r = 0; r < copies; ++r) items.push_back({e, double(load[e]) / copies});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.load > b.load; });
    const int slots = static_cast<int>((items.size() + G - 1) / G);
    std::vector<double> gpuLoad(G, 0.0);
    std::vector<int> used(G, 0);
    std::vector<std::vector<int>> gpusOf(E);
    for (const Item& it : items) {
        int best = -1;
        for (int g = 0; g < G; ++g) {
            if (used[g] >= slots) continue;
            const bool hasIt =
                std::find(gpusOf[it.expert].begin(), gpusOf[it.expert].end(), g) != gpusOf[it.expert].end();
            if (hasIt) continue;  // two replicas on one GPU would balance nothing
            if (best < 0 || gpuLoad[g] < gpuLoad[best]) best = g;
        }
        if (best < 0) best = static_cast<int>(std::min_element(gpuLoad.begin(), gpuLoad.end()) - gpuLoad.begin());
        gpusOf[it.expert].push_back(best);
        gpuLoad[best] += it.load;
        ++used[best];
    }
    for (auto& g : gpusOf) std::sort(g.begin(), g.end());
    // Greedy is a heuristic: keep contiguous when it is at least as balanced.
    const auto contiguous = fixedPlacement(E, G, false);
    if (busiestGpuLoad(contiguous, load, G) <= busiestGpuLoad(gpusOf, load, G)) return contiguous;
    return gpusOf;
}

}  // namespace moe
