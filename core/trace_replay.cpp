// Replaying a trace's layer under other routing settings (docs/contract.md, "Router traces").
#include <algorithm>
#include <string>

#include "capacity.hpp"
#include "errors.hpp"
#include "metrics.hpp"
#include "router.hpp"
#include "routing_stages.hpp"
#include "trace.hpp"

namespace moe {
namespace {

bool anyNonZero(const std::vector<float>& v) {
    return std::any_of(v.begin(), v.end(), [](float x) { return x != 0.0f; });
}

// What a trace's replay honours of cfg: the flags that need what it lacks set back to the
// trace's own rule (noise and jitter act on the router's input, which no trace holds).
RouterConfig honoured(const RouterTrace& trace, RouterConfig cfg) {
    cfg.noisyTopk = false;
    cfg.jitter = 0.0f;
    cfg.level = RouteLevel::Token;
    if (trace.hasLogits()) return cfg;
    cfg.k = std::min(cfg.k, trace.topK);
    cfg.score = trace.score;
    cfg.temperature = 1.0f;
    cfg.mode = RoutingMode::TokenChoice;
    if (cfg.dropPriority == DropPriority::Score) cfg.dropPriority = DropPriority::Position;
    cfg.overflow = Overflow::Drop;
    cfg.groups = 1;
    cfg.topkGroups = 0;
    cfg.expertBias.clear();
    cfg.randomRouting = false;
    return cfg;
}

// The recorded first k choices with equal weights 1/k: as scores, 1/k on each chosen
// expert (renormalising k of them changes nothing), 0 elsewhere; capacity as configured.
Routing replayChoices(const RouterTrace& trace, int layer, const RouterConfig& cfg) {
    const int T = trace.tokenCount(), E = trace.numExperts, k = cfg.k;
    Routing r;
    r.tokens = T;
    r.experts = E;
    r.k = k;
    r.mode = RoutingMode::TokenChoice;
    r.capacity = layerCapacity(cfg, T, E);
    r.logits = Mat::Zero(T, E);
    r.scores = Mat::Zero(T, E);
    std::vector<int> choices(size_t(T) * k);
    const std::vector<int>& ids = trace.topkIds[layer];
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < k; ++j) {
            const int e = ids[size_t(t) * trace.topK + j];
            choices[size_t(t) * k + j] = e;
            r.scores(t, e) = 1.0f / float(k);
        }
    assignTokenChoice(choices, r.scores, cfg, r);
    r.padded = cfg.padToCapacity && r.capacity >= 0;
    return r;
}

}  // namespace

Routing replayTraceLayer(const RouterTrace& trace, int layer, const RouterConfig& cfg) {
    if (layer < 0 || layer >= trace.numLayers())
        throw InputError("layer", std::to_string(layer) + " is outside the trace's layers 0.." +
                                      std::to_string(trace.numLayers() - 1));
    const RouterConfig c = honoured(trace, cfg);
    if (!trace.hasLogits()) return replayChoices(trace, layer, c);
    const int E = trace.numExperts;
    const Vec bias = int(c.expertBias.size()) == E ? Vec(Eigen::Map<const Vec>(c.expertBias.data(), E)) : Vec::Zero(E);
    return decideRouting(RouterLogits{trace.logits[layer], Mat()}, c, bias);
}

std::vector<std::string> settingsNeedingScores(const RouterTrace& trace, const RouterConfig& cfg) {
    std::vector<std::string> out;
    if (cfg.noisyTopk) out.push_back("--noisy-topk");
    if (cfg.jitter != 0.0f) out.push_back("--jitter");
    if (cfg.level != RouteLevel::Token) out.push_back("--route-level");
    if (trace.hasLogits()) return out;
    if (cfg.k > trace.topK) out.push_back("--k");
    if (cfg.score != trace.score) out.push_back("--score");
    if (cfg.temperature != 1.0f) out.push_back("--temperature");
    if (cfg.mode != RoutingMode::TokenChoice) out.push_back("--routing");
    if (cfg.dropPriority == DropPriority::Score) out.push_back("--drop-priority");
    if (cfg.overflow == Overflow::Reroute) out.push_back("--overflow");
    if (cfg.groups > 1) out.push_back("--groups");
    if (cfg.topkGroups > 0 && cfg.topkGroups < cfg.groups) out.push_back("--topk-groups");
    if (anyNonZero(cfg.expertBias)) out.push_back("--expert-bias");
    if (cfg.randomRouting) out.push_back("--random-routing");
    return out;
}

std::vector<CapacityPoint> capacitySweep(const RouterTrace& trace, int layer) {
    std::vector<CapacityPoint> out;
    for (double c : kSweepCapacityFactors) {
        RouterConfig cfg = traceRouterConfig(trace);
        cfg.capacityFactor = c;
        cfg.overflow = Overflow::Drop;
        ModelShape shape;
        shape.experts = trace.numExperts;
        const Routing r = replayTraceLayer(trace, layer, cfg);
        out.push_back({c, computeMetrics(r, shape, r.k).dropRate});  // dropped / routed assignments
    }
    return out;
}

}  // namespace moe
