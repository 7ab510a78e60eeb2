#include "routing_stages.hpp"

namespace moe {

std::string_view stageName(RoutingStage s) {
    switch (s) {
        case RoutingStage::RouterGemm:
            return "router GEMM";
        case RoutingStage::Noise:
            return "noise";
        case RoutingStage::Score:
            return "score function";
        case RoutingStage::SelectionKeys:
            return "selection keys";
        case RoutingStage::TopK:
            return "top-k";
        case RoutingStage::Capacity:
            return "capacity";
    }
    return "?";
}

RowDecisions decideRows(const RouterLogits& in, const RouterConfig& cfg, const Vec& bias, int firstRow) {
    RowDecisions d;
    Mat z = in.logits;
    if (cfg.noisyTopk && in.noiseLogits.size() == z.size()) addRoutingNoise(z, in.noiseLogits, cfg.noiseSeed, firstRow);
    scoreFunction(z, cfg.score, cfg.temperature, d.scores);
    d.keys = selectionKeys(z, d.scores, cfg, bias);
    if (cfg.mode == RoutingMode::TokenChoice) d.choices = topK(d.keys, cfg.k);
    return d;
}

void tokenChoiceLayout(Routing& r) {
    const size_t slots = static_cast<size_t>(r.tokens) * r.k;
    r.slotBegin.resize(r.tokens + 1);
    for (int t = 0; t <= r.tokens; ++t) r.slotBegin[t] = t * r.k;
    r.slotExpert.resize(slots);
    r.slotChoice.resize(slots);
    r.slotWeight.assign(slots, 0.0f);
    r.slotKept.assign(slots, 0);
    r.requested.assign(r.experts, 0);
    r.kept.assign(r.experts, 0);
    r.overflow.assign(r.experts, 0);
}

}  // namespace moe
