// The token journey: every number the app's journey view shows equals what
// `moelab route --json --outputs` prints for the same settings, and the steps add up
// (the weighted sum of the experts' outputs is the token's output).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "backends/eigen_backend.hpp"
#include "capacity.hpp"
#include "data_dir.hpp"
#include "embedding.hpp"
#include "flags.hpp"
#include "journey.hpp"
#include "settings_schema.hpp"
#include "test_support.hpp"

namespace {

using namespace moe;
using json = nlohmann::json;

json routeJson(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"route", "--json", "--outputs"};
    args.insert(args.end(), flags.begin(), flags.end());
    const test::RunResult r = test::runMoelab(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
}

void expectSame(const std::vector<float>& got, const json& want, const char* what, int t) {
    ASSERT_EQ(got.size(), want.size()) << what << " of token " << t;
    for (size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i], want[i].get<float>()) << what << "[" << i << "] of token " << t;
}

void checkEveryToken(const std::vector<std::string>& flags) {
    const json cli = routeJson(flags);
    Settings s = settingsFromFlags(Args(flags, settingFlags(), {}));
    const ModelWeights w = buildWeights(s);
    const Mat x = embedBytes(w, s.text);
    EigenBackend backend;
    LayerResult res;
    runLayer(backend, w, s.router, x, true, res);
    ASSERT_EQ(cli["tokens"].size(), size_t(res.routing.tokens));
    int rerouted = 0, dropped = 0, skipped = 0;
    for (int t = 0; t < res.routing.tokens; ++t) {
        const TokenJourney j = traceToken(w, s.router, s.text, x, res, t);
        const json& tok = cli["tokens"][t];
        EXPECT_EQ(j.byte.byte, tok["byte"].get<int>());
        expectSame(j.logits, tok["logits"], "logits", t);
        expectSame(j.scores, tok["scores"], "scores", t);
        expectSame(j.output, cli["outputs"][t], "output", t);
        std::vector<double> sum(j.output.size(), 0.0);
        for (size_t stop = 0, i = 0; stop < j.stops.size(); ++stop) {
            const JourneyStop& st = j.stops[stop];
            if (st.skipped) {  // GShard random routing: not among the token's experts, not a drop
                EXPECT_FALSE(st.kept);
                EXPECT_EQ(stop, 1u);  // only a second choice can be left out
                ++skipped;
                continue;
            }
            EXPECT_EQ(st.expert, tok["experts"][i].get<int>());
            EXPECT_EQ(st.choice, tok["choices"][i].get<int>());
            EXPECT_EQ(st.weight, tok["weights"][i].get<float>());
            EXPECT_EQ(st.kept, tok["kept"][i].get<bool>());
            EXPECT_EQ(st.score, tok["scores"][st.expert].get<float>());
            EXPECT_EQ(st.place >= 0, st.kept);
            if (st.kept) {
                EXPECT_LT(st.place, j.capacity < 0 ? 1 << 30 : j.capacity);
            }
            rerouted += st.rerouted;
            dropped += !st.kept;
            for (size_t d = 0; st.kept && d < sum.size(); ++d) sum[d] += double(st.weight) * st.expertOutput[d];
            ++i;
        }
        EXPECT_EQ(tok["experts"].size(), j.stops.size() - (j.stops.size() > 1 && j.stops[1].skipped));
        // The weighted sum, by hand, is the layer's output for the token.
        for (size_t d = 0; d < sum.size(); ++d) EXPECT_NEAR(sum[d], j.output[d], 1e-5) << "token " << t << " dim " << d;
        // The embedding row is the table's row for this byte.
        for (size_t d = 0; d < j.embedding.size(); ++d) EXPECT_EQ(j.embedding[d], w.embed(j.byte.byte, d));
    }
    if (s.router.overflow == Overflow::Reroute) {
        EXPECT_GT(rerouted, 0);
    }
    if (s.router.randomRouting) {
        EXPECT_GT(skipped, 0);
    }
    if (s.router.capacityFactor > 0 && s.router.capacityFactor < 1 && s.router.overflow == Overflow::Drop) {
        EXPECT_GT(dropped, 0);
    }
}

TEST(Journey, EveryNumberMatchesTheCommandLine) {
    checkEveryToken({"--weights", dataPath("weights/lesson.safetensors"), "--text", "MoE是很强大的机制！"});
}

TEST(Journey, DropsRandomWeightsAndScorePriority) {
    checkEveryToken({"--seed", "2", "--experts", "6", "--k", "2", "--capacity-factor", "0.6", "--drop-priority",
                     "score", "--text", "Every byte, 每个字节."});
}

TEST(Journey, GShardSkipsAndGroupCapacity) {
    checkEveryToken({"--preset", "gshard", "--capacity-factor", "0.5", "--seed", "3", "--text",
                     "GShard keeps a second expert only when 2·w2 > u. 分组容量。"});
}

TEST(Journey, ReroutesKnowWhereTheyCameFrom) {
    checkEveryToken({"--seed", "4", "--experts", "4", "--k", "2", "--capacity-factor", "0.8", "--overflow", "reroute",
                     "--text", "rerouted tokens 改派"});
}

TEST(Journey, PlacesFollowTheOrderCapacityIsHandedOut) {
    // Two tokens both want expert 0 first; capacity 1: token 0 gets place 0, token 1 is
    // dropped (position priority); expert 1's second choices take places 0 and 1.
    Routing r;
    r.tokens = 2;
    r.experts = 2;
    r.k = 2;
    r.capacity = 2;
    r.scores.resize(2, 2);
    r.scores << 0.9f, 0.1f, 0.8f, 0.2f;
    r.slotBegin = {0, 2, 4};
    r.slotExpert = r.slotChoice = {0, 1, 0, 1};
    r.slotKept = {1, 1, 1, 1};
    EXPECT_EQ(slotPositions(r, RouterConfig{}), (std::vector<int>{0, 0, 1, 1}));
    r.slotKept = {0, 1, 1, 1};  // token 0's first choice dropped, e.g. by score priority elsewhere
    EXPECT_EQ(slotPositions(r, RouterConfig{}), (std::vector<int>{-1, 0, 0, 1}));
}

}  // namespace
