// A long text routed a chunk of rows at a time (core/route_stream) gives the one-shot
// result bit for bit: decisions, scores, metrics and outputs, for every rule that
// streams; and the tokenizer handed out in chunks gives the same tokens.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "route_stream.hpp"
#include "settings.hpp"
#include "settings_schema.hpp"
#include "test_support.hpp"
#include "tokenizer.hpp"

using namespace moe;

namespace {

// Chinese, English, invalid bytes and 4-byte characters, repeated to `bytes`.
std::string mixedText(size_t bytes, uint32_t seed) {
    const std::string pieces[] = {"MoE是很强大的机制！",
                                  "Experts divide the bytes. ",
                                  "\xE4\xB8",
                                  "\xFF",
                                  "😀",
                                  "\n",
                                  "路由器为每个专家打分。",
                                  "\xC3\xA9\xA9",
                                  "top-k "};
    std::mt19937 rng(seed);
    std::string s;
    while (s.size() < bytes) s += pieces[rng() % std::size(pieces)];
    s.resize(bytes);
    return s;
}

void expectSameLayer(const LayerResult& one, const LayerResult& streamed, int E) {
    const Routing &a = one.routing, &b = streamed.routing;
    ASSERT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.capacity, b.capacity);
    EXPECT_EQ(a.slotBegin, b.slotBegin);
    EXPECT_EQ(a.slotExpert, b.slotExpert);
    EXPECT_EQ(a.slotChoice, b.slotChoice);
    EXPECT_EQ(a.slotWeight, b.slotWeight);
    EXPECT_EQ(a.slotKept, b.slotKept);
    EXPECT_EQ(a.slotSkipped, b.slotSkipped);
    EXPECT_EQ(a.requested, b.requested);
    EXPECT_EQ(a.kept, b.kept);
    EXPECT_EQ(a.overflow, b.overflow);
    EXPECT_TRUE(a.scores == b.scores);
    EXPECT_EQ(b.logits.size(), 0);  // printed from logitRows instead
    EXPECT_EQ(one.metrics.auxLoss, streamed.metrics.auxLoss);
    EXPECT_EQ(one.metrics.zLoss, streamed.metrics.zLoss);
    EXPECT_EQ(one.metrics.entropy, streamed.metrics.entropy);
    EXPECT_EQ(one.metrics.cv, streamed.metrics.cv);
    EXPECT_EQ(one.metrics.dropRate, streamed.metrics.dropRate);
    EXPECT_GT(E, 0);
}

LayerResult oneShot(const ModelWeights& w, const RouterConfig& cfg, const std::string& text, bool outputs) {
    EigenBackend eigen;
    LayerResult r;
    runLayer(eigen, w, cfg, text, embedBytes(w, text), outputs, r);
    return r;
}

}  // namespace

TEST(ByteTokenStream, ChunksOfAnySizeGiveTheTokensOfTheWholeText) {
    const std::string text = mixedText(5000, 1);
    const std::vector<ByteToken> whole = tokenize(text);
    for (size_t chunk : {1, 2, 3, 7, 64, 4999}) {
        ByteTokenStream stream(text);
        std::vector<ByteToken> got;
        while (got.size() < text.size()) {
            const auto part = stream.take(chunk);
            ASSERT_FALSE(part.empty());
            got.insert(got.end(), part.begin(), part.end());
        }
        ASSERT_EQ(got.size(), whole.size());
        for (size_t t = 0; t < whole.size(); ++t) {
            EXPECT_EQ(got[t].charIndex, whole[t].charIndex) << "chunk " << chunk << " token " << t;
            EXPECT_EQ(got[t].byteInChar, whole[t].byteInChar);
            EXPECT_EQ(got[t].charBytes, whole[t].charBytes);
            EXPECT_EQ(got[t].valid, whole[t].valid);
            EXPECT_EQ(got[t].text, whole[t].text);
        }
    }
    EXPECT_EQ(countCharacters(text), whole.back().charIndex + 1);
    // A malformed tail: "é" then a stray continuation byte, a lead byte without its continuation.
    const auto odd = tokenize("\xC3\xA9\xA9\xE4");
    EXPECT_EQ(odd[0].charBytes, 2);
    EXPECT_FALSE(odd[2].valid);
    EXPECT_FALSE(odd[3].valid);
    EXPECT_EQ(countCharacters("\xC3\xA9\xA9\xE4"), 3);
}

// Three chunks and a short last one, for each rule that streams.
TEST(RouteInChunks, EveryStreamingRuleGivesTheOneShotResultBitForBit) {
    Settings s;
    s.shape.experts = 8;
    ModelWeights w = buildWeights(s);
    const std::string text = mixedText(3 * 8192 + 1234, 2);
    std::vector<std::pair<const char*, RouterConfig>> cases;
    RouterConfig c;
    c.capacityFactor = 1.0;
    cases.push_back({"drop by position", c});
    c.overflow = Overflow::Reroute;
    cases.push_back({"reroute", c});
    c = {};
    c.dropPriority = DropPriority::Score;
    c.capacityFactor = 0.8;
    cases.push_back({"drop by score", c});
    c = {};
    c.noisyTopk = true;
    c.jitter = 0.05f;
    c.noiseSeed = 9;
    cases.push_back({"noise and jitter", c});
    c = {};
    c.randomRouting = true;
    c.capacityGroups = 4;
    c.capacityFactor = 2.0;
    c.renormalize = true;
    cases.push_back({"GShard: random routing, group capacity", c});
    c = {};
    c.groups = 4;
    c.topkGroups = 2;
    c.score = ScoreFn::Sigmoid;
    c.expertBias = {0.1f, 0, 0, -0.2f, 0, 0, 0.3f, 0};
    cases.push_back({"DeepSeek: groups, sigmoid, bias", c});
    c = {};
    c.capacityFactor = -2.0;
    c.dropPriority = DropPriority::Random;
    cases.push_back({"Tutel dynamic capacity, random token selection", c});
    c = {};
    c.temperature = 0.0f;
    c.capacityFactor = 0.0;
    cases.push_back({"T = 0, dropless", c});
    w.noiseW.setConstant(0.05f);
    for (const auto& [name, cfg] : cases) {
        SCOPED_TRACE(name);
        const LayerResult one = oneShot(w, cfg, text, false);
        expectSameLayer(one, routeInChunks(w, cfg, text, 8192), 8);
        // The logits printed for a chunk are the one-shot logits.
        EXPECT_TRUE(logitRows(w, cfg, text, 8192, 16384).logits == one.routing.logits.middleRows(8192, 8192));
    }
}

// The shipped checkpoint mixes each byte with the bytes before it: a chunk's first rows
// see the previous chunk's bytes. Outputs per chunk equal the one-shot outputs to float
// rounding: an expert's GEMM rounds a row by where it falls in the GEMM's row blocks
// (vector FMA or the scalar remainder), and a chunk gathers fewer rows per expert.
TEST(RouteInChunks, ATrainedMixerAndTheOutputsAcrossChunkBoundaries) {
    Settings s;
    useShippedModel(s);
    if (s.weightsPath.empty()) GTEST_SKIP() << "no shipped checkpoint";
    const ModelWeights w = buildWeights(s);
    ASSERT_GT(w.mixer.rows(), 1);
    const std::string text = mixedText(40 * 4096 + 77, 3);
    RouterConfig cfg = s.router;
    const LayerResult one = oneShot(w, cfg, text, true);
    const LayerResult streamed = routeInChunks(w, cfg, text, 4096);
    expectSameLayer(one, streamed, w.shape.experts);
    EigenBackend eigen;
    const Mat x = embedBytes(w, text);
    for (int t0 = 0; t0 < int(text.size()); t0 += 4096) {
        const int t1 = std::min<int>(text.size(), t0 + 4096);
        EXPECT_TRUE(embedRows(w, text, t0, t1) == x.middleRows(t0, t1 - t0));
        Mat out;
        eigen.experts(w, embedRows(w, text, t0, t1), routingRows(streamed.routing, t0, t1), out);
        const Mat ref = one.outputs.middleRows(t0, t1 - t0);
        EXPECT_LE((out - ref).cwiseAbs().maxCoeff(), 1e-6f * std::max(1.0f, ref.cwiseAbs().maxCoeff()))
            << "rows " << t0 << ".." << t1;
    }
}

TEST(RouteInChunks, SentenceRoutingAndExpertChoiceDoNotStream) {
    RouterConfig c;
    EXPECT_TRUE(streamable(c));
    c.mode = RoutingMode::ExpertChoice;
    EXPECT_FALSE(streamable(c));
    c = {};
    c.level = RouteLevel::Sentence;
    EXPECT_FALSE(streamable(c));
}

// The command line on a 2 MB text: streamed in 64 Ki-row chunks (the default) and in
// one piece, formatted by three threads and by one, print the same JSON (tokens, logits, scores, slots, experts, metrics,
// traffic; the outputs are checked above, in-process, being 0.8 GB of text here).
TEST(RouteInChunks, TheCommandPrintsTheSameJsonStreamedAndInOnePiece) {
    const auto dir = std::filesystem::temp_directory_path() / ("moelab_stream_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string file = (dir / "text.txt").string();
    std::FILE* f = std::fopen(file.c_str(), "wb");
    const std::string text = mixedText(2'000'000, 4);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    const auto hash = [&](const std::string& env) {
        const std::string json = (dir / "out.json").string(), out = (dir / "sum").string();
        moe::test::RunOptions o;
        o.env = env;
        o.stdoutFile = json;
        const moe::test::RunResult r =
            moe::test::runMoelab({"route", "--text-file", file, "--capacity-factor", "1", "--json"}, o);
        // A route that fails, the same way each time, must not hash three equal empty outputs.
        EXPECT_EQ(r.code, 0) << env << ": " << r.err;
        std::error_code missing;
        EXPECT_GT(std::filesystem::file_size(json, missing), text.size()) << env;  // JSON for each of its bytes
        // The device line names the thread count: everything else must be the same.
        const std::string cmd = "sed 's/, [0-9]* threads\\?)/)/' " + moe::test::shellQuote(json) + " | sha256sum > " +
                                moe::test::shellQuote(out);
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
        std::filesystem::remove(json);
        std::string sum(64, ' ');
        std::FILE* in = std::fopen(out.c_str(), "rb");
        if (in) {
            sum.resize(std::fread(sum.data(), 1, 64, in));
            std::fclose(in);
        }
        return sum;
    };
    // Three threads format each chunk in three shares; one thread writes it alone.
    const std::string streamed = hash("OMP_NUM_THREADS=3 MOELAB_STREAM_ROWS=65536");
    const std::string whole = hash("OMP_NUM_THREADS=3 MOELAB_STREAM_ROWS=4000000");
    const std::string oneThread = hash("OMP_NUM_THREADS=1 MOELAB_STREAM_ROWS=65536");
    EXPECT_EQ(streamed.size(), 64u);
    EXPECT_EQ(streamed, whole);
    EXPECT_EQ(streamed, oneThread);
    std::filesystem::remove_all(dir);
}
