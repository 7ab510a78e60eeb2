#pragma once
// The stages of a routing decision, once, in the order every path runs them: the one-shot
// reference (decideRouting), the streamed one (routeInChunks, a chunk of rows at a time)
// and the OpenCL backend (one kernel per stage, shaders/router.cl .. capacity.cl).
#include <array>
#include <string_view>
#include <vector>

#include "router.hpp"

namespace moe {

enum class RoutingStage { RouterGemm, Noise, Score, SelectionKeys, TopK, Capacity };
inline constexpr std::array<RoutingStage, 6> kRoutingStages = {RoutingStage::RouterGemm, RoutingStage::Noise,
                                                               RoutingStage::Score,      RoutingStage::SelectionKeys,
                                                               RoutingStage::TopK,       RoutingStage::Capacity};
std::string_view stageName(RoutingStage s);

// What the per-row stages (noise, score, selection keys, top-k) decide for some rows;
// capacity then needs every row at once.
struct RowDecisions {
    Mat scores;                // [n, E]
    Mat keys;                  // [n, E] what top-k ranked (a reroute ranks by them too)
    std::vector<int> choices;  // [n * k] each row's top-k, best first; empty for expert choice
};

// The per-row stages on rows [firstRow, firstRow + n) of the text (noise is drawn per token).
RowDecisions decideRows(const RouterLogits& in, const RouterConfig& cfg, const Vec& bias, int firstRow = 0);

// The token-choice slot layout every backend fills: k slots per token, in choice-rank
// order (slot t*k + j is token t's (j+1)-th choice), per-expert counts zeroed.
void tokenChoiceLayout(Routing& r);

}  // namespace moe
