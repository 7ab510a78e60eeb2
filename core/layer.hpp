#pragma once
// One forward pass of the MoE layer on a backend, with its metrics and timings.
#include "backends/backend.hpp"
#include "metrics.hpp"

namespace moe {

struct LayerResult {
    Routing routing;
    Mat outputs;  // [T, D]; empty unless asked for
    Metrics metrics;
};

void runLayer(Backend& backend, const ModelWeights& w, const RouterConfig& cfg, const Mat& x, bool withOutputs,
              LayerResult& out);

} // namespace moe
