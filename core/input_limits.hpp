#pragma once
// Limits on what comes from outside. JSON (lesson codes, sessions, weights headers,
// preferences): a value nested thousands deep parses, but copying, printing or
// destroying it recurses once per level and overflows the stack. Shared state (lesson
// codes, sessions, lessons): a student opens it with a click, so it may not ask for
// minutes of work and gigabytes of memory.
#include <cstdint>
#include <string>
#include <string_view>

#include "settings.hpp"

namespace moe {

inline constexpr int kMaxJsonDepth = 64;
inline constexpr uint64_t kMaxSharedTextBytes = uint64_t(1) << 20;  // 1 MiB
// Every model the app's sliders make fits (the largest, 64 + 4 SwiGLU experts of
// D 256, H 1024, is 205 MiB), so the app never saves a session it would refuse.
inline constexpr uint64_t kMaxSharedWeightsBytes = uint64_t(256) << 20;

// Throws InputError(source, ...) when text's arrays and objects nest deeper than
// maxDepth. Scans the text (strings skipped) before any parser sees it.
void checkJsonDepth(std::string_view text, const std::string& source, int maxDepth = kMaxJsonDepth);

// Bytes of the float weights a model of this shape holds.
uint64_t weightBytes(const ModelShape& shape);

// Throws InputError("<source>: <key>", or "<key>" for an empty source) when shared settings ask for more than
// kMaxSharedTextBytes of text or kMaxSharedWeightsBytes of weights. A weights file
// fixes its own shape (and readFile limits its size): its shape is not checked.
void checkSharedSettings(const Settings& s, const std::string& source);

}  // namespace moe
