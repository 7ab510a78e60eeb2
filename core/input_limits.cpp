#include "input_limits.hpp"

#include <cstdio>

#include "errors.hpp"
#include "weights.hpp"

namespace moe {

void checkJsonDepth(std::string_view text, const std::string& source, int maxDepth) {
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth)
                throw InputError(source, "nests arrays or objects deeper than " + std::to_string(maxDepth) + " levels");
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
}

uint64_t weightBytes(const ModelShape& s) {
    const uint64_t d = uint64_t(s.dim), e = uint64_t(s.experts);
    const uint64_t ffns = e + uint64_t(s.sharedExperts);
    // embed [256, D], router W_g and W_noise [E, D], bias and selection bias [E], the FFNs.
    const uint64_t floats = 256 * d + 2 * e * d + 2 * e + ffns * uint64_t(expertParams(s));
    return 4 * floats;
}

namespace {
// The shape setting furthest above its default: the one to name when the model is too big.
const char* largestShapeKey(const ModelShape& s) {
    const ModelShape d;
    const double experts = double(s.experts) / d.experts, dim = double(s.dim) / d.dim,
                 hidden = double(s.hidden) / d.hidden;
    if (experts >= dim && experts >= hidden) return "experts";
    return dim >= hidden ? "dim" : "hidden";
}
}  // namespace

void checkSharedSettings(const Settings& s, const std::string& source) {
    const auto field = [&](const std::string& key) { return source.empty() ? key : source + ": " + key; };
    if (s.text.size() > kMaxSharedTextBytes)
        throw InputError(field("text"), "holds " + std::to_string(s.text.size()) + " bytes, more than the " +
                                            std::to_string(kMaxSharedTextBytes) +
                                            " (1 MiB) a lesson code, session or lesson may carry");
    if (!s.weightsPath.empty()) return;
    const uint64_t bytes = weightBytes(s.shape);
    if (bytes > kMaxSharedWeightsBytes) {
        char size[32];
        std::snprintf(size, sizeof size, "%.1f MiB", double(bytes) / (1 << 20));
        throw InputError(field(largestShapeKey(s.shape)),
                         "a model of " + std::to_string(s.shape.experts) + " experts, dim " +
                             std::to_string(s.shape.dim) + " and hidden " + std::to_string(s.shape.hidden) + " holds " +
                             size +
                             " of weights, more than the 256 MiB a lesson code, session or lesson may ask for "
                             "(moelab route has no such limit)");
    }
}

}  // namespace moe
