// The analyses of `moelab analyze` on routings made by hand, every number worked out in
// the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "lm/routing_analysis.hpp"
#include "route_stream.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

// A token-choice routing from each token's choices, best first; every slot kept.
Routing choicesRouting(int experts, int k, const std::vector<std::vector<int>>& choices) {
    Routing r;
    r.tokens = static_cast<int>(choices.size());
    r.experts = experts;
    r.k = k;
    r.slotBegin.assign(1, 0);
    for (const auto& c : choices) {
        for (int e : c) {
            r.slotExpert.push_back(e);
            r.slotChoice.push_back(e);
            r.slotWeight.push_back(1.0f / c.size());
            r.slotKept.push_back(1);
        }
        r.slotBegin.push_back(r.slotCount());
    }
    return r;
}

// Two layers, E = 4, k = 2, six tokens "abcabd".
//   t:      0      1      2      3      4      5
//   layer0 {0,1}  {0,2}  {3,1}  {3,2}  {1,2}  {2,3}
//   layer1 {2,0}  {2,1}  {2,3}  {0,1}  {0,3}  {1,2}
std::vector<Routing> twoLayers() {
    return {choicesRouting(4, 2, {{0, 1}, {0, 2}, {3, 1}, {3, 2}, {1, 2}, {2, 3}}),
            choicesRouting(4, 2, {{2, 0}, {2, 1}, {2, 3}, {0, 1}, {0, 3}, {1, 2}})};
}

const std::vector<int> kSixBytes = byteValues("abcabd");

}  // namespace

TEST(RoutingAnalysis, ChanceValuesFollowTheFormulas) {
    EXPECT_NEAR(chanceSameFirst(8), 1.0 / 8, 1e-15);
    EXPECT_NEAR(chanceSameFirst(4), 0.25, 1e-15);
    // E=8, k=2: 1 - C(6,2)/C(8,2) = 1 - 15/28 = 13/28.
    EXPECT_NEAR(chanceSameAny(8, 2), 13.0 / 28, 1e-12);
    // E=4, k=2: 1 - C(2,2)/C(4,2) = 1 - 1/6 = 5/6.
    EXPECT_NEAR(chanceSameAny(4, 2), 5.0 / 6, 1e-12);
    // k=1: the sets meet only when the single experts agree: 1 - C(7,1)/C(8,1) = 1/8.
    EXPECT_NEAR(chanceSameAny(8, 1), 1.0 / 8, 1e-12);
    // E=64, k=8 (OLMoE): 1 - C(56,8)/C(64,8) = 1 - 1420494075/4426165368.
    EXPECT_NEAR(chanceSameAny(64, 8), 1.0 - 1420494075.0 / 4426165368.0, 1e-12);
    // 2k > E: two sets of 3 among 4 always meet.
    EXPECT_NEAR(chanceSameAny(4, 3), 1.0, 1e-15);
}

TEST(RoutingAnalysis, ConsecutiveRatesCountAdjacentPairs) {
    const auto s = analyzeRouting(twoLayers(), kSixBytes);
    ASSERT_EQ(s.size(), 2u);
    // Layer 0 pairs: (0,1) first 0=0, sets meet; (1,2) 0/3, {0,2}&{3,1} empty; (2,3) 3=3, meet;
    // (3,4) 3/1, {3,2}&{1,2} = {2}; (4,5) 1/2, {1,2}&{2,3} = {2}. Same first 2/5, same any 4/5.
    EXPECT_EQ(s[0].pairs, 5);
    EXPECT_NEAR(s[0].consecutiveSameFirst, 2.0 / 5, 1e-12);
    EXPECT_NEAR(s[0].consecutiveSameAny, 4.0 / 5, 1e-12);
    // Layer 1: (0,1) 2=2; (1,2) 2=2; (2,3) 2/0, {2,3}&{0,1} empty; (3,4) 0=0; (4,5) 0/1,
    // {0,3}&{1,2} empty. Same first 3/5, same any 3/5.
    EXPECT_NEAR(s[1].consecutiveSameFirst, 3.0 / 5, 1e-12);
    EXPECT_NEAR(s[1].consecutiveSameAny, 3.0 / 5, 1e-12);
    EXPECT_NEAR(s[1].chanceSameFirst, 0.25, 1e-15);
    EXPECT_NEAR(s[1].chanceSameAny, 5.0 / 6, 1e-12);
    EXPECT_EQ(s[1].layer, 1);
    EXPECT_EQ(s[1].tokens, 6);
}

TEST(RoutingAnalysis, LoadIsTheShareOfFirstChoices) {
    const auto s = analyzeRouting(twoLayers(), kSixBytes);
    // Layer 0 first choices 0,0,3,3,1,2: e0 2, e1 1, e2 1, e3 2 of 6.
    const std::vector<double> load0 = {2.0 / 6, 1.0 / 6, 1.0 / 6, 2.0 / 6};
    // Layer 1 first choices 2,2,2,0,0,1: e0 2, e1 1, e2 3, e3 0.
    const std::vector<double> load1 = {2.0 / 6, 1.0 / 6, 3.0 / 6, 0.0};
    for (int e = 0; e < 4; ++e) {
        EXPECT_NEAR(s[0].load[e], load0[e], 1e-12) << "layer 0 expert " << e;
        EXPECT_NEAR(s[1].load[e], load1[e], 1e-12) << "layer 1 expert " << e;
    }
}

TEST(RoutingAnalysis, CoactivationIsConditionalOnTheRow) {
    const auto s = analyzeRouting(twoLayers(), kSixBytes);
    // Layer 0 sets {0,1} {0,2} {3,1} {3,2} {1,2} {2,3}. Chosen: e0 2 times, e1 3, e2 4, e3 3.
    // Together: 0-1 once, 0-2 once, 1-2 once, 1-3 once, 2-3 twice, 0-3 never.
    // Row i = together(i, j) / chosen(i).
    const std::vector<std::vector<double>> want = {{0, 1.0 / 2, 1.0 / 2, 0},
                                                   {1.0 / 3, 0, 1.0 / 3, 1.0 / 3},
                                                   {1.0 / 4, 1.0 / 4, 0, 2.0 / 4},
                                                   {0, 1.0 / 3, 2.0 / 3, 0}};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) EXPECT_NEAR(s[0].coactivation[i][j], want[i][j], 1e-12) << i << "," << j;
}

TEST(RoutingAnalysis, CoactivationCountsEveryPairOfATokensTopK) {
    // One token choosing 0, 1, 2 (k = 3): 0-2 are not adjacent ranks and still count.
    const auto s = analyzeRouting({choicesRouting(4, 3, {{0, 1, 2}})}, {7});
    EXPECT_NEAR(s[0].coactivation[0][2], 1.0, 1e-15);
    EXPECT_NEAR(s[0].coactivation[2][0], 1.0, 1e-15);
    EXPECT_NEAR(s[0].coactivation[0][3], 0.0, 1e-15);
    EXPECT_TRUE(std::isnan(s[0].consecutiveSameFirst));  // one token: no pair
}

TEST(RoutingAnalysis, LayerTransitionCountsFirstChoicesIntoTheNextLayer) {
    const auto s = analyzeRouting(twoLayers(), kSixBytes);
    // First choices layer 0 -> 1: t0 0->2, t1 0->2, t2 3->2, t3 3->0, t4 1->0, t5 2->1.
    const std::vector<std::vector<int64_t>> want = {{0, 0, 2, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {1, 0, 1, 0}};
    EXPECT_EQ(s[0].layerTransition, want);
    EXPECT_TRUE(s[1].layerTransition.empty());  // the last layer has no next one
}

TEST(RoutingAnalysis, TokenSpecialisationCountsValuesSeenTenTimes) {
    // 'a' 12 times: first choice e0 9 times, e1 3 times -> 9/12 = 0.75.
    // 'b' exactly 10 times, always e2 -> 1. 'c' 9 times (below 10), always e3: left out,
    // else the mean would be (0.75 + 1 + 1)/3. Second choices (first + 1) mod 4 never count.
    std::vector<std::vector<int>> choices;
    std::vector<int> values;
    const auto add = [&](char byte, int first, int times) {
        for (int i = 0; i < times; ++i) {
            choices.push_back({first, (first + 1) % 4});
            values.push_back(static_cast<uint8_t>(byte));
        }
    };
    add('a', 0, 9);
    add('b', 2, 5);
    add('a', 1, 3);
    add('c', 3, 9);
    add('b', 2, 5);
    const auto s = analyzeRouting({choicesRouting(4, 2, choices)}, values);
    EXPECT_EQ(s[0].specialisationValues, 2);
    EXPECT_NEAR(s[0].tokenSpecialisation, (0.75 + 1.0) / 2, 1e-12);
    // The six-byte text has no value seen 10 times.
    EXPECT_TRUE(std::isnan(analyzeRouting(twoLayers(), kSixBytes)[0].tokenSpecialisation));
}

TEST(RoutingAnalysis, ChoicesAreTheRoutersNotWhatCapacityKept) {
    // E = 4, k = 2. Token 1's first choice 0 was rerouted to 3; token 2's second slot was
    // dropped; token 0's second choice was a GShard skip (never dispatched: not chosen).
    Routing r = choicesRouting(4, 2, {{0, 1}, {0, 2}, {2, 1}});
    r.slotExpert[2] = 3;  // token 1, slot 0: served by 3, chosen 0
    r.slotKept[5] = 0;    // token 2, slot 1: dropped
    r.slotSkipped = {0, 1, 0, 0, 0, 0};
    const auto s = analyzeRouting({r}, {1, 2, 3});
    // Sets {0} {0,2} {2,1}. Pairs: (0,1) first 0=0, meet; (1,2) 0/2, {0,2}&{2,1} = {2}.
    EXPECT_NEAR(s[0].consecutiveSameFirst, 1.0 / 2, 1e-12);
    EXPECT_NEAR(s[0].consecutiveSameAny, 2.0 / 2, 1e-12);
    // e0 chosen twice (t0, t1), with 2 once: P(2|0) = 1/2; with 1 never (t0's 1 was skipped).
    EXPECT_NEAR(s[0].coactivation[0][2], 0.5, 1e-12);
    EXPECT_NEAR(s[0].coactivation[0][1], 0.0, 1e-12);
    EXPECT_NEAR(s[0].coactivation[0][3], 0.0, 1e-12);
    // e1 chosen once (t2, its dropped slot still the router's choice), with 2: P(2|1) = 1.
    EXPECT_NEAR(s[0].coactivation[1][2], 1.0, 1e-12);
}

TEST(RoutingAnalysis, ExpertChoiceFirstIsTheBestExpertThatPickedTheToken) {
    // E = 3, expert choice: slots are the experts that picked the token, best first.
    // t0 {1,2}, t1 none, t2 {1}, t3 {1,0}. Only pair (2,3) has two tokens with a choice:
    // first 1 = 1, sets meet.
    Routing r = choicesRouting(3, 1, {{1, 2}, {}, {1}, {1, 0}});
    r.mode = RoutingMode::ExpertChoice;
    const auto s = analyzeRouting({r}, {0, 0, 0, 0});
    EXPECT_EQ(firstChoices(r), (std::vector<int>{1, -1, 1, 1}));
    EXPECT_EQ(s[0].pairs, 1);
    EXPECT_NEAR(s[0].consecutiveSameFirst, 1.0, 1e-15);
    // Load over the three tokens with a first choice: all e1.
    EXPECT_NEAR(s[0].load[1], 1.0, 1e-15);
    EXPECT_NEAR(s[0].load[0], 0.0, 1e-15);
}

TEST(RoutingAnalysis, LayersMustRouteEveryToken) {
    EXPECT_INPUT_ERROR(analyzeRouting(twoLayers(), byteValues("abcab")), "routing");
}

TEST(RoutingAnalysis, JsonHasTheContractsNames) {
    const auto s = analyzeRouting(twoLayers(), kSixBytes);
    const nlohmann::json j0 = layerStatsJson(s[0]), j1 = layerStatsJson(s[1]);
    for (const char* name : {"layer", "tokens", "consecutive_same_first", "consecutive_same_any", "chance_same_first",
                             "chance_same_any", "load", "coactivation", "token_specialisation", "layer_transition"})
        EXPECT_TRUE(j0.contains(name)) << name;
    EXPECT_NEAR(j0["consecutive_same_any"].get<double>(), 0.8, 1e-12);
    EXPECT_EQ(j0["layer_transition"][0][2].get<int>(), 2);
    EXPECT_EQ(j0["coactivation"].size(), 4u);
    EXPECT_TRUE(j0["token_specialisation"].is_null());  // no byte seen 10 times
    EXPECT_TRUE(j1["layer_transition"].is_array());
    EXPECT_TRUE(j1["layer_transition"].empty());
}

TEST(RoutingAnalysis, JoinedPiecesAreTheWholeText) {
    // Layer 0 of the six tokens, cut after token 2 and joined again: the same slots, so the
    // same numbers (the pair (2,3) across the cut counts: same first 2/5, same any 4/5).
    const Routing whole = twoLayers()[0];
    Routing head = routingRows(whole, 0, 3), tail = routingRows(whole, 3, 6);
    head.slotSkipped = {0, 0, 0, 0, 0, 1};  // token 2's second choice (1) a GShard skip
    const Routing joined = joinSlots({head, tail});
    EXPECT_EQ(joined.tokens, 6);
    EXPECT_EQ(joined.slotBegin, whole.slotBegin);
    EXPECT_EQ(joined.slotChoice, whole.slotChoice);
    EXPECT_EQ(joined.slotSkipped, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
    const auto s = analyzeRouting({joined}, kSixBytes);
    EXPECT_NEAR(s[0].consecutiveSameFirst, 2.0 / 5, 1e-12);
    EXPECT_NEAR(s[0].consecutiveSameAny, 4.0 / 5, 1e-12);
    // Without the skip, e1 was chosen 3 times (t0, t2, t4); now twice, once with 0 (t0),
    // once with 2 (t4), never with 3 (t2's pair was 3-1): P(3|1) = 0.
    EXPECT_NEAR(s[0].coactivation[1][0], 1.0 / 2, 1e-12);
    EXPECT_NEAR(s[0].coactivation[1][3], 0.0, 1e-12);
}
