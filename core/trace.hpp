#pragma once
// Router traces (docs/contract.md, "Router traces"): a model's routing over T tokens,
// layer by layer, as safetensors. Per layer either the router logits [T, E] (everything
// can be replayed under other rules) or only the top-k expert ids [T, k] (what serving
// engines report: capacity, drops, placement and traffic can be replayed; what needs
// scores cannot).
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "routing.hpp"
#include "tensor.hpp"

namespace moe {

struct RouterTrace {
    std::string model;  // who was traced: "tiny-lm", "Mixtral-8x7B", ...
    int numExperts = 0;
    int topK = 0;
    ScoreFn score = ScoreFn::Softmax;       // the model's own score function
    bool renormalize = true;                // the model renormalises its top-k weights
    std::vector<int> tokens;                // [T] token ids; -1 where the source gave none
    std::vector<std::string> tokenText;     // [T] each token's text (may be empty)
    std::vector<Mat> logits;                // per layer [T, E]; empty for a choices-only trace
    std::vector<std::vector<int>> topkIds;  // per layer [T * topK], best first; empty with logits

    int numLayers() const { return int(hasLogits() ? logits.size() : topkIds.size()); }
    int tokenCount() const { return int(tokens.size()); }
    bool hasLogits() const { return !logits.empty(); }
};

// Reads and checks a trace (every layer present, shapes, ids in 0..E-1, metadata);
// throws InputError naming the file and the tensor or key at fault.
RouterTrace parseTrace(std::string bytes, const std::string& path);
RouterTrace loadTrace(const std::string& path);
std::string serializeTrace(const RouterTrace& trace);
void saveTrace(const RouterTrace& trace, const std::string& path);  // atomic

// The trace's own rule: its k, score function and renormalisation, dropless.
RouterConfig traceRouterConfig(const RouterTrace& trace);

// Layer `layer` routed under cfg. With logits: the router's decision on them (every flag
// applies but those settingsNeedingScores names). Choices only: the recorded ids in rank order (cfg.k at most the trace's k keeps
// the first cfg.k), equal weights, then cfg's capacity, overflow and priority.
Routing replayTraceLayer(const RouterTrace& trace, int layer, const RouterConfig& cfg);

// The flags of cfg the trace cannot honour, which its replay ignores: for every trace
// --noisy-topk, --jitter and --route-level (they act on the router's input, which a trace
// lacks); for a choices-only trace also those set away from its own rule that need scores
// (e.g. "--temperature", "--score", "--k" above the trace's k). Empty when none is set.
std::vector<std::string> settingsNeedingScores(const RouterTrace& trace, const RouterConfig& cfg);

// Layer `layer` under the trace's own rule but token choice with capacity factor c,
// overflow dropped: the share of routed assignments dropped, for each c below.
inline constexpr double kSweepCapacityFactors[] = {1.0, 1.25, 1.5, 1.75, 2.0};
struct CapacityPoint {
    double capacityFactor = 0;
    double dropRate = 0;
};
std::vector<CapacityPoint> capacitySweep(const RouterTrace& trace, int layer);

// A byte's text in a byte-level model's trace: printable ASCII as itself, any other byte
// as "<0xE4>" (a lone byte of a UTF-8 character is not valid UTF-8 text in JSON).
std::string byteTokenText(uint8_t byte);

}  // namespace moe
