#include "route_stream.hpp"

#include <algorithm>

#include "backends/eigen_backend.hpp"
#include "capacity.hpp"
#include "embedding.hpp"
#include "routing_stages.hpp"
#include "finite_results.hpp"
#include "settings_schema.hpp"

namespace moe {

bool streamable(const RouterConfig& cfg) {
    return cfg.level == RouteLevel::Token && cfg.mode == RoutingMode::TokenChoice;
}

Mat embedRows(const ModelWeights& w, std::string_view text, int t0, int t1) {
    // With a K-row mixer, row t needs bytes t-K+1..t: start that far back, mix as
    // embedBytes does, and keep the chunk's rows.
    const int back = w.mixer.size() ? std::min<int>(t0, static_cast<int>(w.mixer.rows()) - 1) : 0;
    Mat x = embedBytes(w, text.substr(t0 - back, t1 - t0 + back));
    if (back == 0) return x;
    return x.bottomRows(t1 - t0);
}

RouterLogits logitRows(const ModelWeights& w, const RouterConfig& cfg, std::string_view text, int t0, int t1) {
    return EigenBackend::routerLogits(w, cfg, embedRows(w, text, t0, t1), t0);
}

LayerResult routeInChunks(const ModelWeights& w, const RouterConfig& cfg, std::string_view text, int chunkRows) {
    validate(cfg, w.shape.experts);
    const int T = static_cast<int>(text.size()), E = w.shape.experts, k = cfg.k;
    const int chunk = std::max(1, (chunkRows + kScoreSumBlock - 1) / kScoreSumBlock) * kScoreSumBlock;
    const Vec bias = effectiveBias(w, cfg);
    const bool keepKeys = cfg.overflow == Overflow::Reroute;  // a reroute looks for the next best expert

    LayerResult out;
    Routing& r = out.routing;
    r.tokens = T;
    r.experts = E;
    r.k = k;
    r.mode = cfg.mode;
    r.capacity = layerCapacity(cfg, T, E);
    r.scores.resize(T, E);
    Mat keys(keepKeys ? T : 0, E);
    std::vector<int> choices(static_cast<size_t>(T) * k);
    const int chunks = (T + chunk - 1) / chunk;
    std::vector<ScoreSums> blocks((T + kScoreSumBlock - 1) / kScoreSumBlock);  // chunks start at block boundaries
    std::vector<uint8_t> finite(chunks, 1);  // checked after the loop: no exception may leave it
    // Chunks on all threads: each writes its own rows (the GEMM inside runs on one).
#pragma omp parallel for schedule(dynamic) if (chunks > 1)
    for (int c = 0; c < chunks; ++c) {
        const int t0 = c * chunk, t1 = std::min(T, t0 + chunk), n = t1 - t0;
        // The per-row stages (routing_stages.hpp), on the chunk's rows.
        const RouterLogits in = logitRows(w, cfg, text, t0, t1);
        const RowDecisions d = decideRows(in, cfg, bias, t0);
        std::copy(d.choices.begin(), d.choices.end(), choices.begin() + static_cast<size_t>(t0) * k);
        if (keepKeys) keys.middleRows(t0, n) = d.keys;
        const std::vector<ScoreSums> own = scoreSumBlocks(in.logits, d.scores);
        std::copy(own.begin(), own.end(), blocks.begin() + t0 / kScoreSumBlock);
        r.scores.middleRows(t0, n) = d.scores;
        finite[c] = in.logits.allFinite() && d.scores.allFinite();
    }
    for (int c = 0; c < chunks; ++c)
        if (!finite[c]) {
            const int t0 = c * chunk, t1 = std::min(T, t0 + chunk);
            checkFiniteRouting(w, logitRows(w, cfg, text, t0, t1).logits, r.scores.middleRows(t0, t1 - t0), t0);
        }
    assignTokenChoice(choices, keys, cfg, r);
    r.padded = cfg.padToCapacity && r.capacity >= 0;
    out.metrics = computeMetrics(r, w.shape, k, T > 0 ? addScoreSumBlocks(blocks, E) : ScoreSums{});
    checkFiniteMetrics(w, out.metrics);
    out.outputs.resize(0, w.shape.dim);
    return out;
}

Routing routingRows(const Routing& r, int t0, int t1) {
    Routing s;
    s.tokens = t1 - t0;
    s.experts = r.experts;
    s.k = r.k;
    s.mode = r.mode;
    s.capacity = r.capacity;
    s.padded = r.padded;
    const int a = r.slotBegin[t0], b = r.slotBegin[t1];
    s.slotBegin.resize(t1 - t0 + 1);
    for (int t = t0; t <= t1; ++t) s.slotBegin[t - t0] = r.slotBegin[t] - a;
    const auto slice = [&](const auto& v) { return std::decay_t<decltype(v)>(v.begin() + a, v.begin() + b); };
    s.slotExpert = slice(r.slotExpert);
    s.slotChoice = slice(r.slotChoice);
    s.slotWeight = slice(r.slotWeight);
    s.slotKept = slice(r.slotKept);
    if (!r.slotSkipped.empty()) s.slotSkipped = slice(r.slotSkipped);
    if (r.scores.rows() >= t1) s.scores = r.scores.middleRows(t0, t1 - t0);
    return s;
}

}  // namespace moe
