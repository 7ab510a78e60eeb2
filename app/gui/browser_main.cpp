// The app in the browser (.ci/web): the desktop loop's start-up and frames
// (gui_frame.hpp), with the page calling each frame (requestAnimationFrame) instead of
// a loop. Only the web build compiles this file.
#include <emscripten.h>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>

#include <iostream>

#include "errors.hpp"
#include "gui_frame.hpp"
#include "i18n.hpp"
#include "platform.hpp"
#include "style.hpp"

namespace moe::gui {
namespace {

// Everything the frames use, in the desktop's construction order. It lives on the heap
// for the page's lifetime: run's stack is gone when the browser calls the first frame.
struct BrowserApp {
    explicit BrowserApp(const GuiOptions& opts)
        : state(opts.settings),
          window(opts.width, opts.height, "moelab", true),
          imgui(window.handle(), nullptr),
          app(window.handle(), state, ui, opts.page) {}
    AppState state;
    Window window;
    ImGuiContextGuard imgui;
    Ui ui;
    App app;
    bool drawn = false;
};

void browserFrame(void* arg) {
    auto* b = static_cast<BrowserApp*>(arg);
    try {
        glfwPollEvents();
        frame::drawFrame(b->app, b->ui, b->state, false);
        glfwSwapBuffers(b->window.handle());
        if (!b->drawn) EM_ASM(if (window.moelab && window.moelab.onFirstFrame) window.moelab.onFirstFrame(););
        b->drawn = true;
    } catch (const std::exception& e) {  // the page carries on with the next frame
        std::cerr << "moelab: " << e.what() << "\n";
    }
}

}  // namespace

int runInBrowser(const GuiOptions& opts) {
    setLanguage(opts.language == "zh" ? Language::Chinese : Language::English);
    auto* b = new BrowserApp(opts);  // never freed: the page ends it
    if (!b->state.error().empty()) throw InputError("moelab gui", b->state.error());
    b->state.computeInline(true);  // one thread: every recompute in the frame that asks for it
    const Preferences defaults;    // nothing is saved between visits
    frame::setUpUi(b->ui, opts, defaults, b->state);
    frame::startApp(b->app, opts, defaults);
    applyTheme(b->app.theme, b->ui.scale);
    ImGui_ImplOpenGL3_CreateDeviceObjects();
    frame::unfilteredFontTexture();
    emscripten_set_main_loop_arg(browserFrame, b, 0, false);
    return 0;
}

}  // namespace moe::gui
