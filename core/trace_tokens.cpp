#include "trace_tokens.hpp"

namespace moe {

std::optional<std::string> traceBytes(const RouterTrace& trace) {
    std::string bytes;
    bytes.reserve(trace.tokens.size());
    for (size_t t = 0; t < trace.tokens.size(); ++t) {
        const int id = trace.tokens[t];
        if (id < 0 || id > 255) return std::nullopt;
        if (t < trace.tokenText.size() && trace.tokenText[t] != byteTokenText(uint8_t(id))) return std::nullopt;
        bytes.push_back(char(id));
    }
    return bytes;
}

std::vector<ByteToken> traceTokens(const RouterTrace& trace) {
    if (const auto bytes = traceBytes(trace)) return tokenize(*bytes);
    std::vector<ByteToken> out(trace.tokens.size());
    for (size_t t = 0; t < out.size(); ++t) {
        ByteToken& tok = out[t];
        const int id = trace.tokens[t];
        // The id's low byte stands in for a byte value (the views key colours and counts by it);
        // the text is the recorded one, or the id where none was recorded.
        tok.byte = uint8_t(id < 0 ? 0 : id & 0xFF);
        tok.charIndex = int(t);
        tok.valid = false;  // shown as its text, never as a byte value
        const std::string text = t < trace.tokenText.size() ? trace.tokenText[t] : std::string();
        tok.text = !text.empty() ? text : id >= 0 ? "#" + std::to_string(id) : "?";
    }
    return out;
}

bool traceNamesTokens(const RouterTrace& trace) {
    for (size_t t = 0; t < trace.tokens.size(); ++t)
        if (trace.tokens[t] >= 0 || (t < trace.tokenText.size() && !trace.tokenText[t].empty())) return true;
    return false;
}

std::string traceText(const RouterTrace& trace) {
    if (auto bytes = traceBytes(trace)) return std::move(*bytes);
    std::string text;
    for (const ByteToken& t : traceTokens(trace)) text += t.text;
    return text;
}

}  // namespace moe
