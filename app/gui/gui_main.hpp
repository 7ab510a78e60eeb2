#pragma once
#include <string>
#include <vector>

#include "lesson.hpp"

namespace moe::gui {
// Opens the desktop app; returns the exit code.
int guiMain(const std::vector<std::string>& args);
// The views and pages lessons, codes and --hide may name (view_registry.hpp); a build
// without the app has none and returns empty lists, which check no name.
LessonNames lessonNames();
}  // namespace moe::gui
