#pragma once
#include <ostream>
#include <vector>

#include "layer.hpp"
#include "settings.hpp"
#include "tokenizer.hpp"

namespace moe::cli {
// The readable form of `moelab route`: tokens (at most maxRows), experts, metrics.
void printRouteReport(std::ostream& os, const Settings& o, const std::vector<ByteToken>& tokens,
                      const LayerResult& res, int maxRows);
} // namespace moe::cli
