#include "settings.hpp"

#include <algorithm>

#include "safetensors.hpp"
#include "settings_schema.hpp"

namespace moe {

void applyRouteGroups(Settings& s) {
    s.cluster.forwardInNode = s.routeGroups == RouteGroups::Nodes;  // DeepSeek-V3's dispatch
    if (s.routeGroups == RouteGroups::Off) return;
    const int groups = routeGroupCount(s);
    // A group count that does not fit is reported by validateSettings (route_groups' rule).
    if (s.shape.experts % groups == 0 && s.cluster.placement == Placement::Contiguous) s.router.groups = groups;
}

int routeGroupCount(const Settings& s) {
    const ClusterConfig& c = s.cluster;
    switch (s.routeGroups) {
        case RouteGroups::Off:
            return 1;
        case RouteGroups::Gpus:
            return c.gpus;
        case RouteGroups::Nodes:
            return std::max(1, c.gpus / std::max(1, c.gpusPerNode));
    }
    return 1;
}

int deviceLimit(const Settings& s) {
    // Without a group limit a token may reach min(k, G) GPUs: simulateTraffic's default.
    return s.routeGroups == RouteGroups::Gpus ? s.router.topkGroups : 0;
}

ModelWeights makeWeights(Settings& s) {
    if (s.weightsPath.empty()) {
        validate(s.shape);
        return initWeights(s.shape, s.seed);
    }
    ModelWeights w = loadWeights(s.weightsPath, s.shape.activation);
    s.shape = w.shape;
    return w;
}

ModelWeights buildWeights(Settings& s) {
    ModelWeights w = makeWeights(s);
    resolveSettings(s);
    validateSettings(s);
    return w;
}

}  // namespace moe
