// Built when MOELAB_GUI is off.
#include <iostream>

#include "gui_main.hpp"

namespace moe::gui {
int guiMain(const std::vector<std::string>&) {
    std::cerr << "moelab: this build has no desktop app (configured with MOELAB_GUI=OFF)\n";
    return 1;
}
LessonNames lessonNames() { return {}; }
}  // namespace moe::gui
