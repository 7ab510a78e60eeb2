// `moelab analyze --model`: the JSON's numbers against the shipped model's own routing,
// counted here directly from runLm window by window, and the command's bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/eigen_backend.hpp"
#include "lm/lm_forward.hpp"
#include "lm/lm_model.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

const std::string kText = "In the beginning God created the heaven and the earth.\n床前明月光";

// Per layer, each byte's first choice, the model run on windows of `window` bytes.
std::vector<std::vector<int>> firstChoicesByWindow(const std::string& text, size_t window) {
    const LmModel m = loadLm("tiny-lm");
    EigenBackend eigen;
    std::vector<std::vector<int>> first(m.config.layers);
    for (size_t start = 0; start < text.size(); start += window) {
        const LmRun run = runLm(eigen, m, trainedRouting(m.config), std::string_view(text).substr(start, window));
        for (int l = 0; l < m.config.layers; ++l) {
            const Routing& r = run.layers[l].routing;
            for (int t = 0; t < r.tokens; ++t) first[l].push_back(r.slotChoice[r.slotBegin[t]]);
        }
    }
    return first;
}

nlohmann::json analyzeJson(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"analyze", "--model", "tiny-lm", "--text", kText, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::runMoelab(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST(AnalyzeCommand, JsonCountsTheModelsFirstChoicesWindowByWindow) {
    // Windows of 16 bytes: the pairs across a window's edge count like any other.
    const auto first = firstChoicesByWindow(kText, 16);
    const nlohmann::json j = analyzeJson({"--window", "16"});
    const int T = static_cast<int>(kText.size());
    ASSERT_EQ(j["layers"].size(), first.size());
    for (size_t l = 0; l < first.size(); ++l) {
        const nlohmann::json& L = j["layers"][l];
        int same = 0;
        std::vector<int> count(8, 0);
        for (int t = 0; t < T; ++t) {
            ++count[first[l][t]];
            if (t + 1 < T) same += first[l][t] == first[l][t + 1];
        }
        EXPECT_EQ(L["layer"], l);
        EXPECT_EQ(L["tokens"], T);
        EXPECT_NEAR(L["consecutive_same_first"].get<double>(), double(same) / (T - 1), 1e-12) << "layer " << l;
        for (int e = 0; e < 8; ++e) EXPECT_NEAR(L["load"][e].get<double>(), double(count[e]) / T, 1e-12);
        // Uniform routing over E = 8 with k = 2: 1/8 and 1 - C(6,2)/C(8,2) = 13/28.
        EXPECT_NEAR(L["chance_same_first"].get<double>(), 1.0 / 8, 1e-15);
        EXPECT_NEAR(L["chance_same_any"].get<double>(), 13.0 / 28, 1e-12);
        // Top-2: a token choosing i chose exactly one other, so a chosen expert's row sums to 1.
        for (int i = 0; i < 8; ++i) {
            double row = 0;
            for (int k = 0; k < 8; ++k) row += L["coactivation"][i][k].get<double>();
            if (row > 0) {
                EXPECT_NEAR(row, 1.0, 1e-12) << "layer " << l << " expert " << i;
            }
        }
        if (l + 1 == first.size()) {
            EXPECT_TRUE(L["layer_transition"].empty());
            continue;
        }
        int64_t sum = 0, firstToFirst = 0;
        for (int a = 0; a < 8; ++a)
            for (int b = 0; b < 8; ++b) sum += L["layer_transition"][a][b].get<int64_t>();
        for (int t = 0; t < T; ++t) firstToFirst += first[l][t] == first[l][0] && first[l + 1][t] == first[l + 1][0];
        EXPECT_EQ(sum, T);
        EXPECT_EQ(L["layer_transition"][first[l][0]][first[l + 1][0]].get<int64_t>(), firstToFirst);
    }
}

TEST(AnalyzeCommand, TableShowsEveryLayer) {
    const auto r = test::runMoelab({"analyze", "--model", "tiny-lm", "--text", kText});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("same first (chance)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\n3 "), std::string::npos) << r.out;  // the fourth layer's row
}

TEST(AnalyzeCommand, BadInputIsExitTwoNamingTheFlag) {
    const auto fails = [](std::vector<std::string> args, const std::string& flag) {
        args.insert(args.begin(), "analyze");
        const auto r = test::runMoelab(args);
        EXPECT_EQ(r.code, 2) << flag;
        EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    };
    fails({"--model", "tiny-lm", "--text", "a"}, "--text");  // one byte: no adjacent pair
    fails({"--text", "ab"}, "--model");
    fails({"--model", "tiny-lm"}, "--text");
    fails({"--model", "tiny-lm", "--text", "ab", "--experts", "4"}, "--experts");
    fails({"--model", "tiny-lm", "--text", "ab", "--window", "-1"}, "--window");
    fails({"--model", "tiny-lm", "--text", "ab", "--k", "9"}, "--k");
    fails({"--model", "no-such-model.safetensors", "--text", "ab"}, "no-such-model");
}
