#pragma once
#include <ostream>
#include <vector>

#include "layer.hpp"
#include "model_options.hpp"
#include "tokenizer.hpp"

namespace moe::cli {
// The readable form of `moelab route`: tokens (at most maxRows), experts, metrics.
void printRouteReport(std::ostream& os, const ModelOptions& o, const std::vector<ByteToken>& tokens,
                      const LayerResult& res, int maxRows);
// How a token's character reads in a terminal: control bytes and invalid bytes escaped.
std::string printableChar(const ByteToken& t);
} // namespace moe::cli
