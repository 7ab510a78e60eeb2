// The ASTRA-sim export (core/astra) and the reader of ASTRA-sim's output (core/astra_log):
// traces read back with the generated protobuf code and checked against moelab's traffic.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <map>
#include <sstream>

#include "astra_export.hpp"
#include "astra_log.hpp"
#include "cli_support.hpp"
#include "errors.hpp"

namespace moe::test {
namespace {

using ChakraProtoMsg::Node;

struct Trace {
    ChakraProtoMsg::GlobalMetadata meta;
    std::vector<Node> nodes;
};

// Varint length, message; the first is the GlobalMetadata (Chakra's ProtoInputStream).
Trace readTrace(const std::string& bytes) {
    google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream in(&raw);
    Trace t;
    const auto next = [&](google::protobuf::MessageLite& m) {
        uint32_t size = 0;
        if (!in.ReadVarint32(&size)) return false;
        const auto limit = in.PushLimit(static_cast<int>(size));
        EXPECT_TRUE(m.ParseFromCodedStream(&in));
        EXPECT_TRUE(in.ConsumedEntireMessage());
        in.PopLimit(limit);
        return true;
    };
    EXPECT_TRUE(next(t.meta));
    for (Node n; next(n); n.Clear()) t.nodes.push_back(n);
    return t;
}

int64_t attr(const Node& n, const std::string& name) {
    for (const auto& a : n.attr())
        if (a.name() == name) {
            if (a.has_int32_val()) return a.int32_val();
            if (a.has_int64_val()) return a.int64_val();
            if (a.has_uint64_val()) return static_cast<int64_t>(a.uint64_val());
        }
    ADD_FAILURE() << "node " << n.id() << " has no " << name;
    return -1;
}

std::vector<uint64_t> deps(const Node& n) { return {n.data_deps().begin(), n.data_deps().end()}; }

// Three GPUs on one node, bytes by hand; combine is dispatch's transpose.
Traffic handTraffic() {
    Traffic t;
    t.gpus = 3;
    t.dispatchBytes = {{10, 0, 30}, {40, 50, 0}, {0, 70, 0}};
    t.combineBytes = {{10, 40, 0}, {0, 50, 70}, {30, 0, 0}};
    t.perGpu.resize(3);
    t.perGpu[0].tokensComputed = 3;
    t.perGpu[0].computeUs = 2.6;
    return t;
}

TEST(AstraExport, RankZeroSendsComputesAndCombinesInOrder) {
    ClusterConfig c;
    c.gpus = 3;
    c.simHidden = 8;
    c.simFfnHidden = 16;
    const std::vector<Node> n = astra::rankNodes(handTraffic(), c, 0, {});
    ASSERT_EQ(n.size(), 5u);  // send to 2, receive from 1, compute, send to 1, receive from 2
    EXPECT_EQ(n[0].type(), ChakraProtoMsg::COMM_SEND_NODE);
    EXPECT_EQ(attr(n[0], "comm_dst"), 2);
    EXPECT_EQ(attr(n[0], "comm_size"), 30);
    EXPECT_EQ(attr(n[0], "comm_tag"), astra::kDispatchTag);
    EXPECT_EQ(n[1].type(), ChakraProtoMsg::COMM_RECV_NODE);
    EXPECT_EQ(attr(n[1], "comm_src"), 1);
    EXPECT_EQ(attr(n[1], "comm_size"), 40);
    EXPECT_EQ(n[2].type(), ChakraProtoMsg::COMP_NODE);
    EXPECT_EQ(deps(n[2]), (std::vector<uint64_t>{0, 1}));
    EXPECT_EQ(attr(n[2], "num_ops"), 3 * 2 * 2 * 8 * 16);  // tokens x 2 matmuls x 2 FLOPs x D x F
    EXPECT_EQ(n[2].duration_micros(), 3u);                 // 2.6 µs, whole microseconds
    EXPECT_EQ(n[3].type(), ChakraProtoMsg::COMM_SEND_NODE);
    EXPECT_EQ(attr(n[3], "comm_dst"), 1);
    EXPECT_EQ(attr(n[3], "comm_size"), 40);
    EXPECT_EQ(attr(n[3], "comm_tag"), astra::kCombineTag);
    EXPECT_EQ(attr(n[4], "comm_src"), 2);
    EXPECT_EQ(attr(n[4], "comm_size"), 30);
    for (int i = 3; i < 5; ++i) EXPECT_EQ(deps(n[i]), (std::vector<uint64_t>{2}));
    // Rank 2 computes nothing: its combine waits on its dispatch directly.
    const std::vector<Node> idle = astra::rankNodes(handTraffic(), c, 2, {});
    ASSERT_EQ(idle.size(), 4u);  // send to 1, receive from 0; send to 0, receive from 1
    EXPECT_EQ(deps(idle[2]), (std::vector<uint64_t>{0, 1}));
}

TEST(AstraExport, CollectiveIsOneUniformAllToAllPerPhase) {
    ClusterConfig c;
    c.gpus = 3;
    astra::ExportOptions opt;
    opt.collective = true;
    const std::vector<Node> n = astra::rankNodes(handTraffic(), c, 1, opt);
    ASSERT_EQ(n.size(), 2u);  // rank 1 computes nothing
    for (const Node& x : n) {
        EXPECT_EQ(x.type(), ChakraProtoMsg::COMM_COLL_NODE);
        EXPECT_EQ(attr(x, "comm_type"), ChakraProtoMsg::ALL_TO_ALL);
    }
    EXPECT_EQ(attr(n[0], "comm_size"), 90);   // the largest row of dispatch: 40 + 50
    EXPECT_EQ(attr(n[1], "comm_size"), 120);  // of combine: 0 + 50 + 70
    EXPECT_EQ(deps(n[1]), (std::vector<uint64_t>{0}));
}

TEST(AstraExport, ConfigurationsFollowTheCluster) {
    ClusterConfig c;
    c.gpus = 16;
    c.gpusPerNode = 8;
    c.intraBwGBps = 450;
    c.interBwGBps = 50;
    c.intraLatencyUs = 2;
    c.interLatencyUs = 5;
    const std::string y = astra::networkYaml(c);
    EXPECT_NE(y.find("topology: [ Switch, Switch ]"), std::string::npos) << y;
    EXPECT_NE(y.find("npus_count: [ 8, 2 ]"), std::string::npos) << y;
    EXPECT_NE(y.find("bandwidth: [ 450.0, 50.0 ]"), std::string::npos) << y;
    EXPECT_NE(y.find("latency: [ 1000.0, 2500.0 ]"), std::string::npos) << y;  // two hops per message
    c.gpus = 8;
    EXPECT_NE(astra::networkYaml(c).find("npus_count: [ 8 ]"), std::string::npos);
    const auto sys = nlohmann::json::parse(astra::systemJson(c, 2));
    EXPECT_EQ(sys["all-to-all-implementation"].size(), 2u);
    EXPECT_EQ(sys["roofline-enabled"], 1);
    EXPECT_EQ(sys["peak-perf"], c.gpuTflops);
}

TEST(AstraLog, TimesPerGpuAndTheSlowest) {
    const std::string log =
        "[2025-08-08 10:00:00.000] [workload] [info] sys[1] finished, 2500000 cycles, exposed communication 1 cycles.\n"
        "ring of 2 NPUs\n"
        "[2025-08-08 10:00:00.000] [workload] [info] sys[0] finished, 1500 cycles, exposed communication 0 cycles.\n";
    const AstraTimes t = parseAstraLog(log, 2, "a.log");
    EXPECT_DOUBLE_EQ(t.perGpuUs[0], 1.5);
    EXPECT_DOUBLE_EQ(t.perGpuUs[1], 2500.0);
    EXPECT_DOUBLE_EQ(t.totalUs, 2500.0);
}

void expectRefused(const std::string& log, int gpus, const std::string& says) {
    try {
        parseAstraLog(log, gpus, "run.log");
        ADD_FAILURE() << "accepted: " << log;
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("run.log"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
}

TEST(AstraLog, TruncatedOrGarbledOutputIsRefused) {
    expectRefused("sys[0] finished, 10 cycles\n", 2, "1 of 2");
    expectRefused("", 1, "0 of 1");
    expectRefused("sys[0] finished, ten cycles\n", 1, "run.log:1");
    expectRefused("x\nsys[3] finished, 10 cycles\n", 2, "run.log:2");
    expectRefused("sys[0] finished, 10 cycles\nsys[0] finished, 10 cycles\n", 2, "twice");
    expectRefused("sys[0] finished, 99999999999999999999999 cycles\n", 1, "run.log:1");
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// Every off-diagonal pair's bytes of a phase, summed from the traces' sends (or receives).
using PairBytes = std::map<std::pair<int, int>, int64_t>;
PairBytes pairs(const std::vector<Trace>& traces, ChakraProtoMsg::NodeType type, int tag) {
    PairBytes m;
    for (const Trace& t : traces)
        for (const Node& n : t.nodes)
            if (n.type() == type && attr(n, "comm_tag") == tag)
                m[{int(attr(n, "comm_src")), int(attr(n, "comm_dst"))}] += attr(n, "comm_size");
    return m;
}

PairBytes expected(const nlohmann::json& matrix) {
    PairBytes m;
    for (int s = 0; s < int(matrix.size()); ++s)
        for (int d = 0; d < int(matrix[s].size()); ++d)
            if (s != d && int64_t(matrix[s][d]) != 0) m[{s, d}] = matrix[s][d];
    return m;
}

TEST(AstraCli, TracesCarryTheTrafficThatRouteReports) {
    const std::vector<std::string> flags = {"--experts",
                                            "8",
                                            "--k",
                                            "2",
                                            "--gpus",
                                            "4",
                                            "--gpus-per-node",
                                            "2",
                                            "--text",
                                            "the quick brown fox jumps over the lazy dog"};
    const std::string dir = tempPath("astra_export");
    std::vector<std::string> args = {"export-astra", "--out", dir};
    args.insert(args.end(), flags.begin(), flags.end());
    const RunResult r = run(args);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto traffic = routeJson(flags)["traffic"];
    std::vector<Trace> traces;
    for (int g = 0; g < 4; ++g) traces.push_back(readTrace(slurp(dir + "/workload." + std::to_string(g) + ".et")));
    const auto dispatch = expected(traffic["dispatch_bytes"]), combine = expected(traffic["combine_bytes"]);
    ASSERT_FALSE(dispatch.empty());
    EXPECT_EQ(pairs(traces, ChakraProtoMsg::COMM_SEND_NODE, astra::kDispatchTag), dispatch);
    EXPECT_EQ(pairs(traces, ChakraProtoMsg::COMM_RECV_NODE, astra::kDispatchTag), dispatch);
    EXPECT_EQ(pairs(traces, ChakraProtoMsg::COMM_SEND_NODE, astra::kCombineTag), combine);
    EXPECT_EQ(pairs(traces, ChakraProtoMsg::COMM_RECV_NODE, astra::kCombineTag), combine);
    for (int g = 0; g < 4; ++g) {
        EXPECT_FALSE(traces[g].meta.version().empty());
        std::vector<uint64_t> dispatchIds;
        for (const Node& n : traces[g].nodes) {
            if (n.type() == ChakraProtoMsg::COMP_NODE) EXPECT_EQ(deps(n), dispatchIds) << "GPU " << g;
            if (n.type() != ChakraProtoMsg::COMP_NODE && attr(n, "comm_tag") == astra::kDispatchTag) {
                EXPECT_TRUE(deps(n).empty());
                dispatchIds.push_back(n.id());
            }
        }
        const int64_t tokens = traffic["per_gpu"][g]["tokens_computed"];
        EXPECT_EQ(std::count_if(traces[g].nodes.begin(), traces[g].nodes.end(),
                                [](const Node& n) { return n.type() == ChakraProtoMsg::COMP_NODE; }),
                  tokens > 0 ? 1 : 0);
    }
    EXPECT_NE(slurp(dir + "/network.yml").find("npus_count: [ 2, 2 ]"), std::string::npos);
    for (const char* f : {"system.json", "memory.json", "network_1d.yml", "system_1d.json"})
        EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
    struct stat st {};
    ASSERT_EQ(::stat((dir + "/run.sh").c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR);
    std::filesystem::remove_all(dir);
}

TEST(AstraCli, RouteAddsAstraSimTimesFromALog) {
    const std::string log = tempPath("astra.log");
    std::ofstream(log) << "sys[0] finished, 4000 cycles, exposed communication 1000 cycles.\n"
                          "sys[1] finished, 12500 cycles, exposed communication 9000 cycles.\n";
    const auto j = routeJson({"--gpus", "2", "--astra-log", log});
    EXPECT_DOUBLE_EQ(double(j["traffic"]["astra_sim"]["total_time_us"]), 12.5);
    EXPECT_EQ(j["traffic"]["astra_sim"]["per_gpu_time_us"], (nlohmann::json{4.0, 12.5}));
    const RunResult four = run({"route", "--json", "--gpus", "4", "--astra-log", log});  // two of four: truncated
    EXPECT_EQ(four.code, 2);
    EXPECT_NE(four.err.find(log), std::string::npos) << four.err;
    EXPECT_EQ(run({"route", "--gpus", "2", "--astra-log", log}).code, 2);  // without --json
    const RunResult missing = run({"route", "--json", "--astra-log", log + ".none"});
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find(log + ".none"), std::string::npos) << missing.err;
    EXPECT_EQ(run({"export-astra", "--gpus", "2"}).code, 2);  // no --out
    std::filesystem::remove(log);
}

}  // namespace
}  // namespace moe::test
