#include "sentences.hpp"

#include <cctype>
#include <string>

namespace moe {
namespace {

// The UTF-8 sequence at i if it is one of `set`'s entries; its length, else 0.
int matchAny(std::string_view s, size_t i, std::initializer_list<std::string_view> set) {
    for (std::string_view m : set)
        if (s.substr(i, m.size()) == m) return static_cast<int>(m.size());
    return 0;
}

int endPunctuation(std::string_view s, size_t i) {
    return matchAny(s, i, {".", "!", "?", ";", "\u2026", "\u3002", "\uFF01", "\uFF1F", "\uFF1B"});
}

int closing(std::string_view s, size_t i) {
    return matchAny(s, i, {"\"", "'", ")", "]", "\u201D", "\u2019", "\u300D", "\u300F", "\uFF09", "\u3011"});
}

bool blank(std::string_view s) {
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c))) return false;
    return true;
}

} // namespace

std::vector<Sentence> splitSentences(std::string_view s) {
    std::vector<Sentence> out;
    size_t start = 0, i = 0;
    const auto cut = [&](size_t end) {
        if (end > start) out.push_back({int(start), int(end)});
        start = end;
    };
    while (i < s.size()) {
        if (s[i] == '\n') {
            cut(++i);
            continue;
        }
        if (int n = endPunctuation(s, i)) {
            i += n;
            while (i < s.size()) {  // the whole run, and closing quotes or brackets
                const int m = endPunctuation(s, i) ? endPunctuation(s, i) : closing(s, i);
                if (!m) break;
                i += m;
            }
            // ASCII punctuation inside a word ("3.14", "e.g") ends nothing.
            const bool ascii = static_cast<unsigned char>(s[i - 1]) < 0x80;
            if (!ascii || i == s.size() || std::isspace(static_cast<unsigned char>(s[i]))) cut(i);
            continue;
        }
        ++i;
    }
    cut(s.size());
    // Whitespace left over at the end belongs to the last sentence.
    if (out.size() > 1 && blank(s.substr(out.back().start, out.back().end - out.back().start))) {
        out[out.size() - 2].end = out.back().end;
        out.pop_back();
    }
    return out;
}

} // namespace moe
