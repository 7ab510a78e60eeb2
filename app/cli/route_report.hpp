#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "layer.hpp"
#include "settings.hpp"
#include "tokenizer.hpp"

namespace moe::cli {

// v printed with a printf format (one number), for the readable tables.
std::string fmt(const char* f, double v);
// Terminal columns: CJK and other 3-4 byte characters are wide, continuation bytes take none.
int displayWidth(const std::string& s);
// The readable form of `moelab route`: tokens (at most maxRows, from firstTokens: the
// text's first tokens at least that many), experts, metrics.
void printRouteReport(std::ostream& os, const Settings& o, const std::vector<ByteToken>& firstTokens, int characters,
                      const LayerResult& res, int maxRows);
}  // namespace moe::cli
