// Router traces (core/trace.hpp): the model's run written and read back replays to the same
// routing; hand-computed replays of small logits and choices-only traces; bad files refused.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "backends/eigen_backend.hpp"
#include "atomic_file.hpp"
#include "errors.hpp"
#include "lm/lm_trace.hpp"
#include "safetensors.hpp"
#include "tiny_lm_file.hpp"
#include "trace.hpp"

namespace moe {
namespace {

// T = 4, E = 3, k = 1: rows [ln 2, 0, 0] have softmax [1/2, 1/4, 1/4]. First choices
// E0, E0, E1, E0.
RouterTrace handLogitsTrace() {
    RouterTrace t;
    t.model = "hand";
    t.numExperts = 3;
    t.topK = 1;
    t.tokens = {10, 11, 12, 10};
    t.tokenText = {"a", "b", "c", "a"};
    Mat m = Mat::Zero(4, 3);
    m(0, 0) = m(1, 0) = m(2, 1) = m(3, 0) = std::log(2.0f);
    t.logits = {m};
    return t;
}

// T = 4, E = 2, k = 2, one layer: t0 [0,1], t1 [0,1], t2 [1,0], t3 [0,1].
RouterTrace handChoicesTrace() {
    RouterTrace t;
    t.model = "engine";
    t.numExperts = 2;
    t.topK = 2;
    t.tokens = {-1, -1, -1, -1};
    t.tokenText = {"", "", "", ""};
    t.topkIds = {{0, 1, 0, 1, 1, 0, 0, 1}};
    return t;
}

std::vector<int> keptFlags(const Routing& r) { return std::vector<int>(r.slotKept.begin(), r.slotKept.end()); }

}  // namespace

TEST(Trace, ModelRunWrittenAndReadBackReplaysToTheSameRouting) {
    const LmModel m = parseLm(test::tinyLmFile(), "tiny.safetensors");
    EigenBackend eigen;
    const std::string text = "MoE \xE6\x98\xAF ok";
    const LmRun run = runLm(eigen, m, trainedRouting(m.config), text);
    const RouterTrace back = parseTrace(serializeTrace(lmRunTrace("tiny", m.config, run, text)), "t.safetensors");
    ASSERT_EQ(back.numLayers(), 2);
    EXPECT_TRUE(back.hasLogits());
    EXPECT_EQ(back.model, "tiny");
    EXPECT_EQ(back.topK, 2);
    EXPECT_EQ(back.numExperts, 4);
    ASSERT_EQ(back.tokenCount(), int(text.size()));
    EXPECT_EQ(back.tokens[0], 'M');
    EXPECT_EQ(back.tokens[4], 0xE6);
    EXPECT_EQ(back.tokenText[4], "<0xE6>");
    EXPECT_EQ(back.tokenText[3], " ");
    for (int l = 0; l < 2; ++l) {
        const Routing& want = run.layers[l].routing;
        const Routing got = replayTraceLayer(back, l, traceRouterConfig(back));
        EXPECT_EQ(got.slotBegin, want.slotBegin) << l;
        EXPECT_EQ(got.slotExpert, want.slotExpert) << l;
        EXPECT_EQ(got.slotWeight, want.slotWeight) << l;  // the very same floats
        EXPECT_EQ(got.slotKept, want.slotKept) << l;
        EXPECT_EQ(got.capacity, -1);
    }
}

TEST(Trace, LogitsReplayWithCapacityDropsWhatTheRuleSays) {
    const RouterTrace t = parseTrace(serializeTrace(handLogitsTrace()), "hand");
    RouterConfig cfg = traceRouterConfig(t);
    cfg.capacityFactor = 1.0;  // ceil(1 * 4 / 3 * 1.0) = 2
    Routing r = replayTraceLayer(t, 0, cfg);
    EXPECT_EQ(r.capacity, 2);
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 0, 1, 0}));
    EXPECT_EQ(keptFlags(r), (std::vector<int>{1, 1, 1, 0}));  // E0's third token, by position
    EXPECT_EQ(r.kept, (std::vector<int>{2, 1, 0}));
    EXPECT_FLOAT_EQ(r.slotWeight[0], 1.0f);  // k = 1 renormalised
    cfg.renormalize = false;
    r = replayTraceLayer(t, 0, cfg);
    EXPECT_FLOAT_EQ(r.slotWeight[0], 0.5f);  // the softmax score 2 / (2 + 1 + 1)
    // Capacities 2, 2, 2, 3, 3: one of four assignments dropped, then none.
    const std::vector<double> want = {0.25, 0.25, 0.25, 0.0, 0.0};
    const std::vector<CapacityPoint> sweep = capacitySweep(t, 0);
    ASSERT_EQ(sweep.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_DOUBLE_EQ(sweep[i].capacityFactor, 1.0 + 0.25 * double(i));
        EXPECT_DOUBLE_EQ(sweep[i].dropRate, want[i]) << i;
    }
}

TEST(Trace, ChoicesOnlyReplayKeepsTheRecordedChoicesUnderCapacity) {
    const RouterTrace t = parseTrace(serializeTrace(handChoicesTrace()), "engine");
    EXPECT_FALSE(t.hasLogits());
    RouterConfig cfg = traceRouterConfig(t);
    cfg.capacityFactor = 0.75;  // ceil(2 * 4 / 2 * 0.75) = 3
    Routing r = replayTraceLayer(t, 0, cfg);
    EXPECT_EQ(r.capacity, 3);
    // First choices: E0 takes t0, t1, t3; E1 takes t2. Second: E1 takes t0, t1 (3 in all),
    // E0 is full for t2, E1 is full for t3.
    EXPECT_EQ(keptFlags(r), (std::vector<int>{1, 1, 1, 1, 1, 0, 1, 0}));
    EXPECT_EQ(r.overflow, (std::vector<int>{1, 1}));
    for (float w : r.slotWeight) EXPECT_FLOAT_EQ(w, 0.5f);
    cfg.k = 1;  // the first recorded choice alone, capacity ceil(1 * 4 / 2 * 1.0) = 2
    cfg.capacityFactor = 1.0;
    r = replayTraceLayer(t, 0, cfg);
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 0, 1, 0}));
    EXPECT_EQ(keptFlags(r), (std::vector<int>{1, 1, 1, 0}));
    for (float w : r.slotWeight) EXPECT_FLOAT_EQ(w, 1.0f);
}

TEST(Trace, ChoicesOnlyTraceNamesTheFlagsThatNeedScores) {
    const RouterTrace choices = handChoicesTrace();
    RouterConfig cfg = traceRouterConfig(choices);
    EXPECT_TRUE(settingsNeedingScores(choices, cfg).empty());
    cfg.capacityFactor = 1.0;  // capacity needs no scores
    cfg.k = 1;
    EXPECT_TRUE(settingsNeedingScores(choices, cfg).empty());
    cfg.k = 3;
    cfg.temperature = 0.5f;
    cfg.score = ScoreFn::Sigmoid;
    cfg.dropPriority = DropPriority::Score;
    cfg.mode = RoutingMode::ExpertChoice;
    cfg.expertBias = {0.0f, 0.1f};
    EXPECT_EQ(
        settingsNeedingScores(choices, cfg),
        (std::vector<std::string>{"--k", "--score", "--temperature", "--routing", "--drop-priority", "--expert-bias"}));
    // The replay ignores them: the recorded top-2, token choice.
    const Routing r = replayTraceLayer(choices, 0, cfg);
    EXPECT_EQ(r.k, 2);
    EXPECT_EQ(r.mode, RoutingMode::TokenChoice);
    // Logits honour all of these; noise acts on the router's input, which no trace has.
    const RouterTrace logits = handLogitsTrace();
    cfg.k = 1;
    cfg.expertBias = {0.0f, 0.1f, 0.0f};
    EXPECT_TRUE(settingsNeedingScores(logits, cfg).empty());
    cfg.noisyTopk = true;
    EXPECT_EQ(settingsNeedingScores(logits, cfg), (std::vector<std::string>{"--noisy-topk"}));
}

TEST(Trace, ByteTokenText) {
    EXPECT_EQ(byteTokenText('a'), "a");
    EXPECT_EQ(byteTokenText(' '), " ");
    EXPECT_EQ(byteTokenText('\n'), "<0x0A>");
    EXPECT_EQ(byteTokenText(0xE4), "<0xE4>");
    EXPECT_EQ(byteTokenText(0x7F), "<0x7F>");
}

namespace {

// A trace file with the given metadata and tensors (ids as I32, logits as F32).
std::string traceFile(const nlohmann::json& meta, const std::vector<int32_t>& tokens,
                      const std::vector<std::pair<std::string, std::vector<int32_t>>>& ids, int k,
                      const std::vector<std::pair<std::string, Mat>>& logits = {}) {
    std::vector<TensorOut> out = {{"tokens", "I32", {int64_t(tokens.size())}, tokens.data()}};
    for (const auto& [name, v] : ids) out.push_back({name, "I32", {int64_t(v.size() / k), k}, v.data()});
    for (const auto& [name, m] : logits) out.push_back({name, "F32", {m.rows(), m.cols()}, m.data()});
    return serializeSafetensors(out, {{"trace", meta.dump()}});
}

nlohmann::json meta(int layers, int experts, int k, int tokens) {
    return {{"model", "m"},
            {"num_layers", layers},
            {"num_experts", experts},
            {"top_k", k},
            {"token_text", std::vector<std::string>(tokens, "")}};
}

std::string refusal(const std::string& bytes) {
    try {
        parseTrace(bytes, "bad.safetensors");
    } catch (const InputError& e) {
        return e.field();
    }
    return "(loaded)";
}

}  // namespace

TEST(Trace, BadFilesAreRefusedNamingTheTensorOrKey) {
    const std::vector<int32_t> tok = {1, 2};
    const std::vector<int32_t> ids = {0, 1, 1, 0};
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.0", ids}}, 2)), "(loaded)");
    EXPECT_EQ(refusal(traceFile(meta(2, 2, 2, 2), tok, {{"topk_ids.0", ids}}, 2)), "topk_ids.1");  // missing layer
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.0", {0, 1, 1, 2}}}, 2)), "topk_ids.0");  // id 2
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.0", {0, 0, 1, 0}}}, 2)), "topk_ids.0");  // twice
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.0", {0, 1}}}, 2)), "topk_ids.0");        // T = 1
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 3), tok, {{"topk_ids.0", ids}}, 2)), "__metadata__.trace.token_text");
    EXPECT_EQ(refusal(traceFile(meta(0, 2, 2, 2), tok, {{"topk_ids.0", ids}}, 2)), "__metadata__.trace.num_layers");
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 3, 2), tok, {{"topk_ids.0", ids}}, 2)), "__metadata__.trace.top_k");
    nlohmann::json noModel = meta(1, 2, 2, 2);
    noModel.erase("model");
    EXPECT_EQ(refusal(traceFile(noModel, tok, {{"topk_ids.0", ids}}, 2)), "__metadata__.trace.model");
    EXPECT_EQ(refusal(serializeSafetensors({{"tokens", "I32", {2}, tok.data()}}, {{"trace", "{not json"}})),
              "__metadata__.trace");
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.3", ids}}, 2)), "topk_ids.3");
    // Logits of the wrong width, and a layer beyond num_layers.
    EXPECT_EQ(refusal(traceFile(meta(1, 3, 1, 2), tok, {}, 1, {{"router_logits.0", Mat::Zero(2, 2)}})),
              "router_logits.0");
    EXPECT_EQ(refusal(traceFile(meta(1, 2, 2, 2), tok, {{"topk_ids.0", ids}, {"topk_ids.1", ids}}, 2)), "topk_ids.1");
    EXPECT_EQ(refusal(serializeTrace(handLogitsTrace()).substr(0, 100)), "bad.safetensors");  // truncated
}

TEST(Trace, SafetensorsReadsIntegersOfEveryWidthAsInt32) {
    const std::vector<int16_t> i16 = {-3, 7};
    const std::vector<int64_t> i64 = {5, int64_t(1) << 40};
    std::vector<TensorOut> out = {{"a", "I32", {1}, i16.data()}};  // 4 bytes: the two int16s
    std::string bytes = serializeSafetensors(out, {});
    // Rewrite the dtype and shape by hand: "I32" [1] -> "I16" [2] keeps the byte count.
    const size_t at = bytes.find("\"I32\",\"shape\":[1]");
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, 17, "\"I16\",\"shape\":[2]");
    const SafetensorsFile f(bytes, "ints");
    EXPECT_EQ(f.ints("a", {2}), (std::vector<int32_t>{-3, 7}));
    EXPECT_THROW(f.ints("a", {1, 2}), InputError);
    std::string wide = serializeSafetensors({{"b", "I32", {4}, i64.data()}}, {});
    const size_t w = wide.find("\"I32\",\"shape\":[4]");
    wide.replace(w, 17, "\"I64\",\"shape\":[2]");
    try {
        SafetensorsFile(wide, "wide").ints("b", {2});
        FAIL() << "2^40 is beyond int32";
    } catch (const InputError& e) {
        EXPECT_EQ(e.field(), "b");
    }
}

}  // namespace moe

namespace moe {

// What each trace seed of the fuzz corpus (tests/fuzz/make_corpus.py) must do.
TEST(Trace, FuzzSeedsLoadOrAreRefusedNamingTheCulprit) {
    const std::string dir = std::string(MOELAB_SOURCE_DIR) + "/tests/fuzz/corpus/trace/";
    const std::vector<std::pair<std::string, std::string>> seeds = {
        {"logits.safetensors", "(loaded)"},
        {"choices_only.safetensors", "(loaded)"},
        {"truncated.safetensors", "router_logits.1"},  // the last tensor lies past the end
        {"missing_layer.safetensors", "topk_ids.2"},
        {"wrong_shape.safetensors", "topk_ids.1"},
        {"id_out_of_range.safetensors", "topk_ids.0"},
        {"token_text_short.safetensors", "__metadata__.trace.token_text"},
        {"k_over_experts.safetensors", "__metadata__.trace.top_k"},
        {"bad_json.safetensors", "__metadata__.trace"},
        {"ids_as_f32.safetensors", "topk_ids.0"},
    };
    for (const auto& [file, culprit] : seeds) EXPECT_EQ(refusal(readFile(dir + file)), culprit) << file;
    const RouterTrace t = parseTrace(readFile(dir + "logits.safetensors"), "seed");
    EXPECT_EQ(t.score, ScoreFn::Sigmoid);
    EXPECT_FALSE(t.renormalize);
}

}  // namespace moe
