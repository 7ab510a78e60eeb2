#pragma once
#include <string>
#include <vector>

namespace moe::gui {
// Opens the desktop app; returns the exit code.
int guiMain(const std::vector<std::string>& args);
} // namespace moe::gui
