// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp): a round-trip mismatch aborts,
// so libFuzzer and the replay runner both report it as a crash with the input saved.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

namespace moe::fuzz {

inline void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz: round trip changed %s\n", what);
    std::abort();
}

// A property that must hold whatever the input (not a round trip).
inline void expect(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz: %s\n", what);
    std::abort();
}

}  // namespace moe::fuzz
