#pragma once
// The one rule for running the language model with routing settings (docs/contract.md,
// "The little MoE language model"): without a routing flag the model runs as trained
// (trainedRouting: its k, softmax, T=1, renormalised, dropless); with one, the flags given
// apply on top. The CLI's route --model and the app's --model both ask it.
#include "flags.hpp"
#include "settings.hpp"

namespace moe {

// Whether a router, capacity, noise or group flag was given.
bool routingFlagsGiven(const Args& a);
// Whether the settings' routing is `r`, as every routing setting reads it.
bool routesAs(const Settings& s, const RouterConfig& r);

}  // namespace moe
