#pragma once
// One interface for every compute backend (as ggml's backends): the Eigen
// reference and OpenCL. Routing decisions must be identical across backends.
#include <memory>
#include <string>

#include "../metrics.hpp"
#include "../routing.hpp"
#include "../weights.hpp"

namespace moe {

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;    // "eigen" or "opencl"
    virtual std::string device() const = 0;  // what runs it, for config.device
    // Router GEMMs, score function, top-k and capacity for the rows of x.
    virtual Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) = 0;
    // Expert FFNs and the weighted combine (plus shared experts) for a routing.
    virtual void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) = 0;
    // The metrics' reductions; by default on the CPU from the routing.
    virtual ScoreSums metricSums(const Routing& r) { return scoreSums(r); }
    // Empty when this backend runs every stage of cfg; else what it lacks. A new rule lands
    // in the Eigen reference first: runLayer then runs the reference and says so.
    virtual std::string unsupported(const RouterConfig&) const { return {}; }
};

} // namespace moe
