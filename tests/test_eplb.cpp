// DeepSeek's expert-parallel load balancer (core/eplb.hpp) against placements computed by
// hand, and route --json's traffic.placements.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "cli_support.hpp"
#include "eplb.hpp"
#include "errors.hpp"
#include "placement.hpp"
#include "tie_sort.hpp"
#include "traffic.hpp"

using namespace moe;
using moe::test::routeJson;
using moe::test::run;

namespace {

// Each GPU's load as EPLB sees it: a replica carries its expert's load / replica count.
std::vector<double> gpuLoads(const EplbPlan& p, const std::vector<float>& w, int gpus) {
    const int perGpu = static_cast<int>(p.physicalToLogical.size()) / gpus;
    std::vector<double> load(gpus, 0.0);
    for (size_t s = 0; s < p.physicalToLogical.size(); ++s) {
        const int e = p.physicalToLogical[s];
        load[s / perGpu] += w[e] / p.logicalCount[e];
    }
    return load;
}

}  // namespace

// E = 8, loads [90,10,10,10,40,20,10,10], 12 physical experts (R = 4), 4 GPUs in 2 nodes,
// 2 groups {0..3} (120 tokens) and {4..7} (80). Hierarchical, as 2 groups % 2 nodes == 0:
// 1. one group per node: group 0 -> node 0 (GPUs 0, 1), group 1 -> node 1 (GPUs 2, 3).
// 2. each node replicates its 4 experts to 6, each extra replica to the largest load/count:
//    node 0: 90 (e0) -> 90/2 = 45, still the largest -> e0 has 3 replicas of 30;
//    node 1: 40 (e4) -> 40/2 = 20 ties e5's 20, torch.max takes the first -> e4, 3 of 13.33.
// 3. each node's 6 replicas onto 2 GPUs, 3 each, heaviest first to the lighter GPU (the first
//    on a tie): node 0: 30,30,30,10,10,10 -> GPU 0 {e0, e0, e3} = 70, GPU 1 {e0, e1, e2} = 50;
//    node 1: 20 (e5), 13.3 x3 (e4), 10 (e6), 10 (e7): e5 -> GPU 2 (20 | 0), e4 -> GPU 3
//    (20 | 13.3), e4 -> GPU 3 (20 | 26.7), e4 -> GPU 2 (33.3 | 26.7), e6 -> GPU 3 (36.7, full),
//    e7 -> GPU 2: GPU 2 {e5, e4, e7} = 43.3, GPU 3 {e4, e4, e6} = 36.7.
//    Max 70 over mean 200/4 = 50: 1.4 (contiguous: e0+e1 = 100 over 50, 2).
// eplb.py (github.com/deepseek-ai/EPLB, PyTorch 1.13 CPU) returns the same:
//    rebalance_experts(tensor([[90,10,10,10,40,20,10,10]]), 12, 2, 2, 4)
//    -> phy2log [[0,0,3, 0,1,2, 5,4,7, 4,4,6]], logcnt [[3,1,1,1,3,1,1,1]].
// Note EPLB may put two replicas of one expert on one GPU (e0 on GPU 0, e4 on GPU 3).
TEST(Eplb, HierarchicalMatchesTheHandComputation) {
    const std::vector<float> w{90, 10, 10, 10, 40, 20, 10, 10};
    const EplbPlan p = rebalanceExperts(w, 12, 2, 2, 4);
    EXPECT_EQ(p.physicalToLogical, (std::vector<int>{0, 0, 3, 0, 1, 2, 5, 4, 7, 4, 4, 6}));
    EXPECT_EQ(p.replicaRank, (std::vector<int>{0, 2, 0, 1, 0, 0, 0, 2, 0, 0, 1, 0}));
    EXPECT_EQ(p.logicalCount, (std::vector<int>{3, 1, 1, 1, 3, 1, 1, 1}));
    const std::vector<double> load = gpuLoads(p, w, 4);
    EXPECT_NEAR(load[0], 70, 1e-4);
    EXPECT_NEAR(load[1], 50, 1e-4);
    EXPECT_NEAR(load[2], 20 + 40.0 / 3 + 10, 1e-4);
    EXPECT_NEAR(load[3], 2 * 40.0 / 3 + 10, 1e-4);
    EXPECT_NEAR(*std::max_element(load.begin(), load.end()) / 50.0, 1.4, 1e-6);
}

// One hot expert, loads [8,0,...,0], 12 physical experts on 4 GPUs, 1 group: the global
// policy (1 group % 2 nodes != 0 falls back to it, as eplb.py does). All 4 extras go to e0
// (8/k > 0), so 5 replicas of 1.6. Packing 1.6 x5 then 0 x7: GPUs 0,1,2,3 take a 1.6 each,
// GPU 0 the fifth (first on the tie), the zeros fill GPU 1, 1, 2, 2, 3, 3 and then GPU 0.
// eplb.py: phy2log [[0,0,7, 0,1,2, 0,3,4, 0,5,6]] for both 1 and 2 nodes.
TEST(Eplb, GlobalPolicySpreadsOneHotExpert) {
    const std::vector<float> w{8, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<int> expected{0, 0, 7, 0, 1, 2, 0, 3, 4, 0, 5, 6};
    EXPECT_EQ(rebalanceExperts(w, 12, 1, 1, 4).physicalToLogical, expected);
    EXPECT_EQ(rebalanceExperts(w, 12, 1, 2, 4).physicalToLogical, expected);
    EXPECT_EQ(rebalanceExperts(w, 12, 1, 1, 4).logicalCount, (std::vector<int>{5, 1, 1, 1, 1, 1, 1, 1}));
}

TEST(Eplb, ReplicasWithoutExtrasAreOnePerExpert) {
    // R = 0, one expert per GPU: every packing is the identity (one item per pack).
    const EplbPlan p = rebalanceExperts({5, 1, 9, 3}, 4, 1, 1, 4);
    EXPECT_EQ(p.physicalToLogical, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(p.logicalCount, (std::vector<int>{1, 1, 1, 1}));
}

TEST(Eplb, SettingsMapToEplbsArguments) {
    ClusterConfig c;
    c.gpus = 16;
    c.gpusPerNode = 8;
    c.replicateHot = 16;
    c.expertGroups = 4;
    EplbShape s = eplbShape(c, 32);
    EXPECT_EQ(s.replicas, 48);
    EXPECT_EQ(s.nodes, 2);
    EXPECT_EQ(s.groups, 4);
    c.gpusPerNode = 6;   // does not divide 16: one node
    c.expertGroups = 3;  // does not divide 32: one group
    s = eplbShape(c, 32);
    EXPECT_EQ(s.nodes, 1);
    EXPECT_EQ(s.groups, 1);
}

TEST(Eplb, RefusesReplicasThatDoNotFillTheGpusEvenly) {
    ClusterConfig c;
    c.gpus = 4;
    c.replicateHot = 1;
    c.placement = Placement::Eplb;
    // E + R = 9 on 4 GPUs; R in 0..8 with 8 + R a multiple of 4: 0, 4, 8.
    const std::string p = eplbProblem(c, 8);
    EXPECT_NE(p.find("8 + 1"), std::string::npos) << p;
    EXPECT_NE(p.find("--replicate 0, 4, 8 work"), std::string::npos) << p;
    try {
        (void)placeExperts(c, std::vector<int>(8, 1));
        FAIL() << "no InputError";
    } catch (const InputError& e) {
        EXPECT_EQ(e.field(), "--replicate");
    }
    fitEplbReplicas(c, 8);  // the app's repair: the nearest that works, upwards first
    EXPECT_EQ(c.replicateHot, 0);
    c.replicateHot = 3;
    fitEplbReplicas(c, 8);
    EXPECT_EQ(c.replicateHot, 4);
    c.gpus = 20;  // 8 + R <= 16 is never a multiple of 20
    EXPECT_NE(eplbProblem(c, 8).find("no --replicate from 0 to 8"), std::string::npos);
    fitEplbReplicas(c, 8);
    EXPECT_EQ(c.placement, Placement::Contiguous);
}

// route --json with 4 GPUs in 2 nodes: text "abcdefgh" (T = 8, k = 1, dropless), a bias of
// 100 on expert 0 sends every token there: loads [8,0,...,0]. Homes: t0,t1 on GPU 0, t2,t3
// on 1, t4,t5 on 2, t6,t7 on 3. A vector is 1024 fp16 = 2048 bytes, counted each way.
// contiguous and round-robin: e0 on GPU 0 computes all 8 (mean 2, max/mean 4); GPU 1 sends
//   2 inside the node (2·2·2048 = 8192 B), GPUs 2, 3 send 4 between nodes (16384 B).
//   Dispatch: GPU 0 receives 2 network messages of 4096 B: 2·5 µs + 8192 B / 50 GB/s =
//   10.16384 µs (NVLink: 2 µs + 4096/450e3). Compute: 8 tokens · 2·2·1024·4096 FLOP /
//   400 TFLOP/s = 0.33554 µs; total = 2 · 10.16384 + 0.33554.
// load-aware, R = 4: e0 split on GPUs 0 and 1; its tokens take turns (t0 -> 0, t1 -> 1, ...)
//   unless their own GPU holds it: GPU 0 {t0,t1,t4,t6}, GPU 1 {t2,t3,t5,t7}: max 4, 2; t4..t7
//   cross nodes: 4·2·2048 = 16384 B, nothing inside nodes.
// eplb, R = 4: e0 on every GPU (GlobalPolicySpreadsOneHotExpert): all local, max 2, 1.
TEST(EplbCli, PlacementsSideBySideMatchTheHandComputation) {
    const auto j = routeJson({"--text",
                              "abcdefgh",
                              "--experts",
                              "8",
                              "--k",
                              "1",
                              "--capacity-factor",
                              "0",
                              "--expert-bias",
                              "100,0,0,0,0,0,0,0",
                              "--gpus",
                              "4",
                              "--gpus-per-node",
                              "2",
                              "--replicate",
                              "4",
                              "--sim-hidden",
                              "1024",
                              "--sim-dtype",
                              "fp16"});
    const auto& p = j["traffic"]["placements"];
    ASSERT_EQ(p.size(), 4u);
    const char* names[] = {"contiguous", "round-robin", "load-aware", "eplb"};
    const int maxLoad[] = {8, 8, 4, 2};
    const long long intra[] = {8192, 8192, 0, 0}, inter[] = {16384, 16384, 16384, 0};
    for (int i = 0; i < 4; ++i) {
        SCOPED_TRACE(names[i]);
        EXPECT_EQ(p[i]["placement"], names[i]);
        EXPECT_EQ(p[i]["max_gpu_load"], maxLoad[i]);
        EXPECT_DOUBLE_EQ(double(p[i]["mean_gpu_load"]), 2.0);
        EXPECT_DOUBLE_EQ(double(p[i]["max_over_mean"]), maxLoad[i] / 2.0);
        EXPECT_EQ(p[i]["intra_node_bytes"], intra[i]);
        EXPECT_EQ(p[i]["inter_node_bytes"], inter[i]);
    }
    const double dispatch = 2 * 5 + 8192 / 50e3, perToken = 2.0 * 2 * 1024 * 4096 / 400e6;
    EXPECT_NEAR(double(p[0]["dispatch_time_us"]), dispatch, 1e-9);
    EXPECT_NEAR(double(p[0]["total_time_us"]), 2 * dispatch + 8 * perToken, 1e-9);
    EXPECT_NEAR(double(p[3]["dispatch_time_us"]), 0.0, 1e-12);
    EXPECT_NEAR(double(p[3]["total_time_us"]), 2 * perToken, 1e-9);
    // The run's own placement (contiguous) is the first entry.
    EXPECT_EQ(j["traffic"]["inter_node_bytes"], p[0]["inter_node_bytes"]);
    // --placement eplb: the run's traffic is the eplb entry's; every GPU holds a replica of e0.
    const auto e = routeJson({"--text", "abcdefgh", "--experts", "8", "--k", "1", "--capacity-factor", "0",
                              "--expert-bias", "100,0,0,0,0,0,0,0", "--gpus", "4", "--gpus-per-node", "2",
                              "--replicate", "4", "--placement", "eplb"});
    for (const auto& g : e["traffic"]["per_gpu"]) {
        EXPECT_EQ(g["tokens_computed"], 2);
        EXPECT_EQ(g["experts"].size(), 3u);
        EXPECT_EQ(g["experts"][0], 0);
    }
}

TEST(EplbCli, RefusesReplicasThatDoNotFitAndSaysWhichDo) {
    const std::vector<std::string> base{"route", "--experts", "8", "--gpus", "4", "--replicate", "1"};
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--placement", "eplb"});
    const auto r = run(args);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--replicate"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("0, 4, 8 work"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    // Another placement runs, and the side-by-side entry for eplb says why it is missing.
    args = {"--experts", "8", "--gpus", "4", "--replicate", "1"};
    const auto j = routeJson(args);
    const auto& eplb = j["traffic"]["placements"][3];
    EXPECT_EQ(eplb["placement"], "eplb");
    EXPECT_NE(std::string(eplb["error"]).find("multiple of --gpus 4"), std::string::npos);
    EXPECT_FALSE(eplb.contains("max_gpu_load"));
    // One GPU: no side-by-side table.
    EXPECT_FALSE(routeJson({"--experts", "8"})["traffic"].contains("placements"));
}

// EPLB's order of equal loads is libstdc++'s std::sort's (eplb.py's torch.sort) on every
// platform: tie_sort.cpp against std::sort itself, where std::sort is libstdc++'s, on
// random weights with many ties (integer loads), sizes 1..300, and on sorted, reversed,
// organ-pipe and all-equal inputs.
TEST(Eplb, TiesSortAsLibstdcxxSortsThemEverywhere) {
#if !defined(__GLIBCXX__)
    GTEST_SKIP() << "skipped: std::sort here is not libstdc++'s, the order to compare with";
#else
    std::mt19937 rng(7);
    const auto check = [](std::vector<std::pair<float, int>> items) {
        std::vector<std::pair<float, int>> want = items;
        std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        moe::sortHeaviestFirst(items);
        return items == want;
    };
    int cases = 0;
    for (int n = 1; n <= 300; ++n)
        for (int distinct : {1, 2, 3, 7, 50}) {
            std::vector<std::pair<float, int>> random(n), sorted(n), reversed(n), organ(n);
            for (int i = 0; i < n; ++i) {
                random[i] = {float(rng() % distinct), i};
                sorted[i] = {float(i % distinct), i};
                reversed[i] = {float((n - i) / std::max(1, n / distinct)), i};
                organ[i] = {float(std::min(i, n - i) % distinct), i};
            }
            for (const auto& items : {random, sorted, reversed, organ}) {
                ASSERT_TRUE(check(items)) << "n = " << n << ", " << distinct << " distinct weights";
                ++cases;
            }
        }
    EXPECT_EQ(cases, 300 * 5 * 4);
    // Past the depth limit libstdc++ heap-sorts (std::partial_sort over the whole range).
    for (int n = 17; n <= 300; n += 7) {
        std::vector<std::pair<float, int>> items(n);
        for (int i = 0; i < n; ++i) items[i] = {float(rng() % 5), i};
        std::vector<std::pair<float, int>> want = items;
        std::partial_sort(want.begin(), want.end(), want.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        moe::sortHeaviestFirst(items, 0);
        ASSERT_EQ(items, want) << "heap sort, n = " << n;
    }
#endif
}
