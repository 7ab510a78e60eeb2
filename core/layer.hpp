#pragma once
// One forward pass of the MoE layer on a backend, with its metrics.
#include <string_view>
#include <vector>

#include "backends/backend.hpp"
#include "metrics.hpp"
#include "sentences.hpp"

namespace moe {

struct LayerResult {
    Routing routing;  // per byte token (with sentence routing: each byte has its sentence's slots)
    Mat outputs;      // [T, D]; empty unless asked for
    Metrics metrics;  // over the routed units: bytes, or sentences
    // Sentence-level routing only: the sentences and their own routing (one unit each).
    std::vector<Sentence> sentences;
    Routing unitRouting;
    // Non-empty when the backend asked for does not run this configuration: why, and that
    // the Eigen reference ran it instead (JSON config.fallback, the app's status bar).
    std::string fallback;
};

// Token-level routing of the rows of x.
void runLayer(Backend& backend, const ModelWeights& w, const RouterConfig& cfg, const Mat& x, bool withOutputs,
              LayerResult& out);
// Token or sentence level, as cfg.level says. For sentences, a sentence's gate input is
// the mean of its bytes' rows of x; every byte then goes through its sentence's experts
// with its sentence's weights; capacity counts sentences.
void runLayer(Backend& backend, const ModelWeights& w, const RouterConfig& cfg, std::string_view text, const Mat& x,
              bool withOutputs, LayerResult& out);

// A routing of units spread back over the bytes: byte t gets unit[t]'s slots and scores.
Routing expandRouting(const Routing& units, const std::vector<int>& unitOfToken);

}  // namespace moe
