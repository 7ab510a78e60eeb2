#include "traffic.hpp"

#include <algorithm>
#include <cmath>

#include "placement.hpp"

namespace moe {

int homeGpu(int t, int T, int G) { return T > 0 ? static_cast<int>(int64_t(t) * G / T) : 0; }

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
    const double ffn = c.ffnHidden();
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
