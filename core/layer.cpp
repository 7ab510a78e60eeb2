#include "layer.hpp"

#include <chrono>

namespace moe {

void runLayer(Backend& backend, const ModelWeights& w, const RouterConfig& cfg, const Mat& x, bool withOutputs,
              LayerResult& out) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    out.routing = backend.route(w, cfg, x);
    const auto t1 = Clock::now();
    if (withOutputs) backend.experts(w, x, out.routing, out.outputs);
    else out.outputs.resize(0, w.shape.dim);
    const auto t2 = Clock::now();
    out.metrics = computeMetrics(out.routing, w.shape, cfg.k,
                                 out.routing.tokens > 0 ? backend.metricSums(out.routing) : ScoreSums{});
    out.routeMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    out.expertsMs = std::chrono::duration<double, std::milli>(t2 - t1).count();
}

} // namespace moe
