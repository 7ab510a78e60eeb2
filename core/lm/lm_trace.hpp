#pragma once
// The language model's routing of a text as a router trace (docs/contract.md, "Router
// traces"): per layer the router logits, the bytes as tokens, the model's own rule.
#include <string>
#include <string_view>
#include <vector>

#include "../trace.hpp"
#include "lm_forward.hpp"

namespace moe {

// layerLogits: per layer [T, E] router logits of the T bytes; model: the name recorded.
RouterTrace lmTrace(const std::string& model, const LmConfig& config, std::vector<Mat> layerLogits,
                    std::string_view bytes);
// The run's layers' logits (runLm on `bytes`).
RouterTrace lmRunTrace(const std::string& model, const LmConfig& config, const LmRun& run, std::string_view bytes);

}  // namespace moe
