#pragma once
// What a multi-layer MoE's routing says about the text (docs/contract.md, `moelab analyze`):
// do neighbouring tokens share experts (Mixtral paper, Table 5), how much each expert
// carries, which experts go together, whether a token value always goes to one expert,
// and how first choices flow from layer to layer. Input: one Routing per layer and the
// token values (bytes of the text, or a trace's token ids, -1 where unknown: such tokens
// count for no value's specialisation); nothing here needs the model.
//
// "Chosen" means the router's choices (slotChoice), not what capacity kept: a dropped or
// rerouted assignment still says what the router wanted. GShard's undispatched second
// choices (slotSkipped) are left out: the router decided not to send them.
// A token's first choice is its first slot: with token choice the top-1 expert; with expert
// choice the best-scoring of the experts that picked it (slots are best first there). A
// token no expert picked has no first choice and no chosen set: it is left out of every
// count below (a pair with such a token is not a pair).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "routing.hpp"

namespace moe {

// token_specialisation counts a token value seen at least this often (with a first choice).
constexpr int kSpecialisationMinCount = 10;

struct LayerRoutingStats {
    int layer = 0;
    int tokens = 0;
    int experts = 0;
    int k = 0;
    int pairs = 0;  // adjacent pairs (t, t+1) where both tokens have a first choice
    // NaN when there is no pair (JSON null).
    double consecutiveSameFirst = 0;  // share of pairs with the same first choice
    double consecutiveSameAny = 0;    // share of pairs whose chosen sets intersect
    // The same two under independent uniform routing of k experts per token (expert choice
    // and GShard's skips give tokens other counts: these stay the k-per-token values).
    double chanceSameFirst = 0;
    double chanceSameAny = 0;
    std::vector<double> load;                       // [E] share of first choices
    std::vector<std::vector<double>> coactivation;  // [E][E] P(j chosen | i chosen), diagonal 0
    // Mean over token values seen >= kSpecialisationMinCount times of the share of their
    // occurrences that went (first choice) to their most frequent first-choice expert. NaN
    // when no value is seen that often.
    double tokenSpecialisation = 0;
    int specialisationValues = 0;  // how many token values that mean is over
    // [E][E'] counts: first choice here (row) -> first choice in the next layer (column),
    // over tokens with both. Empty for the last layer: there is no next one.
    std::vector<std::vector<int64_t>> layerTransition;
};

// Two independent uniform first choices agree with probability sum_e (1/E)^2 = 1/E.
double chanceSameFirst(int experts);
// Two independent uniform k-subsets of E: given the first, the second misses it with
// probability C(E-k, k) / C(E, k) (all its k experts from the E-k others), so they meet
// with 1 - C(E-k, k)/C(E, k); 1 when 2k > E. E=8, k=2: 1 - 15/28 = 13/28.
double chanceSameAny(int experts, int k);

// Each token's first choice (the router's), -1 where it has none.
std::vector<int> firstChoices(const Routing& r);

// One entry per layer. Every layer must route tokenValues.size() tokens; throws
// InputError("routing", ...) when one does not.
std::vector<LayerRoutingStats> analyzeRouting(const std::vector<Routing>& layers, const std::vector<int>& tokenValues);

// Pieces of one text routed one after another (the model run window by window), as one
// routing of all their tokens: slots only (slotBegin, slotExpert, slotChoice, slotWeight,
// slotKept, slotSkipped), which is what analyzeRouting reads; scores, logits and the
// per-expert counts are left empty. The pieces must share E, k and the routing mode.
Routing joinSlots(const std::vector<Routing>& pieces);

// The bytes of a text as token values 0..255.
std::vector<int> byteValues(std::string_view bytes);

// The contract's JSON of one layer: "layer", "tokens", "consecutive_same_first", ... (NaN as null).
nlohmann::json layerStatsJson(const LayerRoutingStats& s);

}  // namespace moe
