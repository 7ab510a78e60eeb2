#pragma once
// Theme, UI scale and language kept between runs, in $XDG_CONFIG_HOME/moelab (the
// window layout is ImGui's imgui.ini beside them).
#include <string>

namespace moe::gui {

struct Preferences {
    std::string theme = "dark", language;  // language "" = from the environment
    double scale = 1.0;
    bool lessonSeen = false;  // the built-in lesson opens on the first start only
    bool fit = false;         // the UI scale follows the window size
    std::string webAddress;   // a hosted web build (README "In the browser"): Share gives links to it
};

std::string configDir();
// Reading and writing the file's text; parsePreferences never throws (defaults instead).
Preferences parsePreferences(const std::string& text, const std::string& path);
std::string preferencesJson(const Preferences& p);
Preferences loadPreferences();               // defaults on a first run or a damaged file
void savePreferences(const Preferences& p);  // a failure is printed, not thrown

}  // namespace moe::gui
