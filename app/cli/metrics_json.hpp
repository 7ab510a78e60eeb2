#pragma once
// route's JSON for the metrics and the expert-parallel traffic (docs/contract.md), shared by
// the one-layer JSON and the language model's per-layer entries.
#include <nlohmann/json.hpp>

#include "astra_log.hpp"
#include "metrics.hpp"
#include "routing.hpp"
#include "traffic.hpp"

namespace moe::cli {

nlohmann::json trafficJson(const Traffic& t);
// With ASTRA-sim's times for the same traffic (route --astra-log) as traffic.astra_sim.
nlohmann::json trafficJson(const Traffic& t, const AstraTimes* astra);
// traffic.placements: every placement's GPU load, bytes and time, or its "error".
nlohmann::json placementsJson(const std::vector<PlacementOutcome>& outcomes);
// route's "traffic": trafficJson, and with several GPUs the placements side by side.
nlohmann::json routeTrafficJson(const Routing& r, const ClusterConfig& c, int deviceLimit, const Traffic& t,
                                const AstraTimes* astra = nullptr);
nlohmann::json metricsJson(const Routing& r, const Metrics& m, const Traffic& traffic);

}  // namespace moe::cli
