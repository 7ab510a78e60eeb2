// The desktop app's loop, in Dear ImGui's example_glfw_opengl3 order: poll, sleep while
// iconified, NewFrame, build UI, Render, swap; shutdown in reverse.
#include "gui_main.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <GL/gl.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui_stdlib.h>
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>
#include <vector>

#include "app_state.hpp"
#include "atomic_file.hpp"
#include "cli/args.hpp"
#include "controls_view.hpp"
#include "dense_view.hpp"
#include "errors.hpp"
#include "gpu_view.hpp"
#include "heatmap_view.hpp"
#include "load_view.hpp"
#include "cli/session.hpp"
#include "text_view.hpp"
#include "token_strip_view.hpp"
#include "training_view.hpp"
#include "traffic_view.hpp"

namespace moe::gui {
namespace {

std::string configDir() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/moelab";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/moelab";
    return ".";
}

// The window as PNG (bottom-up rows flipped), written atomically.
void savePng(GLFWwindow* window, const std::string& path) {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window, &w, &h);
    std::vector<unsigned char> pixels(size_t(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    std::vector<unsigned char> flipped(pixels.size());
    for (int y = 0; y < h; ++y)
        std::copy_n(&pixels[size_t(h - 1 - y) * w * 4], size_t(w) * 4, &flipped[size_t(y) * w * 4]);
    for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;  // opaque
    std::string png;
    stbi_write_png_to_func([](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); },
                           &png, w, h, 4, flipped.data(), w * 4);
    writeFileAtomic(path, png);
}

// Theme, scale and language kept between runs (the window layout is in imgui.ini beside it).
struct Settings {
    std::string theme = "dark", language;
    double scale = 1.0;
};

Settings loadSettings() {
    Settings s;
    try {
        const auto j = nlohmann::json::parse(readFile(configDir() + "/settings.json"));
        s.theme = j.value("theme", s.theme);
        s.language = j.value("language", s.language);
        s.scale = std::clamp(j.value("scale", s.scale), 0.5, 3.0);
        if (s.theme != "dark" && s.theme != "light") s.theme = "dark";
    } catch (const std::exception&) {
        // first run, or a damaged file: defaults
    }
    return s;
}

void saveSettings(const Settings& s) {
    try {
        writeFileAtomic(configDir() + "/settings.json",
                        nlohmann::json{{"theme", s.theme}, {"language", s.language}, {"scale", s.scale}}.dump(2) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "moelab: settings not saved: " << e.what() << "\n";
    }
}

enum class PathAction { None, LoadText, LoadWeights, SaveSession, LoadSession, ExportPng };

class App {
public:
    App(GLFWwindow* window, AppState& state, Ui& ui) : m_window(window), m_state(state), m_ui(ui) {
        m_views.push_back(std::make_unique<ControlsView>(ui));
        m_views.push_back(std::make_unique<TextView>(ui));
        m_views.push_back(std::make_unique<DenseView>(ui));
        m_views.push_back(std::make_unique<TokenStripView>(ui));
        m_views.push_back(std::make_unique<HeatmapView>(ui));
        m_views.push_back(std::make_unique<LoadView>(ui));
        m_views.push_back(std::make_unique<TrafficView>(ui));
        m_views.push_back(std::make_unique<GpuView>(ui));
        m_views.push_back(std::make_unique<TrainingView>(ui));
    }

    // Three pages share the window, each with the controls on the left: routing (views
    // 1-5), expert parallelism (6, 7) and training (8, with the token strip below).
    enum class Page { Routing, Parallel, Training };
    static bool onPage(Page p, size_t view) {
        switch (p) {
        case Page::Routing: return view >= 1 && view <= 5;
        case Page::Parallel: return view == 6 || view == 7;
        case Page::Training: return view == 8 || view == 3;
        }
        return false;
    }
    void showPage() {
        for (size_t i = 1; i < m_views.size(); ++i) m_views[i]->open() = onPage(m_page, i);
        static_cast<ControlsView*>(m_views[0].get())->showParallel(m_page == Page::Parallel);
    }
    void setPage(Page p) {
        m_page = p;
        showPage();
        layout(true);
    }

    Theme theme = Theme::Dark;
    bool quit = false;
    bool rebuildStyle = false;
    std::string pendingPng;

    void layout(bool force) {
        int w, h;
        glfwGetWindowSize(m_window, &w, &h);
        const float s = m_ui.scale, top = ImGui::GetFrameHeight() + 1, status = ImGui::GetFrameHeight();
        const float left = std::min(310.0f * s, w * 0.3f), x0 = left, rw = w - left;
        const float row1 = 170 * s, row2 = 200 * s, rest = h - top - status - row1 - row2;
        m_views[0]->setLayout({0, top}, {left, h - top - status}, force);
        m_views[1]->setLayout({x0, top}, {rw * 0.58f, row1}, force);
        m_views[2]->setLayout({x0 + rw * 0.58f, top}, {rw * 0.42f, row1}, force);
        m_views[3]->setLayout({x0, top + row1}, {rw, row2}, force);
        m_views[4]->setLayout({x0, top + row1 + row2}, {rw * 0.56f, rest}, force);
        m_views[5]->setLayout({x0 + rw * 0.56f, top + row1 + row2}, {rw * 0.44f, rest}, force);
        const float half = (h - top - status) * 0.5f;
        m_views[6]->setLayout({x0, top}, {rw, half}, force);
        m_views[7]->setLayout({x0, top + half}, {rw, half}, force);
        if (m_page == Page::Training) {
            const float trainH = (h - top - status) * 0.68f;
            m_views[8]->setLayout({x0, top}, {rw, trainH}, force);
            m_views[3]->setLayout({x0, top + trainH}, {rw, h - top - status - trainH}, force);
        } else {
            m_views[8]->setLayout({x0, top}, {rw, (h - top - status) * 0.68f}, force);
        }
    }

    void frame() {
        if (m_firstFrame) {  // the layout needs the fonts' sizes, known only inside a frame
            layout(false);
            showPage();
        }
        m_firstFrame = false;
        shortcuts();
        menu();
        for (auto& v : m_views) v->draw(m_state);
        statusBar();
        pathPopup();
        m_state.update();
    }

private:
    void shortcuts() {
        const ImGuiIO& io = ImGui::GetIO();
        if (!io.KeyCtrl) return;
        if (ImGui::IsKeyPressed('S', false)) openPath(PathAction::SaveSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('O', false)) openPath(PathAction::LoadSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('E', false)) openPath(PathAction::ExportPng, "moelab.png");
        if (ImGui::IsKeyPressed('L', false)) openPath(PathAction::LoadText, "");
        if (ImGui::IsKeyPressed('Q', false)) quit = true;
        if (ImGui::IsKeyPressed('R', false)) layout(true);
        if (ImGui::IsKeyPressed('1', false)) setPage(Page::Routing);
        if (ImGui::IsKeyPressed('2', false)) setPage(Page::Parallel);
        if (ImGui::IsKeyPressed('3', false)) setPage(Page::Training);
    }

    void menu() {
        if (!ImGui::BeginMainMenuBar()) return;
        if (ImGui::BeginMenu(tr("File"))) {
            if (ImGui::MenuItem(tr("Load text file..."), "Ctrl+L")) openPath(PathAction::LoadText, "");
            if (ImGui::MenuItem(tr("Load weights..."))) openPath(PathAction::LoadWeights, "model.safetensors");
            if (ImGui::MenuItem(tr("Back to random weights"), nullptr, false, m_state.customWeights()))
                m_state.unloadWeights();
            ImGui::Separator();
            if (ImGui::MenuItem(tr("Save session..."), "Ctrl+S")) openPath(PathAction::SaveSession, "session.moelab.json");
            if (ImGui::MenuItem(tr("Load session..."), "Ctrl+O")) openPath(PathAction::LoadSession, "session.moelab.json");
            if (ImGui::MenuItem(tr("Export PNG..."), "Ctrl+E")) openPath(PathAction::ExportPng, "moelab.png");
            ImGui::Separator();
            if (ImGui::MenuItem(tr("Quit"), "Ctrl+Q")) quit = true;
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu(tr("View"))) {
            if (ImGui::MenuItem(tr("Routing"), "Ctrl+1", m_page == Page::Routing)) setPage(Page::Routing);
            if (ImGui::MenuItem(tr("Expert parallel"), "Ctrl+2", m_page == Page::Parallel)) setPage(Page::Parallel);
            if (ImGui::MenuItem(tr("Training"), "Ctrl+3", m_page == Page::Training)) setPage(Page::Training);
            ImGui::Separator();
            for (auto& v : m_views) ImGui::MenuItem(tr(v->title()), nullptr, &v->open());
            ImGui::Separator();
            if (ImGui::MenuItem(tr("Reset layout"), "Ctrl+R")) setPage(m_page);
            if (ImGui::MenuItem(tr("Dark theme"), nullptr, theme == Theme::Dark)) theme = Theme::Dark, rebuildStyle = true;
            if (ImGui::MenuItem(tr("Light theme"), nullptr, theme == Theme::Light)) theme = Theme::Light, rebuildStyle = true;
            if (ImGui::BeginMenu(tr("UI scale"))) {
                for (float s : {0.75f, 1.0f, 1.25f, 1.5f, 2.0f}) {
                    char name[16];
                    std::snprintf(name, sizeof name, "%.0f%%", s * 100);
                    if (ImGui::MenuItem(name, nullptr, std::abs(m_ui.scale - s) < 0.01f)) m_newScale = s, rebuildStyle = true;
                }
                ImGui::EndMenu();
            }
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu(tr("Language"))) {
            if (ImGui::MenuItem("English", nullptr, language() == Language::English)) setLanguage(Language::English);
            if (ImGui::MenuItem("简体中文", nullptr, language() == Language::Chinese)) setLanguage(Language::Chinese);
            ImGui::EndMenu();
        }
        ImGui::EndMainMenuBar();
    }

    void statusBar() {
        const ImGuiViewport* vp = ImGui::GetMainViewport();
        const float h = ImGui::GetFrameHeight();
        ImGui::SetNextWindowPos(ImVec2(vp->Pos.x, vp->Pos.y + vp->Size.y - h));
        ImGui::SetNextWindowSize(ImVec2(vp->Size.x, h));
        ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8, 2));
        ImGui::Begin("##status", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove |
                         ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoBringToFrontOnFocus);
        const Routing& r = m_state.result().routing;
        ImGui::Text("%d %s  E=%d k=%d  %s %s  |  %s %s  |  %.2f ms", r.tokens, tr("tokens"), r.experts, r.k, tr("capacity"),
                    r.capacity < 0 ? tr("dropless") : std::to_string(r.capacity).c_str(), m_state.backendName().c_str(),
                    m_state.deviceName().c_str(), m_state.lastComputeMs());
        const std::string& problem = !m_state.error().empty() ? m_state.error() : m_message;
        if (!problem.empty() || !m_ui.fonts.problem().empty()) {
            ImGui::SameLine();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "  %s",
                               (!problem.empty() ? problem : m_ui.fonts.problem()).c_str());
        }
        ImGui::End();
        ImGui::PopStyleVar();
    }

    void openPath(PathAction a, const std::string& suggestion) {
        m_action = a;
        m_path = suggestion;
        m_openPopup = true;
    }

    void pathPopup() {
        if (m_openPopup) ImGui::OpenPopup("##path"), m_openPopup = false;
        if (!ImGui::BeginPopupModal("##path", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
        ImGui::Text("%s", tr("Path"));
        ImGui::SetNextItemWidth(500 * m_ui.scale);
        if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
        const bool enter = ImGui::InputText("##p", &m_path, ImGuiInputTextFlags_EnterReturnsTrue);
        if (ImGui::Button(tr("OK")) || enter) {
            runPathAction();
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        if (ImGui::Button(tr("Cancel"))) ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }

    void runPathAction() {
        m_message.clear();
        try {
            switch (m_action) {
            case PathAction::LoadText:
                m_state.options().text = readFile(m_path);
                m_state.options().textFile = m_path;
                m_state.settingsChanged();
                break;
            case PathAction::LoadWeights: m_state.loadWeights(m_path); break;
            case PathAction::SaveSession: writeFileAtomic(m_path, cli::sessionJson(m_state.options())); break;
            case PathAction::LoadSession:
                m_state.options() = cli::parseSession(readFile(m_path), m_path);
                m_state.weightsChanged();
                m_state.backendChanged();
                break;
            case PathAction::ExportPng: pendingPng = m_path; break;
            case PathAction::None: break;
            }
        } catch (const std::exception& e) {
            m_message = e.what();  // shown in the status bar; nothing else changes
        }
    }

    GLFWwindow* m_window;
    AppState& m_state;
    Ui& m_ui;
    std::vector<std::unique_ptr<View>> m_views;
    PathAction m_action = PathAction::None;
    std::string m_path, m_message;
    bool m_openPopup = false;
    bool m_firstFrame = true;

public:
    Page m_page = Page::Routing;

public:
    float m_newScale = 0;
};

struct FrameStats {
    std::vector<double> ms;
    std::string json() const {
        std::vector<double> s = ms;
        std::sort(s.begin(), s.end());
        const auto at = [&](double q) { return s.empty() ? 0.0 : s[std::min(s.size() - 1, size_t(q * (s.size() - 1) + 0.5))]; };
        return nlohmann::json{{"frames", s.size()}, {"median_ms", at(0.5)}, {"p95_ms", at(0.95)},
                              {"max_ms", s.empty() ? 0.0 : s.back()}}
            .dump();
    }
};

} // namespace

int guiMain(const std::vector<std::string>& argv) {
    auto flags = cli::kModelFlags;
    flags.insert({"screenshot", "frames", "width", "height", "theme", "scale", "lang", "page"});
    const cli::Args args(argv, flags, {"frame-report", "train"});
    cli::ModelOptions opts = cli::parseModelOptions(args);
    // The app opens on the shipped lesson checkpoint, so typed sentences show learned
    // routing; any model flag (or Back to random weights) means the seed's weights.
    static const char* shapeFlags[] = {"weights", "experts", "dim", "hidden", "activation", "shared-experts", "seed"};
    const bool anyShape = std::any_of(std::begin(shapeFlags), std::end(shapeFlags), [&](const char* f) { return args.has(f); });
    const std::string lesson = MOELAB_ASSETS_DIR "/weights/lesson.safetensors";
    if (!anyShape && std::filesystem::exists(lesson)) opts.weightsPath = lesson;
    const std::string screenshot = args.str("screenshot", "");
    const int frames = static_cast<int>(args.integer("frames", 10, 1, 100000));
    const int width = static_cast<int>(args.integer("width", 1280, 320, 8192));
    const int height = static_cast<int>(args.integer("height", 800, 240, 8192));
    const bool headless = !screenshot.empty();
    // Saved settings, unless a flag says otherwise; screenshots ignore them so they are reproducible.
    const Settings saved = headless ? Settings{} : loadSettings();
    const double scaleFlag = args.number("scale", saved.scale, 0.5, 3.0);
    const std::string themeFlag = args.str("theme", saved.theme);
    if (themeFlag != "dark" && themeFlag != "light") throw InputError("--theme", "must be dark|light (got '" + themeFlag + "')");
    const std::string lang = args.str("lang", saved.language);
    if (!lang.empty() && lang != "en" && lang != "zh") throw InputError("--lang", "must be en|zh (got '" + lang + "')");
    setLanguage(lang.empty() ? languageFromEnvironment() : (lang == "zh" ? Language::Chinese : Language::English));

    // The engine first: bad flags or a bad weights file fail before any window opens.
    AppState state(opts);
    if (!state.error().empty()) throw InputError("moelab gui", state.error());

    glfwSetErrorCallback([](int, const char* d) { std::cerr << "moelab: GLFW: " << d << "\n"; });
    if (!glfwInit()) {
        std::cerr << "moelab: cannot open a window (no display? try xvfb-run); the command line still works: moelab route\n";
        return 1;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    GLFWwindow* window = glfwCreateWindow(width, height, "moelab", nullptr, nullptr);
    if (!window) {
        glfwTerminate();
        std::cerr << "moelab: cannot create an OpenGL 3.3 window\n";
        return 1;
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(headless ? 0 : 1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    static std::string iniPath;
    if (headless) {
        io.IniFilename = nullptr;  // a screenshot shows the default layout, whatever the user saved
    } else {
        std::error_code ec;
        std::filesystem::create_directories(configDir(), ec);
        iniPath = configDir() + "/imgui.ini";
        io.IniFilename = iniPath.c_str();
    }
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    Ui ui;
    ui.scale = static_cast<float>(scaleFlag);
    ui.autoTrain = args.has("train");
    ui.fonts.build(ui.scale, state.options().text);
    if (!ui.fonts.problem().empty()) std::cerr << "moelab: " << ui.fonts.problem() << "\n";
    App app(window, state, ui);
    const std::string page = args.str("page", "routing");
    if (page != "routing" && page != "parallel" && page != "training")
        throw InputError("--page", "must be routing|parallel|training (got '" + page + "')");
    if (page == "parallel") app.m_page = App::Page::Parallel;
    if (page == "training") app.m_page = App::Page::Training;
    app.theme = themeFlag == "light" ? Theme::Light : Theme::Dark;
    applyTheme(app.theme, ui.scale);

    FrameStats stats;
    using Clock = std::chrono::steady_clock;
    for (int frame = 0; !glfwWindowShouldClose(window) && !app.quit; ++frame) {
        const auto t0 = Clock::now();
        glfwPollEvents();
        if (glfwGetWindowAttrib(window, GLFW_ICONIFIED)) {  // sleep while minimised
            glfwWaitEvents();
            continue;
        }
        if (app.rebuildStyle || ui.fonts.needsRebuild(state.options().text)) {
            if (app.m_newScale > 0) ui.scale = app.m_newScale, app.m_newScale = 0;
            applyTheme(app.theme, ui.scale);
            ui.fonts.build(ui.scale, state.options().text);
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
            if (app.rebuildStyle) app.layout(true);
            app.rebuildStyle = false;
        }
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        ui.highlightToken = ui.hoveredToken;
        ui.hoveredToken = -1;
        ImGui::PushFont(ui.fonts.regular());
        app.frame();
        ImGui::PopFont();
        ImGui::Render();
        int fw, fh;
        glfwGetFramebufferSize(window, &fw, &fh);
        glViewport(0, 0, fw, fh);
        const ImVec4 bg = app.theme == Theme::Dark ? ImVec4(0.08f, 0.08f, 0.1f, 1) : ImVec4(0.94f, 0.94f, 0.94f, 1);
        glClearColor(bg.x, bg.y, bg.z, bg.w);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        if (!app.pendingPng.empty()) {
            try {
                savePng(window, app.pendingPng);
            } catch (const std::exception& e) {
                std::cerr << "moelab: " << e.what() << "\n";
            }
            app.pendingPng.clear();
        }
        const bool last = headless && frame + 1 >= frames;
        if (last) savePng(window, screenshot);  // InputError (exit 2) when the path cannot be written
        glfwSwapBuffers(window);
        glFinish();  // count the GPU's (llvmpipe's) work in the frame time
        stats.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (last) break;
        // At most 60 frames a second even where swap does not wait for a display (Xvfb):
        // the rest of the CPU is the training thread's.
        if (!headless) std::this_thread::sleep_until(t0 + std::chrono::microseconds(16600));
    }
    if (args.has("frame-report")) std::cout << stats.json() << "\n";
    if (!headless)
        saveSettings({app.theme == Theme::Light ? "light" : "dark", language() == Language::Chinese ? "zh" : "en", ui.scale});

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return 0;
}

} // namespace moe::gui
