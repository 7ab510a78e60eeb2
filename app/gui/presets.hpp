#pragma once
// Routing set-ups of published systems, as starting points (each names its source).
#include <string>
#include <vector>

#include "settings.hpp"

namespace moe::gui {

struct Preset {
    const char* name;
    const char* source;
    void (*apply)(Settings&);
};
const std::vector<Preset>& presets();

// Published sizes for the dense-vs-MoE comparison.
struct PublishedModel {
    const char* name;
    double totalParamsB, activeParamsB;
    int experts, k;
    const char* source;
};
const std::vector<PublishedModel>& publishedModels();

// Example sentences, Chinese and English (the seeds' among them).
const std::vector<const char*>& exampleSentences();

} // namespace moe::gui
