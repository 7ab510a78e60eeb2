#pragma once
// Routing a long text a chunk of rows at a time (route on a 10 MB file): embeddings and
// logits exist for one chunk at a time. What routing needs across the whole text is kept
// — every token's scores (combine weights, capacity priority, traffic), its k choices,
// and its selection keys when overflow reroutes — and logits are computed again per
// chunk when printed. The results are the one-shot path's, bit for bit
// (tests/test_stream.cpp): every step is per row, and the metric sums go by blocks.
#include <string_view>

#include "layer.hpp"
#include "router.hpp"

namespace moe {

// Token-level token-choice routing streams; sentence-level routing and expert choice
// (each expert ranks every token) route in one piece.
bool streamable(const RouterConfig& cfg);

// Rows [t0, t1) of embedBytes(w, text); a mixer sees the bytes before t0.
Mat embedRows(const ModelWeights& w, std::string_view text, int t0, int t1);

// Router logits of rows [t0, t1), as the Eigen backend computes them for the whole text.
RouterLogits logitRows(const ModelWeights& w, const RouterConfig& cfg, std::string_view text, int t0, int t1);

// The layer's routing and metrics on the whole text, chunkRows rows at a time (rounded
// up to whole kScoreSumBlock blocks); routing.logits stays empty (logitRows gives them)
// and there are no outputs (routingRows and a backend give them per chunk).
LayerResult routeInChunks(const ModelWeights& w, const RouterConfig& cfg, std::string_view text, int chunkRows);

// The routing of rows [t0, t1) alone, its slots renumbered from 0, for their outputs.
Routing routingRows(const Routing& r, int t0, int t1);

}  // namespace moe
