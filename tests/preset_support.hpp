#pragma once
// Helpers for the published systems' tests (test_systems*.cpp).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "presets.hpp"
#include "rng.hpp"
#include "settings.hpp"

namespace moe::test {

inline RouterConfig presetRouter(const char* name) {
    const Preset* p = findPreset(name);
    EXPECT_NE(p, nullptr) << name;
    return presetSettings(*p).router;
}

// A token that puts `first` first and `second` second among E experts.
inline std::vector<float> prefers(int E, int first, int second) {
    std::vector<float> p(E, 0.2f / (E - 2));
    p[first] = 0.5f;
    p[second] = 0.3f;
    return p;
}

// Random probability rows (normalised uniforms), T of them.
inline std::vector<std::vector<float>> randomProbs(int T, int E, uint64_t seed) {
    Rng rng(seed, "systems.probs");
    std::vector<std::vector<float>> out(T, std::vector<float>(E));
    for (auto& row : out) {
        float sum = 0;
        for (float& v : row) sum += v = 0.05f + rng.uniform();
        for (float& v : row) v /= sum;
    }
    return out;
}

// A preset's whole layer on its own text (or `text`), on the reference backend.
struct PresetRun {
    Settings s;
    ModelWeights w;
    LayerResult res;
};
inline PresetRun runPreset(const char* name, const std::string& text = "") {
    PresetRun out;
    Settings base;
    if (!text.empty()) base.text = text;
    out.s = presetSettings(*findPreset(name), base);
    out.w = buildWeights(out.s);
    EigenBackend eigen;
    runLayer(eigen, out.w, out.s.router, out.s.text, embedBytes(out.w, out.s.text), true, out.res);
    return out;
}

inline std::vector<int> keptExperts(const Routing& r, int t) {
    std::vector<int> e;
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
        if (r.slotKept[s]) e.push_back(r.slotExpert[s]);
    return e;
}

}  // namespace moe::test
