// The app's preferences file (app/gui/preferences.cpp, ~/.config/moelab/settings.json;
// compiled here without a window). parsePreferences never throws and only yields valid
// values; round trip: parsePreferences → preferencesJson → parsePreferences equal.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "preferences.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using moe::fuzz::require;
    const std::string text(reinterpret_cast<const char*>(data), size);
    const moe::gui::Preferences p = moe::gui::parsePreferences(text, "settings.json");
    require(p.theme == "dark" || p.theme == "light", "the theme (not dark or light)");
    require(p.scale >= 0.5 && p.scale <= 3.0, "the scale (outside 0.5..3)");
    const std::string written = moe::gui::preferencesJson(p);
    const moe::gui::Preferences q = moe::gui::parsePreferences(written, "written.json");
    require(q.theme == p.theme && q.language == p.language && q.scale == p.scale && q.lessonSeen == p.lessonSeen &&
                q.fit == p.fit,
            "the preferences");
    require(moe::gui::preferencesJson(q) == written, "the file written");
    return 0;
}
