#include "traffic.hpp"

#include <algorithm>
#include <cmath>

#include "eplb.hpp"
#include "placement.hpp"

namespace moe {

int homeGpu(int t, int T, int G) { return T > 0 ? static_cast<int>(int64_t(t) * G / T) : 0; }

int forwardingGpu(int home, int node, int G, int N) {
    const int first = node * N, size = std::min(N, G - first);
    return first + (home % N) % size;
}

namespace {

using Matrix = std::vector<std::vector<int64_t>>;

// One phase of point-to-point sends: each GPU sends and receives at once over NVLink and
// the network; a link class costs one latency per message plus bytes / bandwidth; the
// phase ends when its slowest GPU is done. Returns that time, adds messages and bytes.
double phaseTime(const Matrix& m, const ClusterConfig& c, std::vector<double>* perGpu, AllToAllCost& cost) {
    const int G = static_cast<int>(m.size()), N = std::max(1, c.gpusPerNode);
    double slowest = 0;
    for (int g = 0; g < G; ++g) {
        int64_t bytes[4] = {0, 0, 0, 0};  // send intra, send inter, receive intra, receive inter
        int msgs[4] = {0, 0, 0, 0};
        for (int o = 0; o < G; ++o) {
            if (o == g) continue;
            const int inter = o / N != g / N;
            if (m[g][o]) {
                bytes[inter] += m[g][o];
                ++msgs[inter];
            }
            if (m[o][g]) {
                bytes[2 + inter] += m[o][g];
                ++msgs[2 + inter];
            }
        }
        const auto link = [&](int i, double bw, double lat) { return msgs[i] * lat + bytes[i] / (bw * 1e3); };
        const double t = std::max({link(0, c.intraBwGBps, c.intraLatencyUs), link(1, c.interBwGBps, c.interLatencyUs),
                                   link(2, c.intraBwGBps, c.intraLatencyUs), link(3, c.interBwGBps, c.interLatencyUs)});
        if (perGpu) (*perGpu)[g] += t;
        slowest = std::max(slowest, t);
        cost.messages += msgs[0] + msgs[1];
        cost.intraNodeBytes += bytes[0];
        cost.interNodeBytes += bytes[1];
    }
    return slowest;
}

Matrix transpose(const Matrix& m) {
    Matrix t(m.size(), std::vector<int64_t>(m.size(), 0));
    for (size_t a = 0; a < m.size(); ++a)
        for (size_t b = 0; b < m.size(); ++b) t[b][a] = m[a][b];
    return t;
}

// Flat: dispatch and combine are one phase each.
AllToAllCost flatCost(const Matrix& d, const ClusterConfig& c, std::vector<double>& dispatchUs,
                      std::vector<double>& combineUs) {
    AllToAllCost cost;
    cost.dispatchUs = phaseTime(d, c, &dispatchUs, cost);
    cost.combineUs = phaseTime(transpose(d), c, &combineUs, cost);
    return cost;
}

// Tutel's 2D all-to-all: (1) inside each node, to the GPU whose local rank is the
// destination's; (2) between nodes, among GPUs of one local rank, one message per node.
// Combine runs the same steps backwards.
AllToAllCost hierarchicalCost(const Matrix& d, const ClusterConfig& c) {
    const int G = static_cast<int>(d.size()), N = std::max(1, c.gpusPerNode);
    Matrix inside(G, std::vector<int64_t>(G, 0)), between(G, std::vector<int64_t>(G, 0));
    for (int s = 0; s < G; ++s)
        for (int t = 0; t < G; ++t) {
            if (!d[s][t]) continue;
            const int relay = (s / N) * N + t % N;  // in s's node, with t's local rank
            if (relay >= G) {                       // a partial last node lacks that rank: go straight
                inside[s][t] += d[s][t];
                continue;
            }
            inside[s][relay] += d[s][t];
            if (relay != t) between[relay][t] += d[s][t];
        }
    AllToAllCost cost;
    cost.dispatchUs = phaseTime(inside, c, nullptr, cost) + phaseTime(between, c, nullptr, cost);
    cost.combineUs = phaseTime(transpose(between), c, nullptr, cost) + phaseTime(transpose(inside), c, nullptr, cost);
    return cost;
}

// DeepSeek-V2 (§2.2.3): device-level balance Σ f'_i P'_i with f'_i the mean f_j of device
// i's experts and P'_i the sum of their P_j; communication balance Σ f''_i P''_i with
// f''_i = D/(M·T) · tokens sent to device i. f_j = E/(k·T) · requested_j, P_j = mean score.
void deviceBalance(const Routing& r, Traffic& tr, int M) {
    const int T = r.tokens, E = r.experts, D = tr.gpus;
    // A routing without scores or counts (built by hand in a test) has nothing to weigh.
    if (T == 0 || E == 0 || int(r.requested.size()) != E || r.scores.rows() != T) return;
    std::vector<double> f(E), P(E, 0.0);
    for (int e = 0; e < E; ++e) f[e] = double(E) / (double(r.k) * T) * r.requested[e];
    for (int t = 0; t < T; ++t) {
        double sum = 0;
        for (int e = 0; e < E; ++e) sum += r.scores(t, e);
        for (int e = 0; e < E; ++e) P[e] += sum > 0 ? r.scores(t, e) / sum / T : 0.0;
    }
    std::vector<double> fDev(D, 0.0), pDev(D, 0.0);
    std::vector<int> count(D, 0), sentTo(D, 0);
    for (int e = 0; e < E; ++e) {
        const int d = tr.expertGpus[e].front();
        fDev[d] += f[e];
        pDev[d] += P[e];
        ++count[d];
    }
    std::vector<char> seen(D);
    for (int t = 0; t < T; ++t) {
        std::fill(seen.begin(), seen.end(), 0);
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (r.slotKept[s]) seen[tr.expertGpus[r.slotExpert[s]].front()] = 1;
        for (int d = 0; d < D; ++d) sentTo[d] += seen[d];
    }
    if (M <= 0) M = std::min(r.k, D);
    for (int d = 0; d < D; ++d) {
        if (count[d]) tr.deviceBalanceLoss += fDev[d] / count[d] * pDev[d];
        tr.commBalanceLoss += double(D) / (double(M) * T) * sentTo[d] * pDev[d];
    }
}

// Every kept assignment's copy of its token's vector, into tr.dispatchBytes and
// dispatchTokens. Straight from the token's home GPU to the expert's GPU (one copy per
// expert, or per GPU with dedup); with c.forwardInNode (DeepSeek-V3) another node gets
// one copy over the network, on forwardingGpu, which passes it on over NVLink.
void dispatchTokens(const Routing& r, const ClusterConfig& c, int64_t vec, Traffic& tr) {
    const int G = c.gpus, N = std::max(1, c.gpusPerNode);
    std::vector<int> replicaUse(r.experts, 0);
    std::vector<char> sentTo(G, 0), nodeReached((G + N - 1) / N, 0);
    const auto send = [&](int from, int to) {
        tr.dispatchBytes[from][to] += vec;
        ++tr.dispatchTokens[from][to];
    };
    for (int t = 0; t < r.tokens; ++t) {
        const int home = homeGpu(t, r.tokens, G);
        std::fill(sentTo.begin(), sentTo.end(), 0);
        std::fill(nodeReached.begin(), nodeReached.end(), 0);
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (!r.slotKept[s]) continue;
            const int e = r.slotExpert[s];
            const auto& gs = tr.expertGpus[e];
            // A replica on the token's own GPU if there is one, else take turns.
            int dst = gs[replicaUse[e]++ % gs.size()];
            if (std::find(gs.begin(), gs.end(), home) != gs.end()) dst = home;
            ++tr.perGpu[dst].tokensComputed;
            int from = home;
            if (c.forwardInNode && dst / N != home / N) {
                from = forwardingGpu(home, dst / N, G, N);
                if (!nodeReached[dst / N]) {  // over the network, once
                    nodeReached[dst / N] = 1;
                    send(home, from);
                }
                if (dst == from) continue;  // the network's copy serves the experts there
            }
            if (c.dedupPerGpu && sentTo[dst]) continue;  // the hidden vector is already there
            sentTo[dst] = 1;
            send(from, dst);
        }
    }
}

// Megatron's padding: every expert computes a full capacity, filled or not, and each GPU
// sends an equal share of every expert's slots (fixed-size buffers).
void dispatchPadded(const Routing& r, int G, int64_t vec, Traffic& tr) {
    for (int e = 0; e < r.experts; ++e) {
        const int copies = static_cast<int>(tr.expertGpus[e].size());
        const int slots = (r.capacity + copies - 1) / copies, share = (slots + G - 1) / G;
        for (int d : tr.expertGpus[e]) {
            tr.perGpu[d].tokensComputed += slots;
            for (int src = 0; src < G; ++src) {
                tr.dispatchBytes[src][d] += share * vec;
                tr.dispatchTokens[src][d] += share;
            }
        }
    }
}

// Combine sends every result back the way it came (node-limited: summed on the forwarding
// GPU, which sends one vector back over the network); both directions counted by link.
void combineAndTotals(int G, int N, Traffic& tr) {
    tr.combineBytes.assign(G, std::vector<int64_t>(G, 0));
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) tr.combineBytes[b][a] = tr.dispatchBytes[a][b];
    const auto node = [&](int g) { return g / N; };
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            const int64_t both = tr.dispatchBytes[a][b] + tr.combineBytes[a][b];
            if (a == b)
                tr.localBytes += both;
            else if (node(a) == node(b))
                tr.intraNodeBytes += both;
            else
                tr.interNodeBytes += both;
        }
}

// The step's phases: the all-to-all's dispatch and combine (flat or 2D), each GPU's
// compute, the straggler, and nccl-tests' bus bandwidth.
void stepTimes(const ClusterConfig& c, Traffic& tr) {
    const int G = c.gpus;
    const double flopsPerAssignment = 2.0 * 2.0 * c.simHidden * c.ffnHidden();
    int64_t dispatchTotal = 0;
    std::vector<double> dispatchUs(G, 0.0), combineUs(G, 0.0);
    tr.flat = flatCost(tr.dispatchBytes, c, dispatchUs, combineUs);
    tr.hierarchical = hierarchicalCost(tr.dispatchBytes, c);
    const bool flat = c.allToAll == AllToAll::Flat;
    const AllToAllCost& used = flat ? tr.flat : tr.hierarchical;
    tr.dispatchTimeUs = used.dispatchUs;
    tr.combineTimeUs = used.combineUs;
    for (int g = 0; g < G; ++g) {
        GpuTraffic& p = tr.perGpu[g];
        for (int o = 0; o < G; ++o) {
            dispatchTotal += tr.dispatchBytes[g][o];  // nccl-tests counts a rank's own share too
            if (o == g) continue;
            p.sendBytes += tr.dispatchBytes[g][o] + tr.combineBytes[g][o];
            p.recvBytes += tr.dispatchBytes[o][g] + tr.combineBytes[o][g];
        }
        // A GPU's own phase times under the flat scheme; the 2D scheme's phases are shared.
        p.dispatchUs = flat ? dispatchUs[g] : used.dispatchUs;
        p.combineUs = flat ? combineUs[g] : used.combineUs;
        p.computeUs = p.tokensComputed * flopsPerAssignment / (c.gpuTflops * 1e6);
        if (p.computeUs > tr.perGpu[tr.straggler].computeUs) tr.straggler = g;
    }
    tr.computeTimeUs = tr.perGpu[tr.straggler].computeUs;
    tr.totalTimeUs = tr.dispatchTimeUs + tr.computeTimeUs + tr.combineTimeUs;
    // nccl-tests AlltoAll: algbw = bytes per rank / time, busbw = algbw * (n-1)/n.
    if (tr.dispatchTimeUs > 0 && G > 1)
        tr.dispatchBusBwGBps = (double(dispatchTotal) / G) / (tr.dispatchTimeUs * 1e3) * (G - 1) / G;
}

}  // namespace

Traffic simulateTraffic(const Routing& r, const ClusterConfig& c, int deviceLimit) {
    const int G = c.gpus, N = std::max(1, c.gpusPerNode), E = r.experts;
    Traffic tr;
    tr.gpus = G;
    tr.gpusPerNode = N;
    tr.forwardedInNode = c.forwardInNode && !r.padded;
    tr.dispatchBytes.assign(G, std::vector<int64_t>(G, 0));
    tr.dispatchTokens.assign(G, std::vector<int>(G, 0));
    tr.perGpu.resize(G);
    for (int g = 0; g < G; ++g) tr.perGpu[g].gpu = g;

    std::vector<int> load(E, 0);
    for (int s = 0; s < r.slotCount(); ++s)
        if (r.slotKept[s]) ++load[r.slotExpert[s]];
    // EPLB balances the load statistics: the assignments routed to each expert, before capacity.
    const bool requestedLoad = c.placement == Placement::Eplb && int(r.requested.size()) == E;
    tr.expertGpus = placeExperts(c, requestedLoad ? r.requested : load);
    for (int e = 0; e < E; ++e)
        for (int g : tr.expertGpus[e]) tr.perGpu[g].experts.push_back(e);

    const int64_t vec = int64_t(c.simHidden) * elementBytes(c.dtype);
    if (r.padded)
        dispatchPadded(r, G, vec, tr);
    else
        dispatchTokens(r, c, vec, tr);
    combineAndTotals(G, N, tr);
    stepTimes(c, tr);
    deviceBalance(r, tr, deviceLimit);
    return tr;
}

std::vector<PlacementOutcome> comparePlacements(const Routing& r, const ClusterConfig& c, int deviceLimit) {
    std::vector<PlacementOutcome> out;
    for (size_t i = 0; i < EnumNames<Placement>::names.size(); ++i) {
        PlacementOutcome o;
        o.placement = static_cast<Placement>(i);
        ClusterConfig pc = c;
        pc.placement = o.placement;
        if (o.placement == Placement::Eplb) o.error = eplbProblem(pc, r.experts);
        if (o.error.empty()) {
            const Traffic t = simulateTraffic(r, pc, deviceLimit);
            int64_t total = 0;
            for (const GpuTraffic& g : t.perGpu) {
                o.maxGpuLoad = std::max(o.maxGpuLoad, g.tokensComputed);
                total += g.tokensComputed;
            }
            o.meanGpuLoad = double(total) / std::max(1, t.gpus);
            o.maxOverMean = o.meanGpuLoad > 0 ? o.maxGpuLoad / o.meanGpuLoad : 0.0;
            o.intraNodeBytes = t.intraNodeBytes;
            o.interNodeBytes = t.interNodeBytes;
            o.dispatchTimeUs = t.dispatchTimeUs;
            o.totalTimeUs = t.totalTimeUs;
        }
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace moe
