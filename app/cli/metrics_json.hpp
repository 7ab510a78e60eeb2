#pragma once
// route's JSON for the metrics and the expert-parallel traffic (docs/contract.md), shared by
// the one-layer JSON and the language model's per-layer entries.
#include <nlohmann/json.hpp>

#include "metrics.hpp"
#include "routing.hpp"
#include "traffic.hpp"

namespace moe::cli {

nlohmann::json trafficJson(const Traffic& t);
// traffic.placements: every placement's GPU load, bytes and time, or its "error".
nlohmann::json placementsJson(const std::vector<PlacementOutcome>& outcomes);
nlohmann::json metricsJson(const Routing& r, const Metrics& m, const Traffic& traffic);

}  // namespace moe::cli
