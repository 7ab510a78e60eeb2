#pragma once
// Generation with a KV cache: the prompt runs once, then each new byte runs only its own
// row through every layer, attending to the cached keys and values of the bytes before it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lm_forward.hpp"

namespace moe {

struct SampleOptions {
    int bytes = 60;          // how many bytes to generate
    double temperature = 0;  // 0: greedy (the likeliest byte; the lowest on a tie); else softmax(logits / T)
    uint64_t seed = 0;       // the sampling draws' seed (core/rng.hpp): same seed, same text
};

struct GeneratedByte {
    uint8_t byte = 0;
    float logprob = 0;  // log p(byte | everything before it), at temperature 1
    // Per layer, the experts that took this byte when it was fed back in (kept slots, rank order).
    std::vector<std::vector<int>> experts;
};

struct LmGeneration {
    std::string text;  // the prompt followed by the continuation (raw bytes: UTF-8 may break mid-way)
    int promptBytes = 0;
    std::vector<GeneratedByte> generated;
};

// A model's running state: its KV cache and rope table.
class LmSession {
public:
    // positions: how many bytes the session will hold at most (the rope table's length).
    LmSession(Backend& backend, const LmModel& m, const RouterConfig& routing, int positions);
    // Feeds bytes at the next positions; returns their logits [n, 256].
    Mat feed(std::string_view bytes);
    // Per layer, the MoE's result for the bytes of the last feed.
    const std::vector<LayerResult>& lastLayers() const { return m_layers; }
    int position() const { return m_cache.positions; }

private:
    Backend& m_backend;
    const LmModel& m_model;
    RouterConfig m_routing;
    RopeTable m_rope;
    LmCache m_cache;
    std::vector<LayerResult> m_layers;
};

// Throws InputError("text") for an empty prompt.
LmGeneration generate(Backend& backend, const LmModel& m, const RouterConfig& routing, std::string_view prompt,
                      const SampleOptions& options);

// The byte to emit after a row of logits: greedy at temperature 0, else drawn with u in [0, 1).
int chooseByte(const float* logits, int vocab, double temperature, double u);

}  // namespace moe
