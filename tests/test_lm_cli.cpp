// `moelab route --model` and `moelab generate` through the binary: the JSON's fields
// against their formulas, routing flags on every layer, and bad input as exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "share_code.hpp"
#include "test_support.hpp"
#include "tiny_lm_file.hpp"

using moe::test::runMoelab;
using nlohmann::json;

namespace {

const std::string kText = "床前明月光，疑是地上霜。 In the beginning";

json routeJson(std::vector<std::string> extra) {
    std::vector<std::string> args = {"route", "--model", "tiny-lm", "--text", kText, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = runMoelab(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
}

std::string tempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace

TEST(LmCli, RouteAsTrainedGivesEveryLayerAndTheNextByte) {
    const json j = routeJson({"--logprobs"});
    ASSERT_EQ(j["layers"].size(), 4u);
    const size_t T = kText.size();
    EXPECT_EQ(j["config"]["k"], 2);  // as trained: top-2, dropless
    EXPECT_EQ(j["config"]["capacity_factor"], 0.0);
    EXPECT_EQ(j["config"]["model"], "tiny-lm");
    for (const json& layer : j["layers"]) {
        ASSERT_EQ(layer["tokens"].size(), T);
        int counted = 0;
        for (const json& tok : layer["tokens"]) {
            ASSERT_EQ(tok["experts"].size(), 2u);
            EXPECT_NEAR(tok["weights"][0].get<double>() + tok["weights"][1].get<double>(), 1.0, 1e-6);
            EXPECT_EQ(tok["scores"].size(), 8u);
            EXPECT_GE(tok["weights"][0].get<double>(), tok["weights"][1].get<double>());  // choice order
        }
        for (const json& c : layer["expert_counts"]) counted += c.get<int>();
        EXPECT_EQ(counted, int(2 * T));  // every byte's two assignments kept
        EXPECT_EQ(layer["metrics"]["dropped"], 0);
    }
    // The one-layer fields describe layer 0.
    for (size_t t = 0; t < T; ++t) EXPECT_EQ(j["tokens"][t]["experts"], j["layers"][0]["tokens"][t]["experts"]);
    // bits per byte = mean over t >= 1 of -log2 p(byte t | bytes before), from the log-probabilities.
    const json& lp = j["logprobs"];
    ASSERT_EQ(lp.size(), T);
    double nats = 0;
    for (size_t t = 1; t < T; ++t) nats -= lp[t - 1][static_cast<unsigned char>(kText[t])].get<double>();
    EXPECT_NEAR(j["bits_per_byte"].get<double>(), nats / (T - 1) / std::log(2.0), 1e-5);
    // next_byte: the 5 largest of the last row, likeliest first.
    std::vector<double> last = lp[T - 1].get<std::vector<double>>();
    double total = 0;
    for (double v : last) total += std::exp(v);
    EXPECT_NEAR(total, 1.0, 1e-4);
    ASSERT_EQ(j["next_byte"].size(), 5u);
    std::vector<double> sorted = last;
    std::sort(sorted.rbegin(), sorted.rend());
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(j["next_byte"][i]["logprob"].get<double>(), sorted[i]);
        EXPECT_EQ(last[j["next_byte"][i]["byte"].get<int>()], sorted[i]);
    }
}

TEST(LmCli, RoutingFlagsApplyToEveryLayer) {
    const json one = routeJson({"--k", "1"});
    for (const json& layer : one["layers"])
        for (const json& tok : layer["tokens"]) {
            ASSERT_EQ(tok["experts"].size(), 1u);
            EXPECT_NEAR(tok["weights"][0].get<double>(), 1.0, 1e-6);  // renormalised over one expert
        }

    // Capacity ceil(0.5 · T · k / E) = 7 per expert and layer (T = 53): 8 · 7 slots for 106 assignments.
    const json tight = routeJson({"--capacity-factor", "0.5"});
    const int T = int(kText.size()), capacity = int(std::ceil(0.5 * T * 2 / 8));
    for (const json& layer : tight["layers"]) {
        int kept = 0;
        for (const json& c : layer["expert_counts"]) {
            EXPECT_LE(c.get<int>(), capacity);
            kept += c.get<int>();
        }
        EXPECT_EQ(layer["metrics"]["dropped"].get<int>(), 2 * T - kept);
        EXPECT_GT(layer["metrics"]["dropped"].get<int>(), 0);
    }
}

// Each layer's traffic compares the placements; with 8 experts on 8 GPUs each GPU holds one
// expert whatever the placement, so the busiest GPU's load is the busiest expert's.
TEST(LmCli, EveryLayerHasItsTrafficAndPlacements) {
    const json j = routeJson({"--gpus", "8"});
    const double T = double(kText.size());
    for (const json& layer : j["layers"]) {
        const json& placements = layer["traffic"]["placements"];
        ASSERT_EQ(placements.size(), 4u);
        const int busiest = *std::max_element(layer["expert_counts"].begin(), layer["expert_counts"].end());
        for (const json& p : placements) {
            EXPECT_EQ(p["max_gpu_load"], busiest) << p["placement"];
            EXPECT_NEAR(p["mean_gpu_load"].get<double>(), 2 * T / 8, 1e-9);
        }
        EXPECT_EQ(layer["traffic"]["dispatch_bytes"].size(), 8u);
    }
    EXPECT_FALSE(routeJson({})["layers"][0]["traffic"].contains("placements"));  // one GPU: nothing to place
}

TEST(LmCli, ReadableTableNamesEveryLayer) {
    const auto r = runMoelab({"route", "--model", "tiny-lm", "--text", "hello"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* part : {"layer 0", "layer 3", "(as trained)", "bits per byte", "next byte"})
        EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

TEST(LmCli, BadInputIsExitTwoNamingTheCulprit) {
    const auto named = [](const std::vector<std::string>& args, const std::string& culprit) {
        const auto r = runMoelab(args);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find(culprit), std::string::npos) << r.err;
    };
    named({"route", "--model", "tiny-lm", "--experts", "4"}, "--experts");
    named({"route", "--model", "tiny-lm", "--weights", "x.safetensors"}, "--weights");
    named({"route", "--model", "tiny-lm", "--text", ""}, "--text");
    named({"route", "--text", "hi", "--logprobs"}, "--logprobs");
    named({"route", "--model", "tiny-lm", "--k", "9"}, "--k");  // E = 8
    const std::string missing = tempPath("lm_missing.safetensors");
    moe::writeFileAtomic(missing,
                         moe::test::tinyLmFile(moe::test::tinyConfig(), "model.layers.1.self_attn.o_proj.weight"));
    named({"route", "--model", missing, "--text", "hi"}, "model.layers.1.self_attn.o_proj.weight");
    const std::string shipped = moe::readFile(moe::dataPath("models/tiny-lm.safetensors"), moe::kMaxWeightsFileBytes);
    const std::string cut = tempPath("lm_cut.safetensors");
    moe::writeFileAtomic(cut, shipped.substr(0, shipped.size() / 2));
    named({"route", "--model", cut, "--text", "hi"}, "truncated");
    named({"generate", "--model", cut, "--text", "hi"}, "truncated");
    named({"generate", "--model", "no-such-model.safetensors", "--text", "hi"}, "no-such-model.safetensors");
    named({"generate", "--model", "tiny-lm"}, "--text");
    named({"generate", "--model", "tiny-lm", "--text", "hi", "--sample-temperature", "-1"}, "--sample-temperature");
    std::filesystem::remove(missing);
    std::filesystem::remove(cut);
}

TEST(LmCli, GeneratePrintsPromptAndContinuation) {
    const std::string prompt = "床前明月光，";
    const auto greedy = runMoelab({"generate", "--model", "tiny-lm", "--text", prompt, "--bytes", "24"});
    ASSERT_EQ(greedy.code, 0) << greedy.err;
    ASSERT_EQ(greedy.out.size(), prompt.size() + 24 + 1);  // raw bytes, then a newline
    EXPECT_EQ(greedy.out.substr(0, prompt.size()), prompt);
    const auto asJson = runMoelab({"generate", "--model", "tiny-lm", "--text", prompt, "--bytes", "24", "--json"});
    ASSERT_EQ(asJson.code, 0) << asJson.err;
    const json j = json::parse(asJson.out);
    ASSERT_EQ(j["generated"].size(), 24u);
    std::string continuation;
    for (const json& b : j["generated"]) {
        continuation += static_cast<char>(b["byte"].get<int>());
        ASSERT_EQ(b["layers"].size(), 4u);
        EXPECT_EQ(b["layers"][0].size(), 2u);
        EXPECT_LE(b["logprob"].get<double>(), 0.0);
    }
    EXPECT_EQ(greedy.out.substr(prompt.size(), 24), continuation);
    const std::vector<std::string> sampled = {"generate", "--model",       "tiny-lm", "--text",
                                              prompt,     "--bytes",       "24",      "--sample-temperature",
                                              "1",        "--sample-seed", "3"};
    EXPECT_EQ(runMoelab(sampled).out, runMoelab(sampled).out);  // the same seed, the same text
}

// bench --shape lm without PyTorch (MOELAB_PYTHON=false): moelab's side still runs, and the
// report says why PyTorch's numbers are 0 rather than passing them off as measured.
TEST(LmCli, BenchWithoutPyTorchSaysSoAndTimesMoelab) {
    moe::test::RunOptions o;
    o.env = "MOELAB_PYTHON=false OMP_NUM_THREADS=1";
    const auto r = runMoelab({"bench", "--shape", "lm", "--min-time", "0", "--json"}, o);
    ASSERT_EQ(r.code, 0) << r.err;
    const json lm = json::parse(r.out)["lm"];
    ASSERT_TRUE(lm.contains("pytorch_missing")) << lm.dump();
    EXPECT_FALSE(lm.contains("pytorch"));
    ASSERT_EQ(lm["forward"].size(), 2u);
    EXPECT_EQ(lm["forward"][0]["tokens"], 256);
    EXPECT_EQ(lm["forward"][1]["tokens"], 4096);
    for (const auto& f : lm["forward"]) {
        EXPECT_GT(f["moelab_ms"].get<double>(), 0.0);
        EXPECT_EQ(f["pytorch_ms"].get<double>(), 0.0);
        EXPECT_EQ(f["ratio"].get<double>(), 0.0);
    }
    EXPECT_GT(lm["generate"]["moelab_bytes_per_s"].get<double>(), 0.0);
    EXPECT_EQ(lm["threads"], 1);
}

// A chapter or code of the language model runs it, as `route --model` would with the
// chapter's text (chapter 12 sets no routing: the model as trained); a code carries the
// model and the layer shown.
TEST(LmCli, AModelChapterOrItsCodeRunsTheModel) {
    const std::string text =
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。And God said, Let there be light: and there was light.";
    const auto direct = runMoelab({"route", "--model", "tiny-lm", "--text", text, "--json"});
    ASSERT_EQ(direct.code, 0) << direct.err;
    const double bpb = json::parse(direct.out)["bits_per_byte"].get<double>();
    const auto chapter = runMoelab({"route", "--lesson", "builtin", "--chapter", "12", "--json"});
    ASSERT_EQ(chapter.code, 0) << chapter.err;
    const json c = json::parse(chapter.out);
    EXPECT_EQ(c["layers"].size(), 4u);
    EXPECT_EQ(c["config"]["model"], "tiny-lm");
    EXPECT_NEAR(c["bits_per_byte"].get<double>(), bpb, 1e-9);
    // A flag on top of the chapter: capacity 1 drops tokens and costs bits.
    const auto dropped = runMoelab({"route", "--chapter", "12", "--capacity-factor", "1", "--json"});
    ASSERT_EQ(dropped.code, 0) << dropped.err;
    EXPECT_GT(json::parse(dropped.out)["bits_per_byte"].get<double>(), bpb + 0.01);

    const auto code = runMoelab({"code", "--lesson", "builtin", "--chapter", "12", "--layer", "2"});
    ASSERT_EQ(code.code, 0) << code.err;
    const std::string shared = code.out.substr(0, code.out.find('\n'));
    const moe::SharedState decoded = moe::decodeShareCode(shared);
    EXPECT_EQ(decoded.model, "tiny-lm");
    EXPECT_EQ(decoded.layer, 2);
    const auto fromCode = runMoelab({"route", "--code", shared, "--json"});
    ASSERT_EQ(fromCode.code, 0) << fromCode.err;
    EXPECT_NEAR(json::parse(fromCode.out)["bits_per_byte"].get<double>(), bpb, 1e-9);
    // A one-layer chapter's code stays one layer; --layer needs a model.
    const auto one = runMoelab({"code", "--lesson", "builtin", "--chapter", "3"});
    ASSERT_EQ(one.code, 0) << one.err;
    EXPECT_EQ(moe::decodeShareCode(one.out.substr(0, one.out.find('\n'))).model, "");
    const auto noModel = runMoelab({"code", "--layer", "2"});
    EXPECT_EQ(noModel.code, 2);
    EXPECT_NE(noModel.err.find("--layer"), std::string::npos) << noModel.err;
    const auto both = runMoelab({"route", "--model", "tiny-lm", "--chapter", "12"});
    EXPECT_EQ(both.code, 2);
    EXPECT_NE(both.err.find("--chapter"), std::string::npos) << both.err;
}

// What the model's file fixes is refused whoever asked for the model, naming where it came
// from; a code's A side and its layer follow the model.
TEST(LmCli, ChapterAndCodeOfTheModelRefuseShapeFlagsAndCheckTheLayer) {
    const auto chapter = runMoelab({"route", "--chapter", "12", "--experts", "16"});
    EXPECT_EQ(chapter.code, 2);
    EXPECT_NE(chapter.err.find("--experts: cannot be combined with the language model this chapter or code runs"),
              std::string::npos)
        << chapter.err;
    const auto shape = runMoelab({"code", "--model", "tiny-lm", "--experts", "4"});
    EXPECT_EQ(shape.code, 2);
    EXPECT_NE(shape.err.find("--experts"), std::string::npos) << shape.err;
    const auto layer = runMoelab({"code", "--model", "tiny-lm", "--layer", "4"});  // layers 0..3
    EXPECT_EQ(layer.code, 2);
    EXPECT_NE(layer.err.find("--layer"), std::string::npos) << layer.err;
    const auto ab = runMoelab({"code", "--model", "tiny-lm", "--layer", "3", "--a", "--k 1"});
    ASSERT_EQ(ab.code, 0) << ab.err;
    const moe::SharedState s = moe::decodeShareCode(ab.out.substr(0, ab.out.find('\n')));
    EXPECT_EQ(s.layer, 3);
    ASSERT_TRUE(s.compareA.has_value());
    EXPECT_EQ(s.compareA->router.k, 1);
    EXPECT_EQ(s.compareA->shape.dim, 128);              // the model's, not the one-layer checkpoint's
    EXPECT_EQ(s.settings.router.capacityFactor, 0.0f);  // as trained: dropless
}
