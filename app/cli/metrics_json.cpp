#include "metrics_json.hpp"

namespace moe::cli {
namespace {

nlohmann::json costJson(const AllToAllCost& c) {
    return {{"intra_node_bytes", c.intraNodeBytes},
            {"inter_node_bytes", c.interNodeBytes},
            {"messages", c.messages},
            {"dispatch_time_us", c.dispatchUs},
            {"combine_time_us", c.combineUs}};
}

}  // namespace

nlohmann::json trafficJson(const Traffic& t) {
    nlohmann::json per = nlohmann::json::array();
    for (const GpuTraffic& g : t.perGpu)
        per.push_back({{"gpu", g.gpu},
                       {"experts", g.experts},
                       {"send_bytes", g.sendBytes},
                       {"recv_bytes", g.recvBytes},
                       {"tokens_computed", g.tokensComputed},
                       {"dispatch_us", g.dispatchUs},
                       {"compute_us", g.computeUs},
                       {"combine_us", g.combineUs}});
    return {{"gpus", t.gpus},
            {"gpus_per_node", t.gpusPerNode},
            {"dispatch_bytes", t.dispatchBytes},
            {"combine_bytes", t.combineBytes},
            {"local_bytes", t.localBytes},
            {"intra_node_bytes", t.intraNodeBytes},
            {"inter_node_bytes", t.interNodeBytes},
            {"dispatch_time_us", t.dispatchTimeUs},
            {"combine_time_us", t.combineTimeUs},
            {"compute_time_us", t.computeTimeUs},
            {"total_time_us", t.totalTimeUs},
            {"dispatch_busbw_GBps", t.dispatchBusBwGBps},
            {"straggler", t.straggler},
            {"all_to_all", {{"flat", costJson(t.flat)}, {"hierarchical", costJson(t.hierarchical)}}},
            {"per_gpu", per}};
}

nlohmann::json trafficJson(const Traffic& t, const AstraTimes* astra) {
    nlohmann::json j = trafficJson(t);
    if (astra) j["astra_sim"] = {{"total_time_us", astra->totalUs}, {"per_gpu_time_us", astra->perGpuUs}};
    return j;
}

nlohmann::json routeTrafficJson(const Routing& r, const ClusterConfig& c, int deviceLimit, const Traffic& t,
                                const AstraTimes* astra) {
    nlohmann::json j = trafficJson(t, astra);
    if (c.gpus > 1) j["placements"] = placementsJson(comparePlacements(r, c, deviceLimit));
    return j;
}

nlohmann::json placementsJson(const std::vector<PlacementOutcome>& outcomes) {
    nlohmann::json out = nlohmann::json::array();
    for (const PlacementOutcome& o : outcomes) {
        const std::string name(toString(o.placement));
        if (!o.error.empty()) {
            out.push_back({{"placement", name}, {"error", o.error}});
            continue;
        }
        out.push_back({{"placement", name},
                       {"max_gpu_load", o.maxGpuLoad},
                       {"mean_gpu_load", o.meanGpuLoad},
                       {"max_over_mean", o.maxOverMean},
                       {"intra_node_bytes", o.intraNodeBytes},
                       {"inter_node_bytes", o.interNodeBytes},
                       {"dispatch_time_us", o.dispatchTimeUs},
                       {"total_time_us", o.totalTimeUs}});
    }
    return out;
}

nlohmann::json metricsJson(const Routing& r, const Metrics& m, const Traffic& traffic) {
    return {{"tokens", r.tokens},
            {"routed_units", m.tokens},
            {"assignments", m.assignments},
            {"dropped", m.dropped},
            {"drop_rate", m.dropRate},
            {"aux_loss", m.auxLoss},
            {"z_loss", m.zLoss},
            {"cv", m.cv},
            {"max_over_mean", m.maxOverMean},
            {"cv_kept", m.cvKept},
            {"entropy", m.entropy},
            {"total_params", m.totalParams},
            {"active_params", m.activeParams},
            {"flops_per_token_moe", m.flopsPerTokenMoe},
            {"flops_per_token_dense", m.flopsPerTokenDense},
            {"device_balance_loss", traffic.deviceBalanceLoss},
            {"comm_balance_loss", traffic.commBalanceLoss}};
}

}  // namespace moe::cli
