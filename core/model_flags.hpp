#pragma once
// The one rule for running the language model with routing settings (docs/contract.md,
// "The little MoE language model"): without a routing flag the model runs as trained
// (trainedRouting: its k, softmax, T=1, renormalised, dropless); with one, the flags given
// apply on top. The CLI's route --model and the app's --model both ask it.
#include "flags.hpp"

namespace moe {

// Whether a router, capacity, noise or group flag was given.
bool routingFlagsGiven(const Args& a);

}  // namespace moe
