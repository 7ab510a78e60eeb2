#pragma once
// One interface for every compute backend (as ggml's backends): the Eigen
// reference and OpenCL. Routing decisions must be identical across backends.
#include <memory>
#include <string>

#include "../lm/lm_ops.hpp"
#include "../metrics.hpp"
#include "../routing.hpp"
#include "../weights.hpp"

namespace moe {

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;        // "eigen" or "opencl"
    virtual std::string device() const = 0;      // what runs it, for config.device
    virtual bool onCpu() const { return true; }  // the host's cores, directly or through OpenCL
    // Router GEMMs, score function, top-k and capacity for the rows of x.
    virtual Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) = 0;
    // Expert FFNs and the weighted combine (plus shared experts) for a routing.
    virtual void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) = 0;
    // The metrics' reductions; by default on the CPU from the routing.
    virtual ScoreSums metricSums(const Routing& r) { return scoreSums(r); }
    // Empty when this backend runs every stage of cfg; else what it lacks. A new rule lands
    // in the Eigen reference first: runLayer then runs the reference and says so.
    virtual std::string unsupported(const RouterConfig&) const { return {}; }

    // The language model's own operations (core/lm/lm_ops.hpp); the defaults run the Eigen
    // reference, a backend overrides what it runs on its device.
    virtual void rmsNorm(const Mat& x, const Vec& gain, float eps, Mat& out) { rmsNormReference(x, gain, eps, out); }
    virtual void linear(const Mat& x, const Mat& w, Mat& out) { linearReference(x, w, out); }
    virtual void rope(Mat& qk, int heads, const RopeTable& table, int firstPos) {
        ropeReference(qk, heads, table, firstPos);
    }
    virtual void causalAttention(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s, int firstPos,
                                 Mat& out) {
        causalAttentionReference(q, k, v, s, firstPos, out);
    }
};

}  // namespace moe
