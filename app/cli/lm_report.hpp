#pragma once
// The readable form of `moelab route --model`: per byte each layer's experts, per layer
// the routing metrics, the likeliest next bytes and the bits per byte.
#include <ostream>
#include <string>
#include <vector>

#include "lm/lm_forward.hpp"
#include "settings.hpp"
#include "tokenizer.hpp"

namespace moe::cli {

// The n likeliest bytes after the text's last byte, likeliest first (the lower byte on a tie).
std::vector<int> likeliestNextBytes(const LmRun& run, int n);

// asTrained: no routing flag was given. firstTokens: the text's first tokens, at least maxRows.
void printLmReport(std::ostream& os, const Settings& o, const std::string& model, const LmModel& m, const LmRun& run,
                   const std::vector<ByteToken>& firstTokens, bool asTrained, int maxRows);

}  // namespace moe::cli
