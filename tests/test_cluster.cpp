#include <gtest/gtest.h>

#include <functional>
#include <set>

#include <numeric>

#include "backends/eigen_backend.hpp"
#include "data_dir.hpp"
#include "embedding.hpp"
#include "flags.hpp"
#include "layer.hpp"
#include "lesson.hpp"
#include "placement.hpp"
#include "router.hpp"
#include "settings_schema.hpp"
#include "traffic.hpp"
#include "test_support.hpp"
#include "errors.hpp"
#include "rng.hpp"

using namespace moe;

namespace {

// Kept assignments by hand: token t's experts; all kept.
Routing routing(int experts, const std::vector<std::vector<int>>& perToken) {
    Routing r;
    r.tokens = static_cast<int>(perToken.size());
    r.experts = experts;
    r.slotBegin = {0};
    for (const auto& es : perToken) {
        for (int e : es) {
            r.slotExpert.push_back(e);
            r.slotWeight.push_back(1.0f);
        }
        r.slotBegin.push_back(static_cast<int>(r.slotExpert.size()));
    }
    r.slotKept.assign(r.slotExpert.size(), 1);
    r.k = perToken.empty() ? 1 : static_cast<int>(perToken[0].size());
    return r;
}

Routing randomRouting(int T, int E, int k, uint64_t seed) {
    Rng rng(seed, "cluster");
    std::vector<std::vector<int>> per(T);
    for (auto& es : per)
        while (static_cast<int>(es.size()) < k) {
            // Skewed: low experts are hot, as in an unbalanced router.
            const int e = static_cast<int>(std::min<uint64_t>(rng.next() % E, rng.next() % E));
            if (std::find(es.begin(), es.end(), e) == es.end()) es.push_back(e);
        }
    Routing r = routing(E, per);
    for (int s = 0; s < r.slotCount(); s += 7) r.slotKept[s] = 0;  // some drops
    return r;
}

ClusterConfig twoGpus() {
    ClusterConfig c;
    c.gpus = 2;
    c.simHidden = 4;
    c.dtype = SimDtype::Fp32;  // 16 bytes a vector
    return c;
}

}  // namespace

TEST(Cluster, HandComputedFourTokensFourExpertsTwoGpus) {
    // Homes: t0,t1 on GPU 0; t2,t3 on GPU 1. Experts 0,1 on GPU 0; 2,3 on GPU 1.
    const Routing r = routing(4, {{0}, {2}, {1}, {3}});
    const Traffic t = simulateTraffic(r, twoGpus());
    EXPECT_EQ(t.dispatchBytes, (std::vector<std::vector<int64_t>>{{16, 16}, {16, 16}}));
    EXPECT_EQ(t.localBytes, 64);      // 2 local vectors each way
    EXPECT_EQ(t.intraNodeBytes, 64);  // t1: 0->1, t2: 1->0, and back
    EXPECT_EQ(t.interNodeBytes, 0);
    EXPECT_EQ(t.perGpu[0].experts, (std::vector<int>{0, 1}));
    EXPECT_EQ(t.perGpu[0].tokensComputed, 2);
    EXPECT_EQ(t.perGpu[0].sendBytes, 32);  // t1 out in dispatch, t2's result back in combine
    // Each phase: latency 2 us + 16 B / 450 GB/s.
    EXPECT_NEAR(t.dispatchTimeUs, 2 + 16 / 450e3, 1e-12);
    EXPECT_NEAR(t.combineTimeUs, t.dispatchTimeUs, 1e-12);
    // One GPU per node: the same bytes cross the network instead.
    ClusterConfig c = twoGpus();
    c.gpusPerNode = 1;
    const Traffic n = simulateTraffic(r, c);
    EXPECT_EQ(n.interNodeBytes, 64);
    EXPECT_EQ(n.intraNodeBytes, 0);
    EXPECT_NEAR(n.dispatchTimeUs, 5 + 16 / 50e3, 1e-12);
}

TEST(Cluster, RoundRobinPlacementAndDedup) {
    // t0 (GPU 0) goes to experts 1 and 3; round-robin puts both on GPU 1.
    const Routing r = routing(4, {{1, 3}, {0, 2}});
    ClusterConfig c = twoGpus();
    c.placement = Placement::RoundRobin;
    EXPECT_EQ(simulateTraffic(r, c).dispatchBytes[0][1], 32);
    c.dedupPerGpu = true;  // one copy per destination GPU
    const Traffic d = simulateTraffic(r, c);
    EXPECT_EQ(d.dispatchBytes[0][1], 16);
    EXPECT_EQ(d.dispatchBytes[1][0], 16);
    EXPECT_EQ(d.perGpu[1].tokensComputed, 2);  // both experts still compute
}

TEST(Cluster, BytesAreConserved) {
    for (int G : {1, 3, 8, 16}) {
        const Routing r = randomRouting(1000, 32, 4, G);
        ClusterConfig c;
        c.gpus = G;
        c.gpusPerNode = 4;
        const Traffic t = simulateTraffic(r, c);
        int kept = 0;
        for (uint8_t k : r.slotKept) kept += k;
        const int64_t vec = int64_t(c.simHidden) * 2;
        int64_t dispatch = 0, combine = 0;
        for (int a = 0; a < G; ++a)
            for (int b = 0; b < G; ++b) {
                dispatch += t.dispatchBytes[a][b];
                combine += t.combineBytes[a][b];
                EXPECT_EQ(t.combineBytes[b][a], t.dispatchBytes[a][b]);  // combine is the transpose
            }
        EXPECT_EQ(dispatch, kept * vec);  // each kept assignment once each way
        EXPECT_EQ(combine, kept * vec);
        EXPECT_EQ(t.localBytes + t.intraNodeBytes + t.interNodeBytes, 2 * kept * vec);
        int computed = 0;
        for (const auto& g : t.perGpu) computed += g.tokensComputed;
        EXPECT_EQ(computed, kept);
    }
}

TEST(Cluster, PlacementInvariants) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        Rng rng(seed, "loads");
        const int E = 8 + static_cast<int>(rng.next() % 57), G = 1 + static_cast<int>(rng.next() % 8);
        std::vector<int> load(E);
        for (int& l : load) l = static_cast<int>(rng.next() % 1000) * (rng.next() % 4 == 0 ? 10 : 1);
        for (Placement pl : {Placement::Contiguous, Placement::RoundRobin, Placement::LoadAware}) {
            ClusterConfig c;
            c.gpus = G;
            c.placement = pl;
            c.replicateHot = pl == Placement::LoadAware ? static_cast<int>(seed % 3) : 0;
            const auto p = placeExperts(c, load);
            ASSERT_EQ(static_cast<int>(p.size()), E);
            for (int e = 0; e < E; ++e) {
                ASSERT_FALSE(p[e].empty()) << "expert " << e << " unplaced";
                for (int g : p[e]) EXPECT_TRUE(g >= 0 && g < G);
            }
            if (pl == Placement::LoadAware) {  // equal slots, never two replicas of one expert on a GPU
                std::vector<int> held(G, 0);
                for (int e = 0; e < E; ++e) {
                    for (int g : p[e]) ++held[g];
                    EXPECT_EQ(std::set<int>(p[e].begin(), p[e].end()).size(), p[e].size());
                }
                const int slots = (E + c.replicateHot + G - 1) / G;
                for (int h : held) EXPECT_LE(h, slots);
            }
        }
    }
}

// The busiest GPU's load under the best placement of E experts, E/G on each GPU,
// found by trying every balanced split (small cases only).
double optimalBusiest(const std::vector<int>& load, int G) {
    const int E = static_cast<int>(load.size()), per = E / G;
    std::vector<int> gpuOf(E, -1), count(G, 0);
    std::vector<double> sum(G, 0);
    double best = 1e300;
    std::function<void(int)> place = [&](int e) {
        if (e == E) {
            best = std::min(best, *std::max_element(sum.begin(), sum.end()));
            return;
        }
        for (int g = 0; g < G; ++g) {
            if (count[g] == per) continue;
            ++count[g];
            sum[g] += load[e];
            if (*std::max_element(sum.begin(), sum.end()) < best) place(e + 1);
            --count[g];
            sum[g] -= load[e];
            if (count[g] == 0) break;  // empty GPUs are interchangeable
        }
    };
    place(0);
    return best;
}

TEST(Cluster, LoadAwareIsNearTheBestPlacement) {
    // Greedy longest-processing-time: within 4/3 of the optimum on random skewed loads,
    // where contiguous placement is often far off.
    double worstGreedy = 0, worstContiguous = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        Rng rng(seed, "skew");
        const int G = seed % 2 ? 2 : 4, E = 8;
        std::vector<int> load(E);
        for (int& l : load) l = 1 + static_cast<int>(rng.next() % 100) * (rng.next() % 3 == 0 ? 8 : 1);
        ClusterConfig c;
        c.gpus = G;
        c.placement = Placement::LoadAware;
        const double opt = optimalBusiest(load, G);
        worstGreedy = std::max(worstGreedy, busiestGpuLoad(placeExperts(c, load), load, G) / opt);
        c.placement = Placement::Contiguous;
        worstContiguous = std::max(worstContiguous, busiestGpuLoad(placeExperts(c, load), load, G) / opt);
    }
    EXPECT_LE(worstGreedy, 4.0 / 3.0);
    EXPECT_GT(worstContiguous, 4.0 / 3.0);  // the cases are hard enough to tell them apart
}

TEST(Cluster, LoadAwareBalancesASkewedLoad) {
    // Experts 0..3 hot on GPU 0 under contiguous placement; load-aware spreads them.
    std::vector<int> load = {100, 100, 100, 100, 1, 1, 1, 1};
    ClusterConfig c;
    c.gpus = 2;
    c.placement = Placement::LoadAware;
    const auto p = placeExperts(c, load);
    std::vector<int> per(2, 0);
    for (int e = 0; e < 8; ++e) per[p[e][0]] += load[e];
    EXPECT_EQ(per[0], 202);
    EXPECT_EQ(per[1], 202);
}

TEST(Cluster, TimeIsMonotoneInBandwidthAndBytes) {
    const Routing r = randomRouting(512, 16, 2, 3);
    ClusterConfig c;
    c.gpus = 8;
    c.gpusPerNode = 4;
    double last = 1e300;
    for (double bw : {10.0, 50.0, 100.0, 400.0}) {
        c.interBwGBps = bw;
        const double t = simulateTraffic(r, c).dispatchTimeUs;
        EXPECT_LE(t, last);
        last = t;
    }
    double prev = 0;
    for (int h : {512, 1024, 4096, 8192}) {
        c.simHidden = h;
        const double t = simulateTraffic(r, c).totalTimeUs;
        EXPECT_GE(t, prev);
        prev = t;
    }
}

TEST(Cluster, GroupLimitedRoutingCutsInterNodeBytes) {
    // Route 64 experts on 16 GPUs (2 nodes) with and without node-limited routing.
    Rng rng(5, "x");
    const int T = 512, E = 64, k = 4;
    Mat logits(T, E);
    for (int i = 0; i < logits.size(); ++i) logits.data()[i] = rng.normal();
    RouterConfig cfg;
    cfg.k = k;
    cfg.capacityFactor = 0;
    RouterLogits in;
    in.logits = logits;
    const Routing free = decideRouting(in, cfg, Vec::Zero(E));
    cfg.groups = 2;  // nodes
    cfg.topkGroups = 1;
    in.logits = logits;
    const Routing limited = decideRouting(in, cfg, Vec::Zero(E));
    ClusterConfig c;
    c.gpus = 16;
    c.gpusPerNode = 8;
    const auto a = simulateTraffic(free, c), b = simulateTraffic(limited, c);
    EXPECT_LT(b.interNodeBytes, a.interNodeBytes);
}

TEST(Cluster, NodeLimitedDispatchCrossesTheNetworkOncePerNode) {
    // 8 experts on 4 GPUs (expert e on GPU e/2), 2 GPUs a node: nodes {0,1} and {2,3}.
    // Token t lives on GPU t. 16-byte vectors. A copy for the other node goes over the
    // network to the GPU there with the sender's local index (t % 2), which forwards it.
    const Routing r = routing(8, {{4, 6, 7}, {0, 3, 5}, {1, 2, 4}, {6, 7, 5}});
    ClusterConfig c = twoGpus();
    c.gpus = 4;
    c.gpusPerNode = 2;
    c.forwardInNode = true;
    // t0 (GPU 0): network 0->2 (expert 4 is there), NVLink 2->3 twice (experts 6, 7).
    // t1 (GPU 1): NVLink 1->0 (expert 0), local 1->1 (expert 3), network 1->3, NVLink 3->2 (expert 5).
    // t2 (GPU 2): network 2->0 (expert 1 is there), NVLink 0->1 (expert 2), local 2->2 (expert 4).
    // t3 (GPU 3): local 3->3 twice (experts 6, 7), NVLink 3->2 (expert 5).
    const Traffic t = simulateTraffic(r, c);
    EXPECT_EQ(t.dispatchBytes,
              (std::vector<std::vector<int64_t>>{{0, 16, 16, 0}, {16, 16, 0, 16}, {16, 0, 16, 32}, {0, 0, 32, 32}}));
    // Three (token, remote node) pairs, each one vector each way.
    EXPECT_EQ(t.interNodeBytes, 2 * 3 * 16);
    EXPECT_EQ(t.intraNodeBytes, 2 * 6 * 16);  // 0->1, 1->0, 2->3 twice, 3->2 twice
    EXPECT_EQ(t.localBytes, 2 * 4 * 16);
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) EXPECT_EQ(t.combineBytes[b][a], t.dispatchBytes[a][b]);  // reduced, sent back
    for (int g = 0; g < 4; ++g) EXPECT_EQ(t.perGpu[g].tokensComputed, g < 2 ? 2 : 4);
    // One phase, links at once: no GPU has more than one 16-byte network message a
    // direction, the slowest link: 5 us + 16 B / 50 GB/s.
    EXPECT_NEAR(t.dispatchTimeUs, 5 + 16 / 50e3, 1e-12);
    EXPECT_NEAR(t.combineTimeUs, t.dispatchTimeUs, 1e-12);
    EXPECT_EQ(t.flat.interNodeBytes, t.interNodeBytes);
    EXPECT_EQ(t.hierarchical.interNodeBytes, t.interNodeBytes);  // already between same local indices
    // One copy per GPU: 2->3 and 3->3 carry one vector each; the network is unchanged.
    c.dedupPerGpu = true;
    const Traffic d = simulateTraffic(r, c);
    EXPECT_EQ(d.dispatchBytes[2][3], 16);
    EXPECT_EQ(d.dispatchBytes[3][3], 16);
    EXPECT_EQ(d.interNodeBytes, 2 * 3 * 16);
    EXPECT_EQ(d.intraNodeBytes, 2 * 5 * 16);
    // Without forwarding every assignment in the other node is its own network copy:
    // t0 three, t1 one, t2 two.
    c.dedupPerGpu = false;
    c.forwardInNode = false;
    const Traffic f = simulateTraffic(r, c);
    EXPECT_EQ(f.interNodeBytes, 2 * 6 * 16);
    EXPECT_NEAR(f.dispatchTimeUs, 2 * 5 + 48 / 50e3, 1e-12);  // GPU 0: 2 network messages, 48 B
}

TEST(Cluster, ForwardingGpuHasTheSendersLocalIndex) {
    EXPECT_EQ(forwardingGpu(3, 0, 16, 8), 3);
    EXPECT_EQ(forwardingGpu(3, 1, 16, 8), 11);
    EXPECT_EQ(forwardingGpu(13, 0, 16, 8), 5);
    EXPECT_EQ(forwardingGpu(5, 1, 10, 8), 9);  // GPUs 8, 9 in the last node: index 5 mod 2
}

namespace {

// Inter-node bytes of the built-in lesson's parallel chapter on 16 GPUs (2 nodes of 8),
// with node-limited routing to M nodes (M = 0: no route groups).
int64_t chapterInterNodeBytes(int M) {
    const Lesson l = loadLesson(dataPath("lessons/moe-basics.lesson"));
    int chapter = -1;
    for (size_t i = 0; i < l.chapters.size(); ++i)
        if (l.chapters[i].page == "parallel") chapter = static_cast<int>(i);
    EXPECT_GE(chapter, 0);
    Settings s = chapterSettings(l, chapter, -1, Settings{});
    std::vector<std::string> flags = {"--gpus", "16"};
    if (M > 0) flags.insert(flags.end(), {"--route-groups", "nodes", "--topk-groups", std::to_string(M)});
    applyFlags(s, Args(flags, settingFlags(), {}));
    const ModelWeights w = buildWeights(s);
    EXPECT_EQ(s.cluster.forwardInNode, M > 0);
    EigenBackend backend;
    LayerResult res;
    runLayer(backend, w, s.router, s.text, embedBytes(w, s.text), true, res);
    return simulateTraffic(res.routing, s.cluster, deviceLimit(s)).interNodeBytes;
}

}  // namespace

TEST(Cluster, TheParallelChapterCrossesLessWithFewerNodes) {
    // M = 2 of 2 nodes routes as without groups, but a token crosses once per node, not
    // once per expert there; M = 1 puts all its experts in one node.
    const int64_t perExpert = chapterInterNodeBytes(0), two = chapterInterNodeBytes(2), one = chapterInterNodeBytes(1);
    EXPECT_LT(two, perExpert);
    EXPECT_LT(one, two);
}

TEST(Cluster, BadConfigNamesTheFlag) {
    ClusterConfig c;
    c.gpus = 9;
    EXPECT_INPUT_ERROR(validate(c, 8), "--gpus");
    c.gpus = 2;
    c.interBwGBps = 0;
    EXPECT_THROW(validate(c, 8), InputError);
    EXPECT_THROW(parseEnum<Placement>("random", "--placement"), InputError);
}

// One table of topologies: the flag sets each of its numbers, and an unknown name is bad input.
TEST(Topology, PresetsSetTheirLinksAndUnknownNamesAreRefused) {
    ClusterConfig c;
    c.gpusPerNode = 4;
    applyTopologyPreset(c, "pcie");
    EXPECT_EQ(c.gpusPerNode, 8);
    EXPECT_DOUBLE_EQ(c.intraBwGBps, 25);    // PCIe 4.0 x16
    EXPECT_DOUBLE_EQ(c.interBwGBps, 12.5);  // 100 Gb/s = 12.5 GB/s
    EXPECT_DOUBLE_EQ(c.gpuTflops, 150);
    applyTopologyPreset(c, "h100-nvlink");
    EXPECT_DOUBLE_EQ(c.intraBwGBps, 450);
    EXPECT_DOUBLE_EQ(c.interBwGBps, 50);  // 400 Gb/s
    EXPECT_DOUBLE_EQ(c.interLatencyUs, 5);
    EXPECT_EQ(topologyNames(), "h100-nvlink|pcie");
    EXPECT_INPUT_ERROR(applyTopologyPreset(c, "mesh"), "--topology");
}

// Route groups: one per GPU, or one per node of N GPUs (at least one).
TEST(Topology, RouteGroupCountIsGpusOrNodes) {
    Settings s;
    s.cluster.gpus = 64;
    s.cluster.gpusPerNode = 8;
    EXPECT_EQ(routeGroupCount(s), 1);  // off
    s.routeGroups = RouteGroups::Gpus;
    EXPECT_EQ(routeGroupCount(s), 64);
    s.routeGroups = RouteGroups::Nodes;
    EXPECT_EQ(routeGroupCount(s), 8);
    s.cluster.gpus = 4;  // half a node
    EXPECT_EQ(routeGroupCount(s), 1);
}
