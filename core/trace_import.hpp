#pragma once
// Serving engines' routed-experts arrays as router traces (docs/contract.md, "Router
// traces"): vLLM's [tokens, layers, top_k] array as a .npy file (int16, int32 or int64) or a
// JSON nested list; SGLang's {"routed_experts": base64 of little-endian int32, "shape"}.
// What they record is choices only: the trace has topk_ids, tokens -1 and empty texts.
#include <cstdint>
#include <string>
#include <vector>

#include "trace.hpp"

namespace moe {

// Expert ids laid out [tokens][layers][topK].
struct RoutedExperts {
    int tokens = 0;
    int layers = 0;
    int topK = 0;
    std::vector<int64_t> ids;
    size_t count() const { return size_t(tokens) * size_t(layers) * size_t(topK); }
};

// Each throws InputError(source, ...) for what it cannot read.
RoutedExperts parseNpyExperts(const std::string& bytes, const std::string& source);
RoutedExperts parseJsonListExperts(const std::string& text, const std::string& source);
RoutedExperts parseSglangExperts(const std::string& text, const std::string& source);

// from: "vllm" (a .npy file or, when the bytes do not start as one, a JSON list) or "sglang".
RoutedExperts readRoutedExperts(const std::string& from, const std::string& bytes, const std::string& source);

// The choices-only trace of the array; numExperts 0 means the largest id + 1. Throws
// InputError(source, ...) for a negative id, one >= numExperts or one twice in a row.
RouterTrace tracedChoices(const RoutedExperts& r, int numExperts, const std::string& model, const std::string& source);

}  // namespace moe
