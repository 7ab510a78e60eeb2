#include "layer.hpp"

namespace moe {

void runLayer(Backend& backend, const ModelWeights& w, const RouterConfig& cfg, const Mat& x, bool withOutputs,
              LayerResult& out) {
    out.routing = backend.route(w, cfg, x);
    if (withOutputs) backend.experts(w, x, out.routing, out.outputs);
    else out.outputs.resize(0, w.shape.dim);
    out.metrics = computeMetrics(out.routing, w.shape, cfg.k,
                                 out.routing.tokens > 0 ? backend.metricSums(out.routing) : ScoreSums{});
}

} // namespace moe
