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

Preferences parsePreferences(const std::string& text, const std::string& path) {
    Preferences p;
    try {
        checkJsonDepth(text, path);
        const auto j = nlohmann::json::parse(text);
        p.theme = j.value("theme", p.theme);
        p.language = j.value("language", p.language);
        p.scale = std::clamp(j.value("scale", p.scale), 0.5, 3.0);
        p.lessonSeen = j.value("lesson_seen", false);
        p.fit = j.value("fit_to_window", false);
        p.webAddress = j.value("web_address", std::string());
        if (p.theme != "dark" && p.theme != "light") p.theme = "dark";
    } catch (const std::exception&) {
        return Preferences{};  // a damaged file: defaults, none of its values half applied
    }
    return p;
}

std::string preferencesJson(const Preferences& p) {
    return nlohmann::json{{"theme", p.theme},       {"language", p.language},
                          {"scale", p.scale},       {"lesson_seen", p.lessonSeen},
                          {"fit_to_window", p.fit}, {"web_address", p.webAddress}}
               .dump(2) +
           "\n";
}

Preferences loadPreferences() {
    const std::string path = configDir() + "/settings.json";
    try {
        return parsePreferences(readFile(path), path);
    } catch (const std::exception&) {
        return Preferences{};  // first run: no file
    }
}

void savePreferences(const Preferences& p) {
    try {
        writeFileAtomic(configDir() + "/settings.json", preferencesJson(p));
    } catch (const std::exception& e) {
        std::cerr << "moelab: settings not saved: " << e.what() << "\n";
    }
}

}  // namespace moe::gui
