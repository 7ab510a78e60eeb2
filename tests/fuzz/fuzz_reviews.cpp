// core/train/sentiment's reviews TSV reader (label<TAB>language<TAB>text per line).
// No writer, so no round trip: every accepted review must have a label, a language and text.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_support.hpp"
#include "train/sentiment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        for (const auto& r : moe::train::parseReviews(text)) {
            moe::fuzz::require(!r.text.empty(), "an accepted review's text (empty)");
            moe::fuzz::require(r.text.find('\n') == std::string::npos, "an accepted review's text (holds a newline)");
        }
    } catch (const moe::InputError&) {}
    return 0;
}
