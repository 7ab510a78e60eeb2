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

}  // namespace

std::vector<Sentence> splitSentences(std::string_view s) {
    std::vector<Sentence> out;
    size_t start = 0, i = 0;
    const auto cutAfterSpace = [&] {  // the whitespace after an end belongs to that sentence
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        out.push_back({int(start), int(i)});
        start = i;
    };
    while (i < s.size()) {
        if (s[i] == '\n') {
            ++i;
            cutAfterSpace();
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
            if (!ascii || i == s.size() || std::isspace(static_cast<unsigned char>(s[i]))) cutAfterSpace();
            continue;
        }
        ++i;
    }
    if (start < s.size()) out.push_back({int(start), int(s.size())});
    return out;
}

}  // namespace moe
