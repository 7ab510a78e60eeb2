// Session files (core/settings_schema parseSession). Round trip: parseSession →
// sessionJson → parseSession gives the same settings, and writing them again the same file.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_support.hpp"
#include "settings_schema.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    moe::LoadedSession loaded;
    try {
        loaded = moe::parseSession(text, "fuzz.json");
    } catch (const moe::InputError&) {
        return 0;
    }
    const moe::Settings& first = loaded.settings;
    const std::string written = moe::sessionJson(first, loaded.model, loaded.layer);
    const moe::LoadedSession again = moe::parseSession(written, "written.json");  // must not throw
    moe::fuzz::require(again.unknownKeys.empty(), "the keys sessionJson writes (one is unknown)");
    moe::fuzz::require(again.model == loaded.model, "the language model");
    moe::fuzz::require(loaded.model.empty() || again.layer == loaded.layer, "the model's layer");
    for (const moe::SettingSpec& spec : moe::settingSpecs())
        if (spec.inSession)
            moe::fuzz::require(moe::sameValue(spec, first, again.settings), std::string(spec.key).c_str());
    moe::fuzz::require(moe::sessionJson(again.settings, again.model, again.layer) == written,
                       "the session file written");
    return 0;
}
