#pragma once
// The pieces of the desktop app's loop (gui_main.cpp) that the browser's loop
// (browser_main.cpp) shares: one frame, and the start-up before the first.
#include "app.hpp"
#include "gui_options.hpp"
#include "preferences.hpp"

namespace moe::gui {
namespace frame {
// Font filtering off (gui_main.cpp says why); after every font texture upload.
void unfilteredFontTexture();
// A pending export, fonts rebuilt when asked, the app's windows, the draw.
void drawFrame(App& app, Ui& ui, AppState& state, bool headless);
void setUpUi(Ui& ui, const GuiOptions& opts, const Preferences& saved, const AppState& state);
void startApp(App& app, const GuiOptions& opts, const Preferences& saved);
}  // namespace frame

// The browser (emscripten): the app starts, the page calls a frame per animation frame,
// and this returns at once; the app lives as long as the page.
int runInBrowser(const GuiOptions& opts);
}  // namespace moe::gui
