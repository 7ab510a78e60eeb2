#pragma once
// The routing decision for T tokens over E experts, shared by both backends:
// router.hpp makes it, capacity.hpp fills its slots, experts.hpp and traffic.hpp use it.
#include <cstdint>
#include <vector>

#include "config.hpp"
#include "tensor.hpp"

namespace moe {

struct Routing {
    int tokens = 0;
    int experts = 0;
    int k = 0;
    RoutingMode mode = RoutingMode::TokenChoice;
    int capacity = -1;    // -1: dropless
    bool padded = false;  // every expert computes `capacity` slots (Megatron's padding)
    Mat logits;           // [T, E] x·W_g^T + b, before temperature and noise
    Mat scores;           // [T, E] score function of (noisy logits / temperature)
    // Each token's assignment slots: [slotBegin[t], slotBegin[t+1]). Token choice:
    // k slots in choice-rank order; expert choice: the experts that picked it, best first.
    std::vector<int> slotBegin;
    std::vector<int> slotExpert;
    std::vector<int> slotChoice;  // the expert the slot asked for, before a reroute moved it
    std::vector<float> slotWeight;
    std::vector<uint8_t> slotKept;
    // GShard random routing: a second choice not dispatched at all (not requested, not a
    // drop, not in the token's experts). Empty when none can be.
    std::vector<uint8_t> slotSkipped;
    std::vector<int> requested;  // [E] assignments routed to the expert before capacity
    std::vector<int> kept;       // [E] after capacity (reroutes included)
    std::vector<int> overflow;   // [E] assignments that found this expert full

    int slotCount() const { return static_cast<int>(slotExpert.size()); }
    bool rerouted(int s) const { return slotKept[s] && slotChoice[s] != slotExpert[s]; }
    bool skipped(int s) const { return !slotSkipped.empty() && slotSkipped[s]; }
    // The token each slot belongs to. [slotCount()]
    std::vector<int> slotTokens() const {
        std::vector<int> token(slotCount());
        for (int t = 0; t < tokens; ++t)
            for (int s = slotBegin[t]; s < slotBegin[t + 1]; ++s) token[s] = t;
        return token;
    }
};

}  // namespace moe
