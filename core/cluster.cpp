#include "cluster.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

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

std::string_view toString(Placement p) {
    return p == Placement::Contiguous ? "contiguous" : p == Placement::RoundRobin ? "round-robin" : "load-aware";
}
std::string_view toString(SimDtype d) {
    return d == SimDtype::Fp32 ? "fp32" : d == SimDtype::Bf16 ? "bf16" : d == SimDtype::Fp16 ? "fp16" : "fp8";
}
Placement parsePlacement(std::string_view s, const std::string& flag) {
    for (Placement p : {Placement::Contiguous, Placement::RoundRobin, Placement::LoadAware})
        if (toString(p) == s) return p;
    throw InputError(flag, "must be one of contiguous|round-robin|load-aware (got '" + std::string(s) + "')");
}
SimDtype parseSimDtype(std::string_view s, const std::string& flag) {
    for (SimDtype d : {SimDtype::Fp32, SimDtype::Bf16, SimDtype::Fp16, SimDtype::Fp8})
        if (toString(d) == s) return d;
    throw InputError(flag, "must be one of fp32|bf16|fp16|fp8 (got '" + std::string(s) + "')");
}

void applyTopologyPreset(ClusterConfig& c, std::string_view name) {
    if (name == "h100-nvlink") {
        c.gpusPerNode = 8, c.intraBwGBps = 450, c.interBwGBps = 50;  // NVLink 4; 400 Gb/s NDR per GPU
        c.intraLatencyUs = 2, c.interLatencyUs = 5, c.gpuTflops = 400;
    } else if (name == "pcie") {
        c.gpusPerNode = 8, c.intraBwGBps = 25, c.interBwGBps = 12.5;  // PCIe 4.0 x16; 100 Gb/s NIC
        c.intraLatencyUs = 5, c.interLatencyUs = 10, c.gpuTflops = 150;
    } else {
        throw InputError("--topology", "must be one of h100-nvlink|pcie (got '" + std::string(name) + "')");
    }
}

void validate(const ClusterConfig& c, int experts) {
    if (c.gpus < 1 || c.gpus > 4096) throw InputError("--gpus", "must be in 1..4096 (got " + std::to_string(c.gpus) + ")");
    if (c.gpusPerNode < 1) throw InputError("--gpus-per-node", "must be >= 1");
    if (c.gpus > experts + c.replicateHot)
        throw InputError("--gpus", "must be at most the expert count " + std::to_string(experts) + " (got " +
                                       std::to_string(c.gpus) + ")");
    if (c.simHidden < 1) throw InputError("--sim-hidden", "must be >= 1");
    for (auto [flag, v] : std::array<std::pair<const char*, double>, 5>{{{"--intra-bw", c.intraBwGBps},
                                                                         {"--inter-bw", c.interBwGBps},
                                                                         {"--gpu-tflops", c.gpuTflops},
                                                                         {"--intra-latency-us", c.intraLatencyUs + 1},
                                                                         {"--inter-latency-us", c.interLatencyUs + 1}}})
        if (!(v > 0) || !std::isfinite(v)) throw InputError(flag, "must be a positive number");
    if (c.replicateHot < 0 || c.replicateHot > experts)
        throw InputError("--replicate", "must be in 0..E (got " + std::to_string(c.replicateHot) + ")");
}

int homeGpu(int t, int T, int G) { return T > 0 ? static_cast<int>(int64_t(t) * G / T) : 0; }

namespace {

std::vector<std::vector<int>> fixedPlacement(int E, int G, bool roundRobin) {
    std::vector<std::vector<int>> gpusOf(E);
    for (int e = 0; e < E; ++e) gpusOf[e] = {roundRobin ? e % G : static_cast<int>(int64_t(e) * G / E)};
    return gpusOf;
}

double busiest(const std::vector<std::vector<int>>& gpusOf, const std::vector<int>& load, int G) {
    std::vector<double> per(G, 0.0);
    for (size_t e = 0; e < gpusOf.size(); ++e)
        for (int g : gpusOf[e]) per[g] += double(load[e]) / gpusOf[e].size();
    return *std::max_element(per.begin(), per.end());
}

} // namespace

std::vector<std::vector<int>> placeExperts(const ClusterConfig& c, const std::vector<int>& load) {
    const int E = static_cast<int>(load.size()), G = c.gpus;
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
            const bool hasIt = std::find(gpusOf[it.expert].begin(), gpusOf[it.expert].end(), g) != gpusOf[it.expert].end();
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
    if (busiest(contiguous, load, G) <= busiest(gpusOf, load, G)) return contiguous;
    return gpusOf;
}

Traffic simulateTraffic(const Routing& r, const ClusterConfig& c) {
    const int G = c.gpus, N = std::max(1, c.gpusPerNode), T = r.tokens, E = r.experts;
    Traffic tr;
    tr.gpus = G;
    tr.gpusPerNode = N;
    tr.dispatchBytes.assign(G, std::vector<int64_t>(G, 0));
    tr.dispatchTokens.assign(G, std::vector<int>(G, 0));
    tr.perGpu.resize(G);
    for (int g = 0; g < G; ++g) tr.perGpu[g].gpu = g;

    std::vector<int> load(E, 0);
    for (int s = 0; s < r.slotCount(); ++s)
        if (r.slotKept[s]) ++load[r.slotExpert[s]];
    tr.expertGpus = placeExperts(c, load);
    for (int e = 0; e < E; ++e)
        for (int g : tr.expertGpus[e]) tr.perGpu[g].experts.push_back(e);

    const int64_t vec = int64_t(c.simHidden) * elementBytes(c.dtype);
    std::vector<int> replicaUse(E, 0);
    std::vector<char> sentTo(G, 0);
    for (int t = 0; t < T; ++t) {
        const int home = homeGpu(t, T, G);
        std::fill(sentTo.begin(), sentTo.end(), 0);
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (!r.slotKept[s]) continue;
            const int e = r.slotExpert[s];
            const auto& gs = tr.expertGpus[e];
            // A replica on the token's own GPU if there is one, else take turns.
            int dst = gs[replicaUse[e]++ % gs.size()];
            if (std::find(gs.begin(), gs.end(), home) != gs.end()) dst = home;
            ++tr.perGpu[dst].tokensComputed;
            if (c.dedupPerGpu && sentTo[dst]) continue;  // the hidden vector is already there
            sentTo[dst] = 1;
            tr.dispatchBytes[home][dst] += vec;
            ++tr.dispatchTokens[home][dst];
        }
    }
    // Combine sends every result back the way it came.
    tr.combineBytes.assign(G, std::vector<int64_t>(G, 0));
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) tr.combineBytes[b][a] = tr.dispatchBytes[a][b];

    const auto node = [&](int g) { return g / N; };
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            const int64_t both = tr.dispatchBytes[a][b] + tr.combineBytes[a][b];
            if (a == b) tr.localBytes += both;
            else if (node(a) == node(b)) tr.intraNodeBytes += both;
            else tr.interNodeBytes += both;
        }

    // Time per phase: each GPU sends and receives over NVLink and the network at once;
    // a link class costs latency + bytes / bandwidth; the slowest GPU sets the pace.
    const auto phaseTime = [&](const std::vector<std::vector<int64_t>>& m, int g) {
        int64_t sendIntra = 0, sendInter = 0, recvIntra = 0, recvInter = 0;
        for (int o = 0; o < G; ++o) {
            if (o == g) continue;
            (node(o) == node(g) ? sendIntra : sendInter) += m[g][o];
            (node(o) == node(g) ? recvIntra : recvInter) += m[o][g];
        }
        const auto cost = [&](int64_t bytes, double bw, double lat) { return bytes ? lat + bytes / (bw * 1e3) : 0.0; };
        return std::max({cost(sendIntra, c.intraBwGBps, c.intraLatencyUs), cost(sendInter, c.interBwGBps, c.interLatencyUs),
                         cost(recvIntra, c.intraBwGBps, c.intraLatencyUs), cost(recvInter, c.interBwGBps, c.interLatencyUs)});
    };
    const double ffn = c.simFfnHidden > 0 ? c.simFfnHidden : 4.0 * c.simHidden;
    const double flopsPerAssignment = 2.0 * 2.0 * c.simHidden * ffn;
    int64_t dispatchTotal = 0;
    for (int g = 0; g < G; ++g) {
        GpuTraffic& p = tr.perGpu[g];
        for (int o = 0; o < G; ++o) {
            dispatchTotal += tr.dispatchBytes[g][o];  // nccl-tests counts a rank's own share too
            if (o == g) continue;
            p.sendBytes += tr.dispatchBytes[g][o] + tr.combineBytes[g][o];
            p.recvBytes += tr.dispatchBytes[o][g] + tr.combineBytes[o][g];
        }
        p.dispatchUs = phaseTime(tr.dispatchBytes, g);
        p.combineUs = phaseTime(tr.combineBytes, g);
        p.computeUs = p.tokensComputed * flopsPerAssignment / (c.gpuTflops * 1e6);
        tr.dispatchTimeUs = std::max(tr.dispatchTimeUs, p.dispatchUs);
        tr.combineTimeUs = std::max(tr.combineTimeUs, p.combineUs);
        if (p.computeUs > tr.perGpu[tr.straggler].computeUs) tr.straggler = g;
    }
    tr.computeTimeUs = tr.perGpu[tr.straggler].computeUs;
    tr.totalTimeUs = tr.dispatchTimeUs + tr.computeTimeUs + tr.combineTimeUs;
    // nccl-tests AlltoAll: algbw = bytes per rank / time, busbw = algbw * (n-1)/n.
    if (tr.dispatchTimeUs > 0 && G > 1)
        tr.dispatchBusBwGBps = (double(dispatchTotal) / G) / (tr.dispatchTimeUs * 1e3) * (G - 1) / G;
    return tr;
}

} // namespace moe
