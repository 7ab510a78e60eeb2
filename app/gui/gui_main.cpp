// The desktop app's loop, in Dear ImGui's example_glfw_opengl3 order: poll, sleep while
// iconified, NewFrame, build UI, Render, swap; shutdown in reverse (platform.hpp).
#include "gui_main.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <GL/gl.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cfloat>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "app.hpp"
#include "atomic_file.hpp"
#include "svg_export.hpp"
#include "errors.hpp"
#include "gui_frame.hpp"
#include "gui_options.hpp"
#include "platform.hpp"
#include "preferences.hpp"

namespace moe::gui {
namespace frame {  // gui_frame.hpp names the pieces the browser's loop shares

constexpr auto kFramePeriod = std::chrono::microseconds(16600);  // at most 60 frames a second

// Every glyph is drawn at the size it was rasterised at, at whole pixels, and fills
// sample one white texel: bilinear filtering changes nothing on screen but costs a
// software rasteriser (llvmpipe) about a fifth of the frame.
void unfilteredFontTexture() {
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<intptr_t>(ImGui::GetIO().Fonts->TexID)));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
}

// Fonts and style at the UI's scale, the font texture uploaded again.
void rebuildFonts(Ui& ui, const App& app, const AppState& state) {
    applyTheme(app.theme, ui.scale);
    ui.fonts.build(ui.scale, state.settings().text, ui.glyphText);
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    unfilteredFontTexture();
}

// Whatever an export changes (scale, style, the view's place and flags, hover), put back
// when it ends, however it ends.
struct ExportRestore {
    App& app;
    Ui& ui;
    AppState& state;
    View& view;
    const float scale = ui.scale;
    const bool opaque = ui.opaqueWindows, wasOpen = view.open(), highlighted = view.highlighted();
    const int hovered = ui.hoveredToken, highlight = ui.highlightToken;
    const ImVec2 pos = view.lastPos(), size = view.lastSize();
    ~ExportRestore() {
        if (ImGui::GetCurrentContext()->WithinFrameScope) ImGui::EndFrame();  // an exception mid-frame
        const bool rescale = ui.scale != scale;
        ui.scale = scale;
        ui.opaqueWindows = opaque;
        ui.hoveredToken = hovered;
        ui.highlightToken = highlight;
        try {
            if (rescale)
                rebuildFonts(ui, app, state);
            else
                applyTheme(app.theme, ui.scale);  // the style without svgDrawStyle's changes
        } catch (...) {
            app.rebuildStyle = true;  // the next frame tries again
        }
        if (size.x > 0) view.setLayout(pos, size, true);
        view.open() = wasOpen;
        view.setHighlighted(highlighted);
    }
};

// A few frames of the view alone: views that size themselves from the last frame settle.
// A figure shows everything: a view whose content does not fit grows taller (up to 4
// times) first. Returns the figure's size in pixels.
ImVec2 settleAlone(View& view, Ui& ui, AppState& state, ImVec2 logical, float factor) {
    ImVec2 size(std::round(logical.x * factor), std::round(logical.y * factor));
    const float tallest = logical.y * 4;
    for (int i = 0, settled = 0; settled < 3 && i < 16; ++i) {
        if (i > 0 && !view.contentFits() && logical.y * 1.25f <= tallest) {
            logical.y *= 1.25f;
            settled = 0;
            size.y = std::round(logical.y * factor);
        } else if (i > 0) {
            ++settled;
        }
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = size;
        io.DisplayFramebufferScale = ImVec2(1, 1);
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        ImGui::NewFrame();
        ImGui::PushFont(ui.fonts.regular());
        view.setLayout(ImVec2(0, 0), size, true);
        view.draw(state);
        ImGui::PopFont();
        ImGui::Render();
    }
    return size;
}

// The last frame's draw data, as SVG or as a PNG rendered offscreen.
void writeExport(const App::ViewExport& ex, ImVec2 size, bool svg) {
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    try {
        if (svg) {
            writeFileAtomic(ex.path,
                            drawDataToSvg(*ImGui::GetDrawData(), size, ImGui::ColorConvertFloat4ToU32(bg), ex.view));
        } else {
            OffscreenFramebuffer target(int(size.x), int(size.y));
            glClearColor(bg.x, bg.y, bg.z, 1.0f);
            glClear(GL_COLOR_BUFFER_BIT);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
            saveFramebufferPng(int(size.x), int(size.y), ex.path);
        }
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(ex.path, e.what());
    }
}

// One view drawn alone, between two frames of the app: at twice the UI scale into an
// offscreen buffer for PNG, at the UI scale without anti-aliasing for SVG. The view keeps
// its logical size, so the figure looks like the screen, only sharper; no hover and no
// lesson highlight. Whatever happens, the app is left as it was.
void exportView(App& app, Ui& ui, AppState& state, const App::ViewExport& ex) {
    View* view = app.viewByName(ex.view);
    if (!view) throw InputError("--export-view", "no view named '" + ex.view + "'");
    const bool svg = std::filesystem::path(ex.path).extension() == ".svg";
    if (svg && !view->hasSvg())
        throw InputError(ex.path, "this view shows an image, which has no SVG form: export it as PNG");
    const float factor = svg ? 1.0f : 2.0f;
    // A view the page does not show gets three quarters of the window.
    const ImVec2 shown = view->lastSize();
    const ImVec2 logical = shown.x > 0 ? shown
                                       : ImVec2(std::max(640.0f, ImGui::GetIO().DisplaySize.x * 0.75f),
                                                std::max(400.0f, ImGui::GetIO().DisplaySize.y * 0.75f));
    ExportRestore restore{app, ui, state, *view};
    if (factor != 1.0f) {
        ui.scale *= factor;
        rebuildFonts(ui, app, state);
    }
    if (svg) svgDrawStyle(ImGui::GetStyle());
    view->open() = true;
    view->setHighlighted(false);
    ui.opaqueWindows = true;
    ui.hoveredToken = ui.highlightToken = -1;
    writeExport(ex, settleAlone(*view, ui, state, logical, factor), svg);
}

struct FrameStats {
    std::vector<double> ms;
    std::string json() const {
        std::vector<double> s = ms;
        std::sort(s.begin(), s.end());
        const auto at = [&](double q) {
            return s.empty() ? 0.0 : s[std::min(s.size() - 1, size_t(q * (s.size() - 1) + 0.5))];
        };
        return nlohmann::json{
            {"frames", s.size()}, {"median_ms", at(0.5)}, {"p95_ms", at(0.95)}, {"max_ms", s.empty() ? 0.0 : s.back()}}
            .dump();
    }
};

// One frame: a pending export, fonts rebuilt when asked, the app's windows, the draw.
void drawFrame(App& app, Ui& ui, AppState& state, bool headless) {
    if (app.pendingExport) {
        const App::ViewExport ex = std::move(*app.pendingExport);
        app.pendingExport.reset();
        try {
            exportView(app, ui, state, ex);
            offerDownload(ex.path);
            const bool nameOnly = ui.presenting || kInBrowser;
            const std::string shown = nameOnly ? std::filesystem::path(ex.path).filename().string() : ex.path;
            app.setNotice(std::string(tr("wrote")) + " " + shown, false);
        } catch (const std::exception& e) {
            app.setNotice(e.what(), true);
        }
    }
    if (app.rebuildStyle || ui.fonts.needsRebuild(state.settings().text, ui.glyphText)) {
        if (app.newScale > 0) {
            ui.scale = app.newScale;
            app.newScale = 0;
        }
        rebuildFonts(ui, app, state);
        if (app.rebuildStyle) app.layout(true);
        app.rebuildStyle = false;
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // Screenshots show no hover: the pointer sits wherever Xvfb put it.
    if (headless) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
    ui.highlightToken = ui.hoveredToken;
    ui.hoveredToken = -1;
    ImGui::PushFont(ui.fonts.regular());
    app.frame();
    ImGui::PopFont();
    ImGui::Render();
    int fw, fh;
    glfwGetFramebufferSize(glfwGetCurrentContext(), &fw, &fh);
    glViewport(0, 0, fw, fh);
    // The windows' own background colour: tiled views leave theirs to the clear.
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (!app.pendingPng.empty()) {
        try {
            saveWindowPng(glfwGetCurrentContext(), app.pendingPng);
            offerDownload(app.pendingPng);
        } catch (const std::exception& e) {
            std::cerr << "moelab: " << e.what() << "\n";
        }
        app.pendingPng.clear();
    }
}

// --layout-report-chapters: every chapter of the open lesson in turn, a few frames each
// (views that size themselves from the last frame settle), one report line each.
void reportEveryChapter(App& app, Ui& ui, AppState& state) {
    for (int c = 0; c < app.chapterCount(); ++c) {
        app.showChapter(c);
        for (int i = 0; i < 4; ++i) {
            glfwPollEvents();
            drawFrame(app, ui, state, true);
            glfwSwapBuffers(glfwGetCurrentContext());
        }
        std::cout << app.layoutReport() << "\n";
    }
}

// The UI's scale, theme-independent flags and the students' hidden names, from the flags
// and the saved preferences.
void setUpUi(Ui& ui, const GuiOptions& opts, const Preferences& saved, const AppState& state) {
    ui.scale = ui.wantedScale = static_cast<float>(opts.scale > 0 ? opts.scale : saved.scale);
    if (!opts.fitToWindow) ui.scale = heldScale(ui.wantedScale, opts.width, opts.height);
    ui.autoTrain = opts.autoTrain;
    ui.fitToWindow = opts.fitToWindow || (opts.scale == 0 && saved.fit);
    ui.hidden = std::set<std::string>(opts.hidden.begin(), opts.hidden.end());
    ui.webAddress = !opts.webAddress.empty() ? opts.webAddress : saved.webAddress;
    ui.fonts.build(ui.scale, state.settings().text);
    if (!ui.fonts.problem().empty()) std::cerr << "moelab: " << ui.fonts.problem() << "\n";
}

// The theme, the code's state, and the lesson: the built-in one on the first start
// (skippable: Leave the lesson), or the one asked for.
void startApp(App& app, const GuiOptions& opts, const Preferences& saved) {
    app.theme = (!opts.theme.empty() ? opts.theme : saved.theme) == "light" ? Theme::Light : Theme::Dark;
    if (opts.hasCode) app.applySharedState(opts.shared);
    // The model before the lesson: a model chapter finds it loaded and keeps the code's routing.
    if (!opts.lmModel.empty()) {  // a file that does not load: said on stderr and in the app, which carries on
        app.useLm(opts.lmModel, !opts.lmRoutingGiven);
        if (!app.state().lm())
            std::cerr << "moelab: --model " << opts.lmModel << ": "
                      << tr("The language model did not load; the one-layer model stays:") << "\n";
    }
    if (!opts.trace.empty()) {  // likewise: a trace that does not open is said, and the app carries on
        AppState& state = app.state();
        const std::string e = opts.loadedTrace ? state.useTrace(opts.loadedTrace, opts.trace, !opts.traceRoutingGiven)
                                               : state.useTrace(opts.trace, !opts.traceRoutingGiven);
        if (!e.empty()) std::cerr << "moelab: --trace " << opts.trace << ": " << e << "\n";
    }
    if (!opts.astraLog.empty()) {  // a log that does not read is said; the page shows moelab's times alone
        if (const std::string e = app.state().useAstraLog(opts.astraLog); !e.empty())
            std::cerr << "moelab: --astra-log: " << e << "\n";  // e names the file
    }
    if (!opts.lesson.empty())
        app.openLesson(opts.lesson, opts.chapter, true);  // its settings are in opts.settings
    else if (!opts.headless() && !saved.lessonSeen && !opts.hasCode)
        app.openLesson("builtin", 0);
    if (app.state().layerCount() > 0) app.state().setLayer(opts.layer);
}

// Frames until the window closes, or, headless, `opts.frames` of them (the last one saved).
FrameStats frameLoop(App& app, Ui& ui, AppState& state, GLFWwindow* w, const GuiOptions& opts) {
    const bool headless = opts.headless();
    FrameStats stats;
    using Clock = std::chrono::steady_clock;
    for (int frame = 0; !glfwWindowShouldClose(w) && !app.quit; ++frame) {
        const auto t0 = Clock::now();
        glfwPollEvents();
        if (glfwGetWindowAttrib(w, GLFW_ICONIFIED)) {  // sleep while minimised
            glfwWaitEvents();
            continue;
        }
        drawFrame(app, ui, state, headless);
        const bool last = headless && frame + 1 >= opts.frames;
        if (last && !opts.screenshot.empty())
            saveWindowPng(w, opts.screenshot);  // InputError (exit 2) when the path cannot be written
        glfwSwapBuffers(w);
        glFinish();  // count the GPU's (llvmpipe's) work in the frame time
        stats.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (last) break;
        // Where swap does not wait for a display (Xvfb) the rest of the CPU is the training thread's.
        if (!headless) std::this_thread::sleep_until(t0 + kFramePeriod);
    }
    return stats;
}

// What the flags ask for at exit: reports, the exported view, the saved preferences.
void finish(App& app, Ui& ui, AppState& state, const GuiOptions& opts, const FrameStats& stats) {
    if (opts.layoutReportChapters) reportEveryChapter(app, ui, state);
    if (opts.frameReport) std::cout << stats.json() << "\n";
    if (opts.layoutReport) std::cout << app.layoutReport() << "\n";  // the screen's layout, not the export's
    if (!opts.exportView.empty()) exportView(app, ui, state, {opts.exportView, opts.exportPath});
    if (!opts.headless())
        savePreferences({app.theme == Theme::Light ? "light" : "dark", language() == Language::Chinese ? "zh" : "en",
                         ui.wantedScale, true, ui.fitToWindow, ui.webAddress});
}

int run(const GuiOptions& opts) {
    const bool headless = opts.headless();
    // Saved preferences, unless a flag says otherwise; screenshots ignore them so they are reproducible.
    const Preferences saved = headless ? Preferences{} : loadPreferences();
    const std::string lang = !opts.language.empty() ? opts.language : saved.language;
    setLanguage(lang.empty() ? languageFromEnvironment() : (lang == "zh" ? Language::Chinese : Language::English));

    // The engine first: a bad weights file fails before any window opens.
    AppState state(opts.settings);
    if (!state.error().empty()) throw InputError("moelab gui", state.error());
    if (headless) {  // a screenshot shows the device and result it asked for
        state.waitForBackend();
        state.computeInline(true);
    }

    Window window(opts.width, opts.height, "moelab", !headless);
    static std::string iniPath;
    if (!headless) {  // a screenshot shows the default layout, whatever the user saved
        std::error_code ec;
        std::filesystem::create_directories(configDir(), ec);
        iniPath = configDir() + "/imgui.ini";
    }
    ImGuiContextGuard imgui(window.handle(), headless ? nullptr : iniPath.c_str());

    Ui ui;
    setUpUi(ui, opts, saved, state);
    App app(window.handle(), state, ui, opts.page);
    startApp(app, opts, saved);
    applyTheme(app.theme, ui.scale);

    ImGui_ImplOpenGL3_CreateDeviceObjects();  // the font texture among them, now rather than in the first frame
    unfilteredFontTexture();
    const FrameStats stats = frameLoop(app, ui, state, window.handle(), opts);
    finish(app, ui, state, opts, stats);
    return 0;
}

}  // namespace frame

int guiMain(const std::vector<std::string>& argv) {
    const GuiOptions opts = parseGuiOptions(argv);  // every flag checked before a window opens
    try {
#if defined(__EMSCRIPTEN__)
        return runInBrowser(opts);
#else
        return frame::run(opts);
#endif
    } catch (const PlatformError& e) {
        std::cerr << "moelab: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace moe::gui
