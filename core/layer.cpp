#include "layer.hpp"

#include "backends/eigen_backend.hpp"
#include "finite_results.hpp"

namespace moe {

namespace {
// The backend that runs cfg: the one asked for, or the Eigen reference where it lacks a stage.
Backend& runnerFor(Backend& asked, const RouterConfig& cfg, std::string& fallback) {
    fallback.clear();
    const std::string lacks = asked.unsupported(cfg);
    if (lacks.empty()) return asked;
    fallback = asked.name() + " does not run " + lacks + ": the Eigen reference ran this pass";
    thread_local EigenBackend reference;
    return reference;
}
}  // namespace

void runLayer(Backend& asked, const ModelWeights& w, const RouterConfig& cfg, const Mat& x, bool withOutputs,
              LayerResult& out) {
    out.sentences.clear();
    out.unitRouting = Routing{};
    Backend& backend = runnerFor(asked, cfg, out.fallback);
    out.routing = backend.route(w, cfg, x);
    checkFiniteRouting(w, out.routing.logits, out.routing.scores);
    if (withOutputs) {
        backend.experts(w, x, out.routing, out.outputs);
        checkFiniteOutputs(w, x, out.routing, out.outputs);
    } else
        out.outputs.resize(0, w.shape.dim);
    out.metrics = computeMetrics(out.routing, w.shape, cfg.k,
                                 out.routing.tokens > 0 ? backend.metricSums(out.routing) : ScoreSums{});
    checkFiniteMetrics(w, out.metrics);
}

Routing expandRouting(const Routing& u, const std::vector<int>& unitOf) {
    Routing r;
    const int T = static_cast<int>(unitOf.size());
    r.tokens = T;
    r.experts = u.experts;
    r.k = u.k;
    r.mode = u.mode;
    r.capacity = u.capacity;
    r.padded = u.padded;
    r.logits.resize(T, u.experts);
    r.scores.resize(T, u.experts);
    r.slotBegin.assign(1, 0);
    for (int t = 0; t < T; ++t) {
        const int s = unitOf[t];
        r.logits.row(t) = u.logits.row(s);
        r.scores.row(t) = u.scores.row(s);
        for (int q = u.slotBegin[s]; q < u.slotBegin[s + 1]; ++q) {
            r.slotExpert.push_back(u.slotExpert[q]);
            r.slotChoice.push_back(u.slotChoice[q]);
            r.slotWeight.push_back(u.slotWeight[q]);
            r.slotKept.push_back(u.slotKept[q]);
            if (!u.slotSkipped.empty()) r.slotSkipped.push_back(u.slotSkipped[q]);
        }
        r.slotBegin.push_back(static_cast<int>(r.slotExpert.size()));
    }
    r.requested = u.requested;
    r.kept = u.kept;
    r.overflow = u.overflow;  // counted in units
    return r;
}

void runLayer(Backend& asked, const ModelWeights& w, const RouterConfig& cfg, std::string_view text, const Mat& x,
              bool withOutputs, LayerResult& out) {
    if (cfg.level == RouteLevel::Token) return runLayer(asked, w, cfg, x, withOutputs, out);
    Backend& backend = runnerFor(asked, cfg, out.fallback);
    out.sentences = splitSentences(text);
    const int S = static_cast<int>(out.sentences.size());
    Mat means(S, x.cols());
    std::vector<int> unitOf(x.rows(), 0);
    for (int s = 0; s < S; ++s) {
        const Sentence& sen = out.sentences[s];
        means.row(s) = x.middleRows(sen.start, sen.end - sen.start).colwise().mean();
        for (int t = sen.start; t < sen.end; ++t) unitOf[t] = s;
    }
    out.unitRouting = backend.route(w, cfg, means);
    checkFiniteRouting(w, out.unitRouting.logits, out.unitRouting.scores);
    out.routing = expandRouting(out.unitRouting, unitOf);
    if (withOutputs) {
        backend.experts(w, x, out.routing, out.outputs);
        checkFiniteOutputs(w, x, out.routing, out.outputs);
    } else
        out.outputs.resize(0, w.shape.dim);
    out.metrics =
        computeMetrics(out.unitRouting, w.shape, cfg.k, S > 0 ? backend.metricSums(out.unitRouting) : ScoreSums{});
    checkFiniteMetrics(w, out.metrics);
}

}  // namespace moe
