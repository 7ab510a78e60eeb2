// The command line as outside scripts use it (docs/contract.md): exit codes, messages, JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "cli_support.hpp"

using namespace moe::test;

TEST(Cli, BadFlagsExitTwoNamingTheFlag) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--k", "0"}, "--k"},
        {{"--k", "9"}, "--k"},
        {{"--experts", "4", "--k", "5"}, "--k"},
        {{"--temperature", "-1"}, "--temperature"},
        {{"--temperature", "nan"}, "--temperature"},
        {{"--capacity-factor", "-0.5", "--routing", "expert-choice"}, "--capacity-factor"},
        {{"--score", "relu"}, "--score"},
        {{"--activation", "tanh"}, "--activation"},
        {{"--routing", "random"}, "--routing"},
        {{"--overflow", "keep"}, "--overflow"},
        {{"--drop-priority", "age"}, "--drop-priority"},
        {{"--route-level", "paragraph"}, "--route-level"},
        {{"--all-to-all", "ring"}, "--all-to-all"},
        {{"--random-routing", "sometimes"}, "--random-routing"},
        {{"--preset", "no-such-system"}, "--preset"},
        {{"--renormalize", "maybe"}, "--renormalize"},
        {{"--experts", "eight"}, "--experts"},
        {{"--dim", "3.5"}, "--dim"},
        {{"--experts", "0"}, "--experts"},
        {{"--min-capacity", "-1"}, "--min-capacity"},
        {{"--groups", "3"}, "--groups"},
        {{"--expert-bias", "1,2"}, "--expert-bias"},
        {{"--backend", "cuda"}, "--backend"},
        {{"--text-file", "/nonexistent/file.txt"}, "--text-file"},
        {{"--weights", "/nonexistent/w.safetensors"}, "/nonexistent/w.safetensors"},
        {{"--frobnicate", "1"}, "--frobnicate"},
        {{"--k"}, "--k"},
        {{"--gpus", "0"}, "--gpus"},
        {{"--gpus", "16"}, "--gpus"},
        {{"--placement", "random"}, "--placement"},
        {{"--sim-dtype", "int4"}, "--sim-dtype"},
        {{"--inter-bw", "0"}, "--inter-bw"},
        {{"--topology", "mesh"}, "--topology"},
        {{"--route-groups", "racks"}, "--route-groups"},
        {{"--gpus", "3", "--route-groups", "gpus"}, "--route-groups"},
    };
    for (const auto& [args, flag] : cases) {
        std::vector<std::string> full = {"route"};
        full.insert(full.end(), args.begin(), args.end());
        const RunResult r = run(full);
        EXPECT_EQ(r.code, 2) << args[0];
        EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
        EXPECT_TRUE(r.out.empty());
    }
}

TEST(Cli, RouteJsonFollowsTheContract) {
    const auto j = routeJson({"--text", "MoE是", "--experts", "6", "--k", "2", "--capacity-factor", "1"});
    EXPECT_EQ(j["config"]["experts"], 6);
    EXPECT_EQ(j["config"]["backend"], "eigen");
    EXPECT_EQ(j["capacity"], 2);  // ceil(2*6/6*1)
    ASSERT_EQ(j["tokens"].size(), 6u);
    EXPECT_EQ(j["tokens"][3]["byte"], 0xE6);
    EXPECT_EQ(j["tokens"][4]["char"], "是");
    EXPECT_EQ(j["tokens"][5]["char_index"], 3);
    int kept = 0;
    for (const auto& t : j["tokens"]) {
        double sum = 0;
        for (double s : t["scores"]) sum += s;
        EXPECT_NEAR(sum, 1.0, 1e-5);
        ASSERT_EQ(t["experts"].size(), 2u);
        // Renormalised weights of the two best: w0 + w1 = 1 without reroute.
        EXPECT_NEAR(double(t["weights"][0]) + double(t["weights"][1]), 1.0, 1e-5);
        for (bool k : t["kept"]) kept += k;
        // logits feed scores: softmax(logits) at T = 1.
        double z = 0;
        for (double l : t["logits"]) z += std::exp(l);
        EXPECT_NEAR(std::exp(double(t["logits"][0])) / z, double(t["scores"][0]), 1e-5);
    }
    int keptSum = 0, requested = 0;
    for (const auto& e : j["experts"]) {
        keptSum += int(e["kept"]);
        requested += int(e["requested"]);
    }
    EXPECT_EQ(keptSum, kept);
    EXPECT_EQ(requested, 12);
    const auto& m = j["metrics"];
    EXPECT_EQ(m["assignments"], 12);
    EXPECT_EQ(int(m["dropped"]), 12 - kept);
    for (const char* f : {"drop_rate", "aux_loss", "z_loss", "cv", "max_over_mean", "entropy", "total_params",
                          "active_params", "flops_per_token_moe", "flops_per_token_dense", "cv_kept"})
        EXPECT_TRUE(m.contains(f)) << f;
    // cv_kept: population std / mean of the experts' kept counts.
    double mean = 0, var = 0;
    for (const auto& e : j["experts"]) mean += int(e["kept"]);
    mean /= double(j["experts"].size());
    for (const auto& e : j["experts"]) var += (int(e["kept"]) - mean) * (int(e["kept"]) - mean);
    var /= double(j["experts"].size());
    EXPECT_NEAR(double(m["cv_kept"]), std::sqrt(var) / mean, 1e-12);
    EXPECT_FALSE(j.contains("outputs"));
}

TEST(Cli, TrafficJsonFollowsTheContract) {
    const auto j = routeJson({"--text", "abcdefgh", "--experts", "4", "--k", "1", "--gpus", "2", "--capacity-factor",
                              "0", "--sim-hidden", "1024", "--sim-dtype", "fp16"});
    const auto& t = j["traffic"];
    EXPECT_EQ(t["gpus"], 2);
    EXPECT_EQ(t["gpus_per_node"], 8);
    ASSERT_EQ(t["dispatch_bytes"].size(), 2u);
    // 8 kept assignments of 1024 * 2 bytes, each once each way.
    long long dispatch = 0;
    for (const auto& row : t["dispatch_bytes"])
        for (long long b : row) dispatch += b;
    EXPECT_EQ(dispatch, 8 * 2048);
    EXPECT_EQ(t["combine_bytes"][0][1], t["dispatch_bytes"][1][0]);
    EXPECT_EQ(int64_t(t["local_bytes"]) + int64_t(t["intra_node_bytes"]) + int64_t(t["inter_node_bytes"]),
              2 * 8 * 2048);
    for (const char* f : {"dispatch_time_us", "combine_time_us", "per_gpu"}) EXPECT_TRUE(t.contains(f)) << f;
    EXPECT_EQ(t["per_gpu"][1]["experts"], (nlohmann::json{2, 3}));
    int computed = 0;
    for (const auto& g : t["per_gpu"]) computed += int(g["tokens_computed"]);
    EXPECT_EQ(computed, 8);
    // Device-limited routing from the command line: groups = GPUs.
    const auto g = routeJson({"--experts", "8", "--gpus", "4", "--route-groups", "gpus", "--topk-groups", "1"});
    EXPECT_EQ(g["config"]["groups"], 4);
}

TEST(Cli, TrainWritesALogAndWeightsThatRouteBack) {
    const std::string out = tempPath("trained.safetensors"), log = tempPath("train.jsonl");
    const RunResult r = run({"train", "--steps", "20", "--batch", "4", "--seq-len", "32", "--dim", "16", "--experts",
                             "4", "--log", log, "--log-every", "5", "--out", out, "--quiet"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(moe::readFile(log));
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        const auto j = nlohmann::json::parse(line);
        for (const char* f : {"step", "loss", "aux_loss", "z_loss", "cv", "drop_rate", "load"})
            EXPECT_TRUE(j.contains(f)) << f;
        EXPECT_EQ(j["load"].size(), 4u);
        EXPECT_EQ(j["step"], 5 * ++n);
    }
    EXPECT_EQ(n, 4);
    const auto routed = routeJson({"--weights", out, "--text", "床前明月光"});
    EXPECT_EQ(routed["config"]["experts"], 4);
    EXPECT_EQ(routed["tokens"].size(), 15u);
    // Same flags and seed, same weights.
    const std::string again = tempPath("trained2.safetensors");
    ASSERT_EQ(run({"train", "--steps", "20", "--batch", "4", "--seq-len", "32", "--dim", "16", "--experts", "4",
                   "--out", again, "--quiet"})
                  .code,
              0);
    EXPECT_EQ(moe::readFile(out), moe::readFile(again));
    for (const auto& p : {out, log, again}) std::filesystem::remove(p);
}

TEST(Cli, TrainBadInput) {
    for (const auto& [args, flag] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--steps", "-1"}, "--steps"},
             {{"--corpus", "/nonexistent/corpus.txt"}, "--corpus"},
             {{"--activation", "swiglu"}, "--activation"},
             {{"--lr", "0"}, "--lr"},
             {{"--routing", "expert-choice"}, "--routing"},
             {{"--temperature", "0"}, "--temperature"}}) {
        std::vector<std::string> full = {"train", "--steps", "1", "--quiet"};
        if (args[0] == "--steps") full = {"train", "--quiet"};
        full.insert(full.end(), args.begin(), args.end());
        const RunResult r = run(full);
        EXPECT_EQ(r.code, 2) << flag << ": " << r.err;
        EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    }
}

TEST(Cli, EmptyTextIsValid) {
    const auto j = routeJson({"--text", "", "--outputs"});
    EXPECT_EQ(j["tokens"].size(), 0u);
    EXPECT_EQ(j["metrics"]["aux_loss"], 0.0);
    EXPECT_EQ(j["outputs"].size(), 0u);
    const RunResult table = run({"route", "--text", ""});
    EXPECT_EQ(table.code, 0);
}

TEST(Cli, OddBytesRouteAndShowAsEscapes) {
    const std::string path = tempPath("odd.bin");
    moe::writeFileAtomic(path, std::string("\xFF\x00\xE6\x98", 4));
    const auto j = routeJson({"--text-file", path, "--outputs"});
    ASSERT_EQ(j["tokens"].size(), 4u);
    EXPECT_EQ(j["tokens"][0]["char"], "\\xFF");
    EXPECT_EQ(j["tokens"][1]["byte"], 0);
    EXPECT_EQ(j["tokens"][3]["char"], "\\x98");
    EXPECT_EQ(j["outputs"][0].size(), 32u);
    std::filesystem::remove(path);
}

TEST(Cli, ExportedWeightsRouteIdentically) {
    const std::string path = tempPath("w.safetensors");
    ASSERT_EQ(run({"export-weights", "--out", path, "--experts", "4", "--dim", "8", "--seed", "5", "--activation",
                   "gelu", "--shared-experts", "1"})
                  .code,
              0);
    auto a = routeJson({"--text", "hello 世界", "--experts", "4", "--dim", "8", "--seed", "5", "--activation", "gelu",
                        "--shared-experts", "1", "--outputs"});
    auto b = routeJson({"--text", "hello 世界", "--weights", path, "--outputs"});
    EXPECT_EQ(b["config"]["activation"], "gelu");
    EXPECT_EQ(b["config"]["experts"], 4);
    EXPECT_EQ(a["tokens"], b["tokens"]);
    EXPECT_EQ(a["outputs"], b["outputs"]);

    // A truncated copy is refused with exit 2, naming the tensor that lost its bytes.
    const std::string bytes = moe::readFile(path);
    const std::string cut = tempPath("cut.safetensors");
    moe::writeFileAtomic(cut, bytes.substr(0, bytes.size() - 10));
    const RunResult r = run({"route", "--weights", cut});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("shared_experts.0.ffn.2.bias"), std::string::npos) << r.err;
    std::filesystem::remove(path);
    std::filesystem::remove(cut);
}

TEST(Cli, SameFlagsSameBytes) {
    const std::vector<std::string> args = {
        "route",  "--text", "确定性 determinism", "--json", "--outputs", "--noisy-topk", "on", "--jitter", "0.05",
        "--seed", "3"};
    const RunResult a = run(args), b = run(args);
    EXPECT_EQ(a.code, 0);
    EXPECT_EQ(a.out, b.out);
}

TEST(Cli, ExpertChoiceAndRerouteFromTheCommandLine) {
    const auto ec = routeJson({"--routing", "expert-choice", "--text", "abcdefgh", "--k", "1", "--experts", "4"});
    EXPECT_EQ(ec["capacity"], 3);  // ceil(1*8/4*1.25)
    for (const auto& e : ec["experts"]) EXPECT_EQ(e["kept"], 3);
    const auto rr = routeJson(
        {"--overflow", "reroute", "--capacity-factor", "0.5", "--text", "aaaa", "--k", "1", "--experts", "4"});
    // Four identical tokens, capacity 1: each moves to the next-best expert with room.
    std::set<int> experts;
    for (const auto& t : rr["tokens"]) experts.insert(int(t["experts"][0]));
    EXPECT_EQ(experts.size(), 4u);
    EXPECT_EQ(rr["metrics"]["dropped"], 0);
}

TEST(Cli, TenMegabyteInputRoutes) {
    const std::string path = tempPath("big.txt");
    std::string text;
    const std::string unit = "Mixture of experts 专家混合模型。";
    while (text.size() < 10u * 1000 * 1000) text += unit;
    moe::writeFileAtomic(path, text);
    const RunResult r = run({"route", "--text-file", path, "--max-rows", "3"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("more tokens"), std::string::npos);
    std::filesystem::remove(path);
}

TEST(Cli, BenchReportsTheSameRunPeakAndRatiosToIt) {
    const RunResult r = run({"bench", "--shape", "classroom", "--min-time", "0.05", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const double peak = j.at("peak_gflops").get<double>();
    EXPECT_GT(peak, 0.0);
    EXPECT_TRUE(j.at("peak_isa") == "avx512" || j.at("peak_isa") == "avx2-fma" || j.at("peak_isa") == "generic");
    ASSERT_EQ(j.at("results").size(), 1u);
    const auto& res = j.at("results")[0];
    EXPECT_NEAR(res.at("ratio_to_peak").get<double>(), res.at("ffn_gflops").get<double>() / peak, 1e-9);
    EXPECT_NEAR(res.at("gemm_ratio_to_peak").get<double>(), res.at("gemm_gflops").get<double>() / peak, 1e-9);
    // Without a layer shape there is no peak to report.
    const RunResult t = run({"bench", "--shape", "cluster", "--min-time", "0.05", "--json"});
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_FALSE(nlohmann::json::parse(t.out).contains("peak_gflops"));
}

TEST(Cli, RouteCsvHasOneRowPerByteAndTheJsonDecisions) {
    const std::vector<std::string> flags = {"--text", "a,\"\n是", "--experts", "4", "--capacity-factor", "0.5"};
    std::vector<std::string> csvArgs = {"route", "--csv"};
    csvArgs.insert(csvArgs.end(), flags.begin(), flags.end());
    const RunResult r = run(csvArgs);
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = routeJson(flags);
    // Records, not lines: the quoted fields hold commas and doubled quotes, never a newline.
    std::vector<std::string> rows;
    std::stringstream in(r.out);
    for (std::string line; std::getline(in, line);) rows.push_back(line);
    ASSERT_EQ(rows.size(), 1 + 7u);  // header + a , " \n and the 3 bytes of 是
    EXPECT_EQ(rows[0],
              "index,byte,char,char_index,score_e0,score_e1,score_e2,score_e3,"
              "expert_1,weight_1,kept_1,expert_2,weight_2,kept_2");
    EXPECT_EQ(rows[2].substr(0, 13), "1,0x2C,\",\",1,");
    EXPECT_EQ(rows[3].substr(0, 14), "2,0x22,\"\"\"\",2,");
    EXPECT_EQ(rows[4].substr(0, 14), "3,0x0A,\\x0A,3,");
    for (size_t t = 0; t < 7; ++t) {
        std::vector<std::string> f;
        std::string cell;
        bool quoted = false;
        for (char c : rows[t + 1] + ",") {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted) {
                f.push_back(cell);
                cell.clear();
            } else
                cell += c;
        }
        ASSERT_EQ(f.size(), 4 + 4 + 6u) << rows[t + 1];
        const auto& tok = j["tokens"][t];
        for (size_t s = 0; s < tok["experts"].size(); ++s) {
            EXPECT_EQ(std::stoi(f[8 + 3 * s]), tok["experts"][s].get<int>());
            EXPECT_EQ(f[10 + 3 * s] == "1", tok["kept"][s].get<bool>());
        }
    }
    EXPECT_EQ(run({"route", "--csv", "--json"}).code, 2);
}

// The kernels compile without a warning, and `info` keeps what the compiler said (also
// when a later start loads the program from the cache).
TEST(Cli, InfoKeepsTheKernelBuildLogAndTheKernelsBuildWithoutWarnings) {
    const std::string cache = tempPath("cl_cache");
    std::filesystem::remove_all(cache);
    ::setenv("MOELAB_CL_CACHE", cache.c_str(), 1);
    const RunResult first = run({"info", "--json"});
    const RunResult second = run({"info"});
    ::unsetenv("MOELAB_CL_CACHE");
    ASSERT_EQ(first.code, 0) << first.err;
    const auto j = nlohmann::json::parse(first.out);
    if (j["opencl_device"] == "") GTEST_SKIP() << "no OpenCL device: " << j["opencl_unavailable"];
    // Some drivers always say something ("Compilation started"); none may warn.
    const std::string log = j["opencl_build_log"];
    EXPECT_EQ(log.find("warning"), std::string::npos) << log;
    EXPECT_EQ(log.find("error"), std::string::npos) << log;
    EXPECT_EQ(j["opencl_kernel_cache"].get<std::string>().rfind(cache, 0), 0u);
    EXPECT_TRUE(std::filesystem::exists(j["opencl_kernel_cache"].get<std::string>() + ".log"));
    EXPECT_EQ(first.err.find("warning"), std::string::npos) << first.err;
    EXPECT_NE(second.out.find("opencl kernels: loaded from " + cache), std::string::npos) << second.out;
    EXPECT_NE(second.out.find("build log:"), std::string::npos) << second.out;
    std::filesystem::remove_all(cache);
}

// No OpenCL platform (the ICD loader pointed at an empty folder): --backend opencl is bad
// input naming the flag; --backend auto falls back to Eigen and says why in the JSON.
TEST(Cli, OpenCLByNameWithoutADeviceIsBadInputAutoFallsBack) {
    const auto empty = std::filesystem::temp_directory_path() / ("moelab_no_icd_" + std::to_string(::getpid()));
    std::filesystem::create_directories(empty);
    ::setenv("OCL_ICD_VENDORS", empty.c_str(), 1);
    const RunResult named = run({"route", "--text", "abc", "--backend", "opencl"});
    const RunResult automatic = run({"route", "--text", "abc", "--backend", "auto", "--json"});
    ::unsetenv("OCL_ICD_VENDORS");
    std::filesystem::remove_all(empty);
    EXPECT_EQ(named.code, 2);
    EXPECT_NE(named.err.find("--backend opencl"), std::string::npos) << named.err;
    ASSERT_EQ(automatic.code, 0) << automatic.err;
    const auto j = nlohmann::json::parse(automatic.out);
    EXPECT_EQ(j["config"]["backend"], "eigen");
    EXPECT_TRUE(j["config"]["fallback_reason"].is_string());
    EXPECT_TRUE(j["config"]["fallback"].is_null());
}

// The layering rule from the command line: a chapter's settings, a code's own, the flags.
