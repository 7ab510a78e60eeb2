// The app in the browser (.ci/web): the desktop loop's start-up and frames
// (gui_frame.hpp), with the page calling each frame (requestAnimationFrame) instead of
// a loop, and what the page (web/index.html) lends the app: files by upload and
// download, the system clipboard, an input method's text. Only the web build compiles
// this file.
#include <emscripten.h>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <string>

#include "errors.hpp"
#include "gui_frame.hpp"
#include "i18n.hpp"
#include "platform.hpp"
#include "settings_schema.hpp"
#include "style.hpp"

namespace moe::gui {
namespace {

// Frames are drawn for input and while the app wants them (App::wantsFrames); otherwise
// one now and then, so that nothing the app missed stays on screen. Two cores drawing
// 60 idle frames a second in a software WebGL leave little to the rest of the machine.
constexpr double kIdleFrameMs = 500;
// After input: popups open, hover settles, views that size themselves from the last
// frame (gui_frame.hpp) take their size.
constexpr int kFramesAfterInput = 8;

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
    bool drawn = false, textInput = false;
    int framesLeft = kFramesAfterInput;
    double lastFrameMs = 0;
};

BrowserApp* theApp = nullptr;
std::string clipboard;  // the last text copied in the app or pasted into the page

// Whether this animation frame draws: input since the last one (the page counts it in
// window.moelab.events), the app's wish, or the idle period over.
bool frameDue(BrowserApp& b) {
    const int events = EM_ASM_INT({
        const n = window.moelab.events;
        window.moelab.events = 0;
        return n;
    });
    if (events > 0) b.framesLeft = kFramesAfterInput;
    const double now = emscripten_get_now();
    // A held mouse button: ImGui repeats buttons (the seed's - and +) and scrolls while it is down.
    const bool busy = b.app.wantsFrames() || ImGui::IsAnyMouseDown();
    if (b.drawn && b.framesLeft <= 0 && !busy && now - b.lastFrameMs < kIdleFrameMs) return false;
    b.framesLeft--;
    b.lastFrameMs = now;
    return true;
}

// The page's hidden text field takes the keyboard while an ImGui text field does, so
// that an input method (Chinese) has somewhere to compose; its text comes back through
// moelab_type.
void followTextInput(BrowserApp& b) {
    const bool want = ImGui::GetIO().WantTextInput;
    if (want != b.textInput) EM_ASM(window.moelab.textInput($0), want);
    b.textInput = want;
}

void browserFrame(void* arg) {
    auto* b = static_cast<BrowserApp*>(arg);
    if (!frameDue(*b)) return;
    try {
        frame::drawFrame(b->app, b->ui, b->state, false);
        glfwSwapBuffers(b->window.handle());
        followTextInput(*b);
        EM_ASM(
            {
                window.moelab.frames++;
                window.moelab.browserGlyphs = $0;
            },
            b->ui.fonts.browserGlyphs());
        if (!b->drawn) EM_ASM(if (window.moelab.onFirstFrame) window.moelab.onFirstFrame());
        b->drawn = true;
    } catch (const std::exception& e) {  // the page carries on with the next frame
        std::cerr << "moelab: " << e.what() << "\n";
    }
}

// Emscripten's GLFW keeps no clipboard: Copy also goes to the system's (a promise the
// page may refuse without a word), Paste reads what the page last received.
void useSystemClipboard() {
    ImGuiIO& io = ImGui::GetIO();
    io.SetClipboardTextFn = [](void*, const char* text) {
        clipboard = text;
        EM_ASM(window.moelab.copy(UTF8ToString($0)), text);
    };
    io.GetClipboardTextFn = [](void*) { return clipboard.c_str(); };
    io.ImeSetInputScreenPosFn = [](int x, int y) { EM_ASM(window.moelab.caret($0, $1), x, y); };
}

}  // namespace

// The page's file chooser (index.html: window.moelab.chooseFile), then moelab_uploaded.
void chooseUpload(int action, const char* accept) {
    EM_ASM(window.moelab.chooseFile($0, UTF8ToString($1)), action, accept);
}

void offerDownload(const std::string& path) { EM_ASM(window.moelab.download(UTF8ToString($0)), path.c_str()); }

int runInBrowser(const GuiOptions& opts) {
    setLanguage(opts.language == "zh" ? Language::Chinese : Language::English);
    mkdir("/download", 0755);        // what the app saves waits there for its download
    auto* b = new BrowserApp(opts);  // never freed: the page ends it
    if (!b->state.error().empty()) throw InputError("moelab gui", b->state.error());
    b->state.computeInline(true);  // one thread: every recompute in the frame that asks for it
    const Preferences defaults;    // nothing is saved between visits
    frame::setUpUi(b->ui, opts, defaults, b->state);
    frame::startApp(b->app, opts, defaults);
    applyTheme(b->app.theme, b->ui.scale);
    ImGui_ImplOpenGL3_CreateDeviceObjects();
    frame::unfilteredFontTexture();
    useSystemClipboard();
    theApp = b;
    emscripten_set_main_loop_arg(browserFrame, b, 0, false);
    return 0;
}

}  // namespace moe::gui

extern "C" {
// A file the page wrote for chooseUpload(action): opened at the next frame.
EMSCRIPTEN_KEEPALIVE void moelab_uploaded(int action, const char* path) {
    if (moe::gui::theApp) moe::gui::theApp->app.uploaded(action, path);
}
// Text pasted into the page: what the app's Paste gives next.
EMSCRIPTEN_KEEPALIVE void moelab_paste(const char* text) { moe::gui::clipboard = text; }
// Text an input method committed in the page's hidden text field.
EMSCRIPTEN_KEEPALIVE void moelab_type(const char* text) {
    if (moe::gui::theApp) ImGui::GetIO().AddInputCharactersUTF8(text);
}
// Where the views are, as `moelab gui --layout-report` prints it.
EMSCRIPTEN_KEEPALIVE char* moelab_layout() {
    return strdup(moe::gui::theApp ? moe::gui::theApp->app.layoutReport().c_str() : "");
}
// The state on screen as a session file's JSON (File > Save session).
EMSCRIPTEN_KEEPALIVE char* moelab_session() {
    if (!moe::gui::theApp) return strdup("");
    moe::gui::AppState& s = moe::gui::theApp->state;
    return strdup(moe::sessionJson(s.settings(), s.lmName(), s.layer()).c_str());
}
}
