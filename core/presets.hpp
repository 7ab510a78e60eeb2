#pragma once
// Published systems as starting points: one table for `--preset NAME`, `moelab info`
// and the app. Each names its paper and says what is scaled down; flags after
// `--preset` override it. The Dense-vs-MoE comparison's published sizes live here too.
#include <span>
#include <string>
#include <vector>

#include "settings.hpp"

namespace moe {

struct Preset {
    const char* name;   // the flag value: "switch"
    const char* title;  // "Switch Transformer"
    const char* titleZh;
    const char* paper;   // who, when, what
    const char* scaled;  // what the preset scales down or leaves out, in English
    const char* scaledZh;
    void (*apply)(Settings&);
};

std::span<const Preset> presets();
const Preset* findPreset(const std::string& name);
// The defaults with the preset applied (the text kept from `base`).
Settings presetSettings(const Preset& p, const Settings& base = Settings{});
// The flags the preset sets: every setting it changes from the defaults, "--k 1".
std::vector<std::string> presetFlags(const Preset& p);
// Every preset name, "seed-003|seed-002|...", for messages.
std::string presetNames();

// A published model for the Dense-vs-MoE comparison. NaN: not published.
struct PublishedModel {
    const char* name;
    double totalParamsB, activeParamsB;
    int experts, k;  // routed experts and experts per token (0: not published)
    const char* source;
};
std::span<const PublishedModel> publishedModels();

// Example sentences, Chinese and English, the seeds' among them.
std::span<const char* const> exampleSentences();

}  // namespace moe
