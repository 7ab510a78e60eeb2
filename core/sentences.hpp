#pragma once
// Sentence-level routing (the seeds' examples route whole sentences): where sentences end.
#include <string_view>
#include <vector>

namespace moe {

struct Sentence {
    int start = 0, end = 0;  // byte offsets, end exclusive
};

// A sentence ends after a run of end punctuation — . ! ? ; … and their full-width forms
// 。！？；— with the closing quotes or brackets that follow it, or after a newline; the
// whitespace after that end belongs to it. A run ending in ASCII must be followed by
// whitespace or the end of the text ("3.14" is one word). The sentences cover the text
// in order; empty text has none.
std::vector<Sentence> splitSentences(std::string_view text);

}  // namespace moe
