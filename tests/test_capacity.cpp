#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace moe;
using moe::test::routeProbs;

TEST(Capacity, FormulaMatchesSwitch) {
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 1.25;
    EXPECT_EQ(expertCapacity(cfg, 10, 8), 4);  // ceil(2*10/8*1.25) = ceil(3.125)
    cfg.capacityFactor = 1.6;
    EXPECT_EQ(expertCapacity(cfg, 10, 8), 4);  // 4.0 exactly, not 5
    cfg.minCapacity = 6;
    EXPECT_EQ(expertCapacity(cfg, 10, 8), 6);
    cfg.capacityFactor = 0;
    EXPECT_EQ(expertCapacity(cfg, 10, 8), -1);
}

TEST(Capacity, SecondChoicesAreDroppedBeforeFirstChoices) {
    // t0 prefers e0 then e1, t1 prefers e1 then e0; capacity ceil(2*2/2*0.5) = 1.
    // Filling by rank keeps both 1st choices; filling by position alone would keep t0's 2nd.
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0.5;
    const Routing r = routeProbs({{0.6f, 0.4f}, {0.3f, 0.7f}}, cfg);
    ASSERT_EQ(r.capacity, 1);
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 1, 1, 0}));
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{1, 0, 1, 0}));
    EXPECT_EQ(r.requested, (std::vector<int>{2, 2}));
    EXPECT_EQ(r.kept, (std::vector<int>{1, 1}));
    EXPECT_EQ(r.overflow, (std::vector<int>{1, 1}));
    // Weights were fixed before capacity: the dropped slot does not re-weight the kept one.
    EXPECT_NEAR(r.slotWeight[0], 0.6, 1e-6);
}

TEST(Capacity, FirstChoicesByPosition) {
    // Three tokens all want e0 first; capacity ceil(1*3/2*0.5) = 1: the first token wins.
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0.5;
    const Routing r = routeProbs({{0.6f, 0.4f}, {0.9f, 0.1f}, {0.7f, 0.3f}}, cfg);
    ASSERT_EQ(r.capacity, 1);
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{1, 0, 0}));
}

TEST(Capacity, ScorePriorityKeepsTheMostConfident) {
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0.5;
    cfg.dropPriority = DropPriority::Score;
    const Routing r = routeProbs({{0.6f, 0.4f}, {0.9f, 0.1f}, {0.7f, 0.3f}}, cfg);
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{0, 1, 0}));
}

TEST(Capacity, RerouteMovesToBestExpertWithRoom) {
    // E=3, capacity ceil(2*2/3*0.5) = 1. Rank 1: t0->e0, t1->e1. Rank 2: t0's e1 is full,
    // moves to e2 (the best it lacks with room); t1's e0 is full and e2 is now full: dropped.
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0.5;
    cfg.overflow = Overflow::Reroute;
    const Routing r = routeProbs({{0.5f, 0.3f, 0.2f}, {0.3f, 0.6f, 0.1f}}, cfg);
    ASSERT_EQ(r.capacity, 1);
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 2, 1, 0}));
    EXPECT_EQ(r.slotKept, (std::vector<uint8_t>{1, 1, 1, 0}));
    EXPECT_NEAR(r.slotWeight[1], 0.2 / 0.8, 1e-6);  // score of e2 / sum of the 2 best
    EXPECT_EQ(r.requested, (std::vector<int>{2, 2, 0}));
    EXPECT_EQ(r.kept, (std::vector<int>{1, 1, 1}));
}

TEST(Capacity, DroplessKeepsEverything) {
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 0;
    const Routing r = routeProbs({{0.6f, 0.4f}, {0.9f, 0.1f}, {0.7f, 0.3f}}, cfg);
    EXPECT_EQ(r.capacity, -1);
    EXPECT_EQ(r.kept, (std::vector<int>{3, 0}));
}

TEST(Capacity, ExpertChoicePicksEachExpertsBestTokens) {
    // capacity = ceil(1*4/2*1) = 2; e0 takes t0 (0.9), t2 (0.6); e1 takes t1 (0.8), t3 (0.5).
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 1;
    cfg.mode = RoutingMode::ExpertChoice;
    cfg.renormalize = false;
    const Routing r = routeProbs({{0.9f, 0.1f}, {0.2f, 0.8f}, {0.6f, 0.4f}, {0.5f, 0.5f}}, cfg);
    ASSERT_EQ(r.capacity, 2);
    EXPECT_EQ(r.slotBegin, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(r.slotExpert, (std::vector<int>{0, 1, 0, 1}));
    EXPECT_NEAR(r.slotWeight[2], 0.6, 1e-6);
    EXPECT_NEAR(r.slotWeight[3], 0.5, 1e-6);
}

TEST(Capacity, ExpertChoiceTokenMayGetNoneOrSeveral) {
    // capacity ceil(1*2/2*1) = 1 per expert; both experts prefer t0, t1 gets nothing.
    RouterConfig cfg;
    cfg.k = 1;
    cfg.capacityFactor = 1;
    cfg.mode = RoutingMode::ExpertChoice;
    const Routing r = routeProbs({{0.5f, 0.5f}, {0.4f, 0.6f}}, cfg);
    // e0: t0 0.5 > t1 0.4; e1: t1 0.6 > t0 0.5. Each token one expert.
    EXPECT_EQ(r.slotBegin, (std::vector<int>{0, 1, 2}));
    const Routing s = routeProbs({{0.5f, 0.5f}, {0.45f, 0.45f}}, cfg);
    // softmax makes t1 [0.5, 0.5] too: every tie goes to the lower position, so both take t0.
    EXPECT_EQ(s.slotBegin, (std::vector<int>{0, 2, 2}));
    EXPECT_NEAR(s.slotWeight[0] + s.slotWeight[1], 1.0, 1e-6);  // renormalised over its experts
}
