#include "preferences.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "input_limits.hpp"

namespace moe::gui {

std::string configDir() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/moelab";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/moelab";
    return ".";
}

Preferences loadPreferences() {
    Preferences p;
    try {
        const std::string path = configDir() + "/settings.json", text = readFile(path);
        checkJsonDepth(text, path);
        const auto j = nlohmann::json::parse(text);
        p.theme = j.value("theme", p.theme);
        p.language = j.value("language", p.language);
        p.scale = std::clamp(j.value("scale", p.scale), 0.5, 3.0);
        p.lessonSeen = j.value("lesson_seen", false);
        p.fit = j.value("fit_to_window", false);
        if (p.theme != "dark" && p.theme != "light") p.theme = "dark";
    } catch (const std::exception&) {
        // first run, or a damaged file: defaults
    }
    return p;
}

void savePreferences(const Preferences& p) {
    try {
        writeFileAtomic(configDir() + "/settings.json",
                        nlohmann::json{{"theme", p.theme}, {"language", p.language}, {"scale", p.scale}, {"lesson_seen", p.lessonSeen}, {"fit_to_window", p.fit}}.dump(2) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "moelab: settings not saved: " << e.what() << "\n";
    }
}

} // namespace moe::gui
