#pragma once
// A router trace's tokens as the views' tokens: a byte-level trace (every token a byte,
// its text byteTokenText of it) becomes its text again, grouped into characters; any
// other trace's tokens show their recorded text.
#include <optional>
#include <string>
#include <vector>

#include "tokenizer.hpp"
#include "trace.hpp"

namespace moe {

// The bytes of a byte-level trace, or nothing when a token is not a byte of its own text.
std::optional<std::string> traceBytes(const RouterTrace& trace);
// One token per trace token (a byte-level trace: tokenize() of its bytes).
std::vector<ByteToken> traceTokens(const RouterTrace& trace);
// The text the trace shows in the text box: its bytes, or its tokens' texts joined.
std::string traceText(const RouterTrace& trace);
// Whether any token has a text or an id (an engine's imported choices have neither).
bool traceNamesTokens(const RouterTrace& trace);

}  // namespace moe
