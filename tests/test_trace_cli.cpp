// Router traces through the binary: route --trace, route --model --trace-out, analyze --trace's
// capacity sweep, import-trace from vLLM and SGLang; numbers by hand on tiny traces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "cli_support.hpp"
#include "tiny_lm_file.hpp"
#include "trace.hpp"

using moe::test::run;
using moe::test::tempPath;
using nlohmann::json;

namespace {

// T = 4, E = 3, k = 1; first choices E0, E0, E1, E0 (rows [ln 2, 0, 0] and [0, ln 2, 0]).
std::string handTraceFile() {
    moe::RouterTrace t;
    t.model = "hand";
    t.numExperts = 3;
    t.topK = 1;
    t.tokens = {97, 98, 99, 97};
    t.tokenText = {"a", "b", "c", "a"};
    moe::Mat m = moe::Mat::Zero(4, 3);
    m(0, 0) = m(1, 0) = m(2, 1) = m(3, 0) = std::log(2.0f);
    t.logits = {m, m};
    const std::string path = tempPath("hand_trace.safetensors");
    moe::saveTrace(t, path);
    return path;
}

// The same T = 4, two layers, choices only: E = 2, k = 2.
std::string choicesTraceFile() {
    moe::RouterTrace t;
    t.model = "engine";
    t.numExperts = 2;
    t.topK = 2;
    t.tokens = {-1, -1, -1, -1};
    t.tokenText = {"", "", "", ""};
    t.topkIds = {{0, 1, 0, 1, 1, 0, 0, 1}, {1, 0, 1, 0, 1, 0, 1, 0}};
    const std::string path = tempPath("choices_trace.safetensors");
    moe::saveTrace(t, path);
    return path;
}

json jsonOf(const std::vector<std::string>& args) {
    const moe::test::RunResult r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
}

}  // namespace

TEST(TraceCli, RouteReplaysALayerWithTheFlagsGiven) {
    const std::string f = handTraceFile();
    json j = jsonOf({"route", "--trace", f, "--json"});  // the trace's own rule: dropless
    EXPECT_EQ(j["capacity"], nullptr);
    EXPECT_EQ(j["metrics"]["dropped"], 0);
    EXPECT_EQ(j["expert_counts"], json({3, 1, 0}));
    EXPECT_EQ(j["trace"], json({{"model", "hand"},
                                {"layer", 0},
                                {"num_layers", 2},
                                {"has_logits", true},
                                {"needs_scores", json::array()}}));
    ASSERT_EQ(j["tokens"].size(), 4u);
    EXPECT_EQ(j["tokens"][2]["text"], "c");
    EXPECT_EQ(j["tokens"][2]["experts"], json({1}));
    EXPECT_NEAR(j["tokens"][0]["scores"][0].get<double>(), 0.5, 1e-6);
    // Capacity ceil(1 * 4 / 3 * 1.0) = 2: E0's third token (t3) is dropped.
    j = jsonOf({"route", "--trace", f, "--layer", "1", "--capacity-factor", "1", "--json"});
    EXPECT_EQ(j["capacity"], 2);
    EXPECT_EQ(j["metrics"]["dropped"], 1);
    EXPECT_DOUBLE_EQ(j["metrics"]["drop_rate"].get<double>(), 0.25);
    EXPECT_EQ(j["tokens"][3]["kept"], json({false}));
    EXPECT_EQ(j["trace"]["layer"], 1);
    // --k 2 with logits: each token's two best.
    j = jsonOf({"route", "--trace", f, "--k", "2", "--json"});
    EXPECT_EQ(j["tokens"][0]["experts"].size(), 2u);
    const moe::test::RunResult text = run({"route", "--trace", f});
    EXPECT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("trace of hand"), std::string::npos) << text.out;
}

TEST(TraceCli, ChoicesOnlyTraceIgnoresWhatNeedsScoresAndSaysSo) {
    const std::string f = choicesTraceFile();
    const moe::test::RunResult r =
        run({"route", "--trace", f, "--temperature", "0.5", "--capacity-factor", "0.75", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("--temperature"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["trace"]["has_logits"], false);
    EXPECT_EQ(j["trace"]["needs_scores"], json({"--temperature"}));
    // Capacity ceil(2 * 4 / 2 * 0.75) = 3 (by hand in test_trace.cpp): t2's and t3's second choices dropped.
    EXPECT_EQ(j["capacity"], 3);
    EXPECT_EQ(j["metrics"]["dropped"], 2);
    EXPECT_EQ(j["tokens"][3]["kept"], json({true, false}));
    EXPECT_FALSE(j["tokens"][0].contains("scores"));
}

TEST(TraceCli, BadTraceInputIsExitTwoNamingIt) {
    const std::string f = handTraceFile();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"route", "--trace", f, "--layer", "2"}, "--layer"},
        {{"route", "--trace", f, "--experts", "4"}, "--experts"},
        {{"route", "--trace", f, "--k", "4"}, "--k"},
        {{"route", "--trace", "/nonexistent/t.safetensors"}, "/nonexistent/t.safetensors"},
        {{"route", "--layer", "1"}, "--layer"},
        {{"route", "--text", "ab", "--trace-out", tempPath("x.safetensors")}, "--trace-out"},
        {{"analyze", "--trace", f, "--k", "1"}, "--k"},
    };
    for (const auto& [args, culprit] : cases) {
        const moe::test::RunResult r = run(args);
        EXPECT_EQ(r.code, 2) << args[1] << " " << r.out;
        EXPECT_NE(r.err.find(culprit), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST(TraceCli, ModelRunWrittenAsTraceReplaysToTheModelsRouting) {
    const std::string model = tempPath("trace_tiny_lm.safetensors");
    moe::writeFileAtomic(model, moe::test::tinyLmFile());
    const std::string f = tempPath("model_trace.safetensors");
    const json routed = jsonOf({"route", "--model", model, "--text", "hello, traces", "--trace-out", f, "--json"});
    for (int layer = 0; layer < 2; ++layer) {
        const json j = jsonOf({"route", "--trace", f, "--layer", std::to_string(layer), "--json"});
        EXPECT_EQ(j["trace"]["model"], model);
        EXPECT_EQ(j["trace"]["num_layers"], 2);
        ASSERT_EQ(j["tokens"].size(), 13u);
        EXPECT_EQ(j["tokens"][5]["text"], ",");
        EXPECT_EQ(j["tokens"][5]["token"], int(','));
        for (size_t t = 0; t < 13; ++t) {
            EXPECT_EQ(j["tokens"][t]["experts"], routed["layers"][layer]["tokens"][t]["experts"]);
            for (size_t s = 0; s < 2; ++s)
                EXPECT_NEAR(j["tokens"][t]["weights"][s].get<double>(),
                            routed["layers"][layer]["tokens"][t]["weights"][s].get<double>(), 1e-6);
        }
    }
    // analyze --model converts its run to a trace: its sweep is the trace's.
    const json viaModel = jsonOf({"analyze", "--model", model, "--text", "hello, traces", "--window", "0", "--json"});
    const json viaTrace = jsonOf({"analyze", "--trace", f, "--json"});
    for (int layer = 0; layer < 2; ++layer) {
        EXPECT_EQ(viaModel["layers"][layer]["capacity_sweep"], viaTrace["layers"][layer]["capacity_sweep"]);
        EXPECT_EQ(viaModel["layers"][layer]["consecutive_same_first"],
                  viaTrace["layers"][layer]["consecutive_same_first"]);
    }
    // In windows of 4 bytes, --trace-out writes the windows' logits joined: the same analysis.
    const std::string windowed = tempPath("windowed_trace.safetensors");
    const json inWindows = jsonOf(
        {"analyze", "--model", model, "--text", "hello, traces", "--window", "4", "--trace-out", windowed, "--json"});
    const json fromFile = jsonOf({"analyze", "--trace", windowed, "--json"});
    EXPECT_EQ(inWindows, fromFile);
}

TEST(TraceCli, AnalyzeTraceSweepsTheCapacityFactor) {
    const json j = jsonOf({"analyze", "--trace", handTraceFile(), "--json"});
    ASSERT_EQ(j["layers"].size(), 2u);
    // Capacities ceil(4/3 * c) for c = 1, 1.25, 1.5, 1.75, 2: 2, 2, 2, 3, 3. At 2, E0's
    // third token is dropped: 1 of 4 assignments.
    const std::vector<double> factors = {1.0, 1.25, 1.5, 1.75, 2.0}, drops = {0.25, 0.25, 0.25, 0.0, 0.0};
    const json& sweep = j["layers"][1]["capacity_sweep"];
    ASSERT_EQ(sweep.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_DOUBLE_EQ(sweep[i]["capacity_factor"].get<double>(), factors[i]);
        EXPECT_DOUBLE_EQ(sweep[i]["drop_rate"].get<double>(), drops[i]) << i;
    }
    // Same first choice for pairs (0,1), (2,3)? E0,E0 yes; E0,E1 no; E1,E0 no: 1 of 3.
    EXPECT_NEAR(j["layers"][0]["consecutive_same_first"].get<double>(), 1.0 / 3.0, 1e-12);
    const moe::test::RunResult text = run({"analyze", "--trace", handTraceFile()});
    EXPECT_NE(text.out.find("drop rate by capacity factor"), std::string::npos) << text.out;
}

namespace {

// [tokens 3, layers 2, top_k 2]: token t's ids per layer.
const std::vector<int64_t> kIds = {0, 1, 2, 3, 1, 0, 3, 2, 2, 1, 0, 3};

std::string npyFile(const std::string& descr, int width, bool fortran = false) {
    std::string header =
        "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (3, 2, 2), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += char(header.size() & 0xFF);
    out += char(header.size() >> 8);
    out += header;
    for (int64_t v : kIds) out.append(reinterpret_cast<const char*>(&v), size_t(width));  // little-endian
    return out;
}

std::string written(const std::string& name, const std::string& bytes) {
    const std::string path = tempPath(name);
    moe::writeFileAtomic(path, bytes);
    return path;
}

}  // namespace

TEST(TraceCli, VllmAndSglangArraysConvertToTheSameTrace) {
    // The base64 of kIds as little-endian int32 (Python's base64.b64encode of struct.pack).
    const std::string sglang =
        R"({"routed_experts": "AAAAAAEAAAACAAAAAwAAAAEAAAAAAAAAAwAAAAIAAAACAAAAAQAAAAAAAAADAAAA", "shape": [3, 2, 2]})";
    const std::vector<std::pair<std::string, std::string>> inputs = {
        {"vllm", written("ids.npy", npyFile("<i2", 2))},
        {"vllm", written("ids8.npy", npyFile("<i8", 8))},
        {"vllm", written("ids.json", "[[[0,1],[2,3]],[[1,0],[3,2]],[[2,1],[0,3]]]")},
        {"sglang", written("sglang.json", sglang)},
    };
    std::vector<std::string> files;
    for (const auto& [from, in] : inputs) {
        const std::string out = in + ".trace";
        const moe::test::RunResult r = run({"import-trace", "--from", from, in, "--out", out, "--model", "m"});
        ASSERT_EQ(r.code, 0) << r.err;
        files.push_back(moe::readFile(out));
    }
    for (size_t i = 1; i < files.size(); ++i) EXPECT_EQ(files[i], files[0]) << inputs[i].second;
    const moe::RouterTrace t = moe::parseTrace(files[0], "t");
    EXPECT_EQ(t.numExperts, 4);  // the largest id + 1
    EXPECT_EQ(t.numLayers(), 2);
    EXPECT_EQ(t.topkIds[1], (std::vector<int>{2, 3, 3, 2, 0, 3}));  // layer 1 of tokens 0, 1, 2
    EXPECT_EQ(t.tokens, (std::vector<int>{-1, -1, -1}));
    // It replays: layer 1 with capacity ceil(2 * 3 / 4 * 1.0) = 2: E3 is asked by all three tokens.
    const json j =
        jsonOf({"route", "--trace", inputs[0].second + ".trace", "--layer", "1", "--capacity-factor", "1", "--json"});
    EXPECT_EQ(j["experts"][3]["dropped"], 1);
}

TEST(TraceCli, ImportRefusesWhatItCannotRead) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"vllm", written("big_endian.npy", npyFile(">i2", 2))},
        {"vllm", written("fortran.npy", npyFile("<i2", 2, true))},
        {"vllm", written("float.npy", npyFile("<f4", 4))},
        {"vllm", written("ragged.json", "[[[0,1],[2,3]],[[1,0]]]")},
        {"vllm", written("negative.json", "[[[0,-1]]]")},
        {"vllm", written("twice.json", "[[[1,1]]]")},
        {"sglang", written("short.json", R"({"routed_experts": "AAAAAA==", "shape": [3, 2, 2]})")},
        {"sglang", written("noshape.json", R"({"routed_experts": "AAAAAA=="})")},
    };
    for (const auto& [from, in] : bad) {
        const moe::test::RunResult r = run({"import-trace", "--from", from, in, "--out", in + ".trace"});
        EXPECT_EQ(r.code, 2) << in;
        EXPECT_NE(r.err.find(in), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    const moe::test::RunResult r = run({"import-trace", "--from", "vllm", written("ok.json", "[[[0,3]]]"), "--out",
                                        tempPath("ok.trace"), "--num-experts", "3"});
    EXPECT_EQ(r.code, 2);  // id 3 with 3 experts
}
