// The routing stages (core/routing_stages.hpp): one list that the one-shot, streamed and
// OpenCL paths follow, and the visible fallback when a backend lacks a rule.
#include <gtest/gtest.h>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "route_stream.hpp"
#include "routing_stages.hpp"
#include "settings.hpp"

using namespace moe;

namespace {

Settings smallModel() {
    Settings s;
    s.text = "stages: 路由 in order";
    s.router.k = 2;
    s.router.capacityFactor = 1.0;
    return s;
}

// A backend that lacks noisy top-k, as a new rule does before its kernels land.
class NoNoiseBackend final : public Backend {
public:
    std::string name() const override { return "no-noise"; }
    std::string device() const override { return "test"; }
    Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) override {
        ++routed;
        return m_eigen.route(w, cfg, x);
    }
    void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) override {
        m_eigen.experts(w, x, r, out);
    }
    std::string unsupported(const RouterConfig& cfg) const override { return cfg.noisyTopk ? "noisy top-k" : ""; }
    int routed = 0;

private:
    EigenBackend m_eigen;
};

}  // namespace

TEST(Stages, ListsEveryStageOnceInDataFlowOrder) {
    ASSERT_EQ(kRoutingStages.size(), 6u);
    EXPECT_EQ(kRoutingStages.front(), RoutingStage::RouterGemm);
    EXPECT_EQ(kRoutingStages.back(), RoutingStage::Capacity);
    for (size_t i = 1; i < kRoutingStages.size(); ++i)
        EXPECT_LT(static_cast<int>(kRoutingStages[i - 1]), static_cast<int>(kRoutingStages[i]));
    EXPECT_EQ(stageName(RoutingStage::TopK), "top-k");
}

// decideRows on all rows, then capacity, is decideRouting; and on two halves (the streamed
// path) it gives the same scores and choices row for row.
TEST(Stages, RowStagesAreTheOneShotAndTheStreamedDecisions) {
    Settings s = smallModel();
    s.router.noisyTopk = true;  // noise is drawn per token: the halves must use their first row
    s.router.noiseSeed = 7;
    const ModelWeights w = buildWeights(s);
    const Mat x = embedBytes(w, s.text);
    const RouterLogits in = EigenBackend::routerLogits(w, s.router, x);
    const Vec bias = effectiveBias(w, s.router);
    const RowDecisions all = decideRows(in, s.router, bias);
    const Routing oneShot = decideRouting(in, s.router, bias);
    EXPECT_TRUE(all.scores == oneShot.scores);
    const int T = static_cast<int>(x.rows()), half = T / 2, k = s.router.k;
    for (int part = 0; part < 2; ++part) {
        const int t0 = part ? half : 0, n = part ? T - half : half;
        RouterLogits rows{in.logits.middleRows(t0, n), in.noiseLogits.middleRows(t0, n)};
        const RowDecisions d = decideRows(rows, s.router, bias, t0);
        EXPECT_TRUE(d.scores == all.scores.middleRows(t0, n)) << "part " << part;
        EXPECT_EQ(d.choices, std::vector<int>(all.choices.begin() + t0 * k, all.choices.begin() + (t0 + n) * k));
    }
    // Capacity fills the one token-choice layout: k slots per token in rank order.
    ASSERT_EQ(oneShot.slotBegin.size(), size_t(T + 1));
    for (int t = 0; t <= T; ++t) EXPECT_EQ(oneShot.slotBegin[t], t * k);
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < k; ++j) EXPECT_EQ(oneShot.slotChoice[t * k + j], all.choices[t * k + j]);
}

TEST(Stages, ABackendThatLacksARuleFallsBackToTheReferenceAndSaysSo) {
    Settings s = smallModel();
    const ModelWeights w = buildWeights(s);
    const Mat x = embedBytes(w, s.text);
    NoNoiseBackend partial;
    EigenBackend reference;
    LayerResult got, want;
    runLayer(partial, w, s.router, x, true, got);
    EXPECT_EQ(partial.routed, 1);
    EXPECT_TRUE(got.fallback.empty());

    s.router.noisyTopk = true;
    runLayer(partial, w, s.router, x, true, got);
    runLayer(reference, w, s.router, x, true, want);
    EXPECT_EQ(partial.routed, 1);  // the reference ran the pass
    EXPECT_NE(got.fallback.find("no-noise does not run noisy top-k"), std::string::npos) << got.fallback;
    EXPECT_EQ(got.routing.slotExpert, want.routing.slotExpert);
    EXPECT_TRUE(got.outputs == want.outputs);
}
