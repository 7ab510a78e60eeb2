#include "app.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui_stdlib.h>

#include <cmath>
#include <cstdio>

#include "atomic_file.hpp"
#include "settings_schema.hpp"

namespace moe::gui {
namespace {

// Layout of the pages, in unscaled pixels and fractions of the window.
constexpr float kControlsWidth = 310;       // the controls' column, at most kControlsShare of the width
constexpr float kControlsShare = 0.3f;
constexpr float kTextRowHeight = 170;       // text and dense-vs-MoE
constexpr float kStripRowHeight = 200;      // token strip
constexpr float kTextShare = 0.58f;         // text beside dense-vs-MoE
constexpr float kHeatmapShare = 0.56f;      // gate scores beside expert load
constexpr float kTrainingShare = 0.68f;     // training above the token strip
constexpr float kPathFieldWidth = 500;

} // namespace

App::App(GLFWwindow* window, AppState& state, Ui& ui, Page page)
    : m_window(window), m_state(state), m_ui(ui), m_views(ui), m_page(page) {}

// Three pages share the window, each with the controls on the left: routing, expert
// parallelism and training (with the token strip below it).
bool App::onPage(const View* v) const {
    const Views& w = m_views;
    switch (m_page) {
    case Page::Routing: return v == &w.text || v == &w.dense || v == &w.tokens || v == &w.heatmap || v == &w.load;
    case Page::Parallel: return v == &w.traffic || v == &w.gpus;
    case Page::Training: return v == &w.training || v == &w.tokens;
    }
    return false;
}

void App::showPage() {
    for (View* v : m_views.all())
        if (v != &m_views.controls) v->open() = onPage(v);
    m_views.controls.showParallel(m_page == Page::Parallel);
}

void App::setPage(Page p) {
    m_page = p;
    showPage();
    layout(true);
}

void App::layout(bool force) {
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    const float s = m_ui.scale, top = ImGui::GetFrameHeight() + 1, status = ImGui::GetFrameHeight();
    const float left = std::min(kControlsWidth * s, w * kControlsShare), x0 = left, rw = w - left;
    const float avail = h - top - status;
    const float row1 = kTextRowHeight * s, row2 = kStripRowHeight * s, rest = avail - row1 - row2;
    Views& v = m_views;
    v.controls.setLayout({0, top}, {left, avail}, force);
    v.text.setLayout({x0, top}, {rw * kTextShare, row1}, force);
    v.dense.setLayout({x0 + rw * kTextShare, top}, {rw * (1 - kTextShare), row1}, force);
    v.heatmap.setLayout({x0, top + row1 + row2}, {rw * kHeatmapShare, rest}, force);
    v.load.setLayout({x0 + rw * kHeatmapShare, top + row1 + row2}, {rw * (1 - kHeatmapShare), rest}, force);
    v.traffic.setLayout({x0, top}, {rw, avail * 0.5f}, force);
    v.gpus.setLayout({x0, top + avail * 0.5f}, {rw, avail * 0.5f}, force);
    const float trainH = avail * kTrainingShare;
    v.training.setLayout({x0, top}, {rw, trainH}, force);
    if (m_page == Page::Training) v.tokens.setLayout({x0, top + trainH}, {rw, avail - trainH}, force);
    else v.tokens.setLayout({x0, top + row1}, {rw, row2}, force);
}

void App::frame() {
    if (m_firstFrame) {  // the layout needs the fonts' sizes, known only inside a frame
        layout(false);
        showPage();
        m_firstFrame = false;
    }
    shortcuts();
    menu();
    for (View* v : m_views.all()) v->draw(m_state);
    statusBar();
    pathPopup();
    m_state.update();
}

void App::shortcuts() {
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

void App::menu() {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu(tr("File"))) {
        if (ImGui::MenuItem(tr("Load text file..."), "Ctrl+L")) openPath(PathAction::LoadText, "");
        if (ImGui::MenuItem(tr("Load weights..."))) openPath(PathAction::LoadWeights, "model.safetensors");
        if (ImGui::MenuItem(tr("Back to random weights"), nullptr, false, m_state.customWeights())) m_state.unloadWeights();
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Save session..."), "Ctrl+S")) openPath(PathAction::SaveSession, "session.moelab.json");
        if (ImGui::MenuItem(tr("Load session..."), "Ctrl+O")) openPath(PathAction::LoadSession, "session.moelab.json");
        if (ImGui::MenuItem(tr("Export PNG..."), "Ctrl+E")) openPath(PathAction::ExportPng, "moelab.png");
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Quit"), "Ctrl+Q")) quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu(tr("View"))) {
        if (ImGui::MenuItem(tr("Routing page"), "Ctrl+1", m_page == Page::Routing)) setPage(Page::Routing);
        if (ImGui::MenuItem(tr("Expert parallel"), "Ctrl+2", m_page == Page::Parallel)) setPage(Page::Parallel);
        if (ImGui::MenuItem(tr("Training"), "Ctrl+3", m_page == Page::Training)) setPage(Page::Training);
        ImGui::Separator();
        for (View* v : m_views.all()) ImGui::MenuItem(tr(v->title()), nullptr, &v->open());
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Reset layout"), "Ctrl+R")) setPage(m_page);
        if (ImGui::MenuItem(tr("Dark theme"), nullptr, theme == Theme::Dark)) theme = Theme::Dark, rebuildStyle = true;
        if (ImGui::MenuItem(tr("Light theme"), nullptr, theme == Theme::Light)) theme = Theme::Light, rebuildStyle = true;
        if (ImGui::BeginMenu(tr("UI scale"))) {
            for (float s : {0.75f, 1.0f, 1.25f, 1.5f, 2.0f}) {
                char name[16];
                std::snprintf(name, sizeof name, "%.0f%%", s * 100);
                if (ImGui::MenuItem(name, nullptr, std::abs(m_ui.scale - s) < 0.01f)) newScale = s, rebuildStyle = true;
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

void App::statusBar() {
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

void App::openPath(PathAction a, const std::string& suggestion) {
    m_action = a;
    m_path = suggestion;
    m_openPopup = true;
}

void App::pathPopup() {
    if (m_openPopup) ImGui::OpenPopup("##path"), m_openPopup = false;
    if (!ImGui::BeginPopupModal("##path", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    ImGui::Text("%s", tr("Path"));
    ImGui::SetNextItemWidth(kPathFieldWidth * m_ui.scale);
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

void App::runPathAction() {
    m_message.clear();
    try {
        switch (m_action) {
        case PathAction::LoadText:
            m_state.settings().text = readFile(m_path);
            m_state.settings().textFile = m_path;
            m_state.changed(SettingEffect::Route);
            break;
        case PathAction::LoadWeights: m_state.loadWeights(m_path); break;
        case PathAction::SaveSession: writeFileAtomic(m_path, sessionJson(m_state.settings())); break;
        case PathAction::LoadSession: {
            LoadedSession loaded = parseSession(readFile(m_path), m_path);
            m_message = m_state.replaceSettings(std::move(loaded.settings));
            if (m_message.empty() && !loaded.unknownKeys.empty()) {
                m_message = m_path + ": " + tr("ignored unknown keys") + ":";
                for (const std::string& k : loaded.unknownKeys) m_message += " " + k;
            }
            break;
        }
        case PathAction::ExportPng: pendingPng = m_path; break;
        case PathAction::None: break;
        }
    } catch (const std::exception& e) {
        m_message = e.what();  // shown in the status bar; nothing else changes
    }
}

} // namespace moe::gui
