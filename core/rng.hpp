#pragma once
// Deterministic random numbers, identical on every platform and backend:
// std:: distributions are implementation-defined, so we do our own.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace moe {

// SplitMix64 (Steele, Lea, Flood 2014): a counter-based mixer.
constexpr uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

constexpr uint64_t hashName(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h;
}

// A stream per (seed, name): an expert's weights do not change when E changes.
class Rng {
public:
    Rng(uint64_t seed, std::string_view stream) : m_state(splitmix64(seed ^ hashName(stream))) {}
    uint64_t next() { return splitmix64(m_state++); }
    // Uniform in [0, 1) with 24 random bits.
    float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    // Standard normal by Box-Muller.
    float normal() {
        const double u1 = (static_cast<double>(next() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
        const double u2 = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
        return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }

private:
    uint64_t m_state;
};

// Counter-based draws for per-token noise: the value for (seed, a, b) does not
// depend on how many tokens come before it or which backend asks.
inline float counterUniform(uint64_t seed, uint64_t a, uint64_t b) {
    const uint64_t h = splitmix64(splitmix64(seed ^ 0x6A09E667F3BCC909ull) ^ (a * 0x100000001B3ull + b));
    return static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
}
inline float counterNormal(uint64_t seed, uint64_t a, uint64_t b) {
    Rng r(splitmix64(seed) ^ (a << 20) ^ b, "noise");
    return r.normal();
}

}  // namespace moe
