#pragma once
// The language model on the command line: `route --model` and `generate` (cmd_lm.cpp);
// `analyze` (cmd_analyze.cpp) shares its flag handling.
#include <nlohmann/json.hpp>
#include <string_view>

#include "backends/backend.hpp"
#include "flags.hpp"
#include "layer.hpp"
#include "lm/lm_model.hpp"
#include "settings.hpp"

namespace moe::cli {

// The shape flags, --preset, --lesson, --chapter, --code and --csv with --model: InputError naming the flag.
void refuseModelFlags(const Args& a);
// The model's MoE shape and trained routing, then the routing, cluster and backend flags
// given (InputError naming the flag); the text must not be empty.
Settings modelSettings(const Args& a, const LmModel& m);

// route --model NAME|PATH: every layer's routing, the next byte's likeliest values and the
// bits per byte; the one-layer fields describe layer 0.
int routeModel(const Args& a);

// route's one-layer JSON for res, with extraFields (",\"key\":value,...") before the closing brace.
void writeRouteJson(const Settings& o, const ModelWeights& w, const LayerResult& res, Backend& backend,
                    const nlohmann::json& config, bool withOutputs, std::string_view extraFields);

}  // namespace moe::cli
