#pragma once
// The model and routing flags shared by route, gui, export-weights and bench (CONTRACT.md).
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "args.hpp"
#include "cluster.hpp"
#include "config.hpp"
#include "weights.hpp"

namespace moe::cli {

// The seeds' demo sentence (seed 003), the default input.
inline const char* kDefaultText = "MoE是很强大的机制！";

struct ModelOptions {
    ModelShape shape;
    RouterConfig router;
    uint64_t seed = 0;
    std::string text = kDefaultText;
    std::string textFile;     // where the text came from, if a file
    std::string weightsPath;  // empty: initialise from the seed
    std::string backend = "eigen";
    std::string device;       // OpenCL device hint
    ClusterConfig cluster;    // expert-parallel simulation
    std::string routeGroups;  // "gpus" or "nodes": group-limited routing by device or node
};

// Group-limited routing by GPU or node: groups = G or G/N (contiguous placement).
void applyRouteGroups(ModelOptions& o, int experts);

extern const std::set<std::string> kModelFlags;

ModelOptions parseModelOptions(const Args& args);
// Loads --weights or initialises from the seed; checks the routing flags against E.
ModelWeights buildWeights(ModelOptions& opts);

// config object of the route JSON: every resolved setting, by flag name in snake_case.
nlohmann::json configJson(const ModelOptions& opts, const std::string& backend, const std::string& device,
                          const std::string& fallbackReason);

} // namespace moe::cli
