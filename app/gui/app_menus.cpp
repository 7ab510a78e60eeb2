// The app's menus, keys and status bar.
#include "app.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "platform.hpp"

namespace moe::gui {

void App::keys() {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl) {
        if (ImGui::IsKeyPressed('S', false)) openPath(PathAction::SaveSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('O', false)) openPath(PathAction::LoadSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('E', false)) openPath(PathAction::ExportPng, "moelab.png");
        if (ImGui::IsKeyPressed('L', false)) openPath(PathAction::LoadText, "");
        if (ImGui::IsKeyPressed('Q', false)) quit = true;
        if (ImGui::IsKeyPressed('R', false)) layout(true);
        for (const PageInfo& p : pageInfos())
            if (ImGui::IsKeyPressed(p.shortcut[std::strlen(p.shortcut) - 1], false)) setPage(p.page);
        return;
    }
    if (ImGui::IsKeyPressed(GLFW_KEY_F11, false)) toggleFullScreen();
    if (io.WantTextInput) return;  // typing in the text box
    // [ and ] step the layer every routing view shows (the language model).
    if (m_state.layerCount() > 0 && ImGui::IsKeyPressed(GLFW_KEY_LEFT_BRACKET)) m_state.setLayer(m_state.layer() - 1);
    if (m_state.layerCount() > 0 && ImGui::IsKeyPressed(GLFW_KEY_RIGHT_BRACKET)) m_state.setLayer(m_state.layer() + 1);
    if (ImGui::IsKeyPressed(ImGuiKey_Escape, false) && m_maximized) {
        m_maximized = nullptr;
        showViews();
        layout(true);
    }
    // Left / right step the followed token while a token view has the focus; otherwise,
    // like PageUp / PageDown (what presentation clickers send), they turn the lesson's pages.
    const ImGuiWindow* focus = ImGui::GetCurrentContext()->NavWindow;
    bool tokenFocus = false;
    for (const ViewInfo& v : viewInfos())
        tokenFocus |= focus && v.followsToken && std::strstr(focus->Name, ("###" + std::string(v.id)).c_str());
    const bool left = ImGui::IsKeyPressed(ImGuiKey_LeftArrow), right = ImGui::IsKeyPressed(ImGuiKey_RightArrow);
    if (tokenFocus && (left || right)) {
        m_ui.pinnedToken =
            std::clamp(m_ui.pinnedToken + (right ? 1 : -1), 0, std::max(0, m_state.result().routing.tokens - 1));
        return;
    }
    // The lesson's keys need the lesson on screen, and no dialog or menu open over it.
    if (!inLesson() || !m_views.lesson.open() || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) return;
    const int chapter = m_state.lesson()->chapter;
    if (ImGui::IsKeyPressed(ImGuiKey_PageDown, false) || right) goChapter(chapter + 1, -1);
    if (ImGui::IsKeyPressed(ImGuiKey_PageUp, false) || left) goChapter(chapter - 1, -1);
    // The keys shown on the lesson's buttons: 1..9 press a Try, A shows the answer.
    for (int i = 0; i < 9; ++i)
        if (ImGui::IsKeyPressed(GLFW_KEY_1 + i, false) || ImGui::IsKeyPressed(GLFW_KEY_KP_1 + i, false))
            m_views.lesson.pressTry(i);
    if (ImGui::IsKeyPressed(GLFW_KEY_A, false)) m_views.lesson.revealAnswer();
}

void App::menu() {
    if (!ImGui::BeginMainMenuBar()) return;
    fileMenu();
    viewMenu();
    modelMenu();
    lessonMenu();
    if (ImGui::BeginMenu(tr("Language"))) {
        if (ImGui::MenuItem("English", nullptr, language() == Language::English)) setLanguage(Language::English);
        if (ImGui::MenuItem("简体中文", nullptr, language() == Language::Chinese)) setLanguage(Language::Chinese);
        ImGui::EndMenu();
    }
    ImGui::EndMainMenuBar();
}

void App::fileMenu() {
    if (!ImGui::BeginMenu(tr("File"))) return;
    if (ImGui::MenuItem(tr("Load text file..."), "Ctrl+L")) openPath(PathAction::LoadText, "");
    if (ImGui::MenuItem(tr("Load weights..."))) openPath(PathAction::LoadWeights, "model.safetensors");
    if (ImGui::MenuItem(tr("Back to random weights"), nullptr, false, m_state.customWeights())) m_state.unloadWeights();
    if (ImGui::MenuItem(tr("Open a router trace..."))) openPath(PathAction::OpenTrace, "trace.safetensors");
    ImGui::Separator();
    if (ImGui::MenuItem(tr("Save session..."), "Ctrl+S")) openPath(PathAction::SaveSession, "session.moelab.json");
    if (ImGui::MenuItem(tr("Load session..."), "Ctrl+O")) openPath(PathAction::LoadSession, "session.moelab.json");
    if (ImGui::MenuItem(tr("Export PNG..."), "Ctrl+E")) openPath(PathAction::ExportPng, "moelab.png");
    exportViewMenu();
    ImGui::Separator();
    if (ImGui::MenuItem(tr("Share with students..."))) m_openShare = true;
    if (ImGui::MenuItem(tr("Open a lesson code..."))) openPath(PathAction::OpenCode, "");
    ImGui::Separator();
    if (!kInBrowser && ImGui::MenuItem(tr("Quit"), "Ctrl+Q")) quit = true;  // a page is closed as a tab
    ImGui::EndMenu();
}

// File > Export a view; also a right click inside the view.
void App::exportViewMenu() {
    if (!ImGui::BeginMenu(tr("Export a view"))) return;
    for (View* v : m_views.all()) {
        if (!v->open() || !v->exportable()) continue;
        if (ImGui::BeginMenu(tr(v->title()))) {
            if (ImGui::MenuItem(tr("Export PNG (2x)..."))) {
                m_exportView = v->id();
                openPath(PathAction::ExportView, m_exportView + ".png");
            }
            if (v->hasSvg() && ImGui::MenuItem(tr("Export SVG..."))) {
                m_exportView = v->id();
                openPath(PathAction::ExportView, m_exportView + ".svg");
            }
            ImGui::EndMenu();
        }
    }
    ImGui::EndMenu();
}

void App::viewMenu() {
    if (!ImGui::BeginMenu(tr("View"))) return;
    for (const PageInfo& p : pageInfos())
        if (ImGui::MenuItem(tr(p.label), p.shortcut, m_page == p.page && !inLesson())) {
            if (inLesson()) leaveLesson();
            setPage(p.page);
        }
    ImGui::Separator();
    for (View* v : m_views.all())
        if (v->info().named && !m_ui.hidden.count(v->id())) ImGui::MenuItem(tr(v->title()), nullptr, &v->open());
    ImGui::Separator();
    if (ImGui::MenuItem(tr("Reset layout"), "Ctrl+R")) {
        m_maximized = nullptr;
        showViews();
        layout(true);
    }
    if (ImGui::MenuItem(tr("Full screen"), "F11", glfwGetWindowMonitor(m_window) != nullptr)) toggleFullScreen();
    ImGui::MenuItem(tr("Presentation mode (no paths, devices or timings)"), nullptr, &m_ui.presentationMode);
    if (ImGui::MenuItem(tr("Dark theme"), nullptr, theme == Theme::Dark)) {
        theme = Theme::Dark;
        rebuildStyle = true;
    }
    if (ImGui::MenuItem(tr("Light theme"), nullptr, theme == Theme::Light)) {
        theme = Theme::Light;
        rebuildStyle = true;
    }
    scaleMenu();
    ImGui::EndMenu();
}

void App::scaleMenu() {
    if (!ImGui::BeginMenu(tr("UI scale"))) return;
    if (ImGui::MenuItem(tr("Fit to the window"), nullptr, m_ui.fitToWindow)) {
        m_ui.fitToWindow = !m_ui.fitToWindow;
        m_windowW = 0;  // recompute the scale next frame
    }
    for (float s : {0.75f, 1.0f, 1.25f, 1.5f, 2.0f}) {
        char name[16];
        std::snprintf(name, sizeof name, "%.0f%%", s * 100);
        if (ImGui::MenuItem(name, nullptr, !m_ui.fitToWindow && std::abs(m_ui.wantedScale - s) < 0.01f)) {
            m_ui.wantedScale = s;
            m_ui.fitToWindow = false;
            newScale = heldScale(s, m_windowW, m_windowH);
            rebuildStyle = true;
        }
    }
    ImGui::EndMenu();
}

// The one-layer model or the language model, and the layer the routing views show.
void App::modelMenu() {
    if (!ImGui::BeginMenu(tr("Model"))) return;
    if (ImGui::MenuItem(tr("One MoE layer"), nullptr, m_state.layerCount() == 0)) leaveLm();
    if (ImGui::MenuItem(tr("Language model (tiny-lm, 4 layers)"), nullptr, m_state.lmName() == "tiny-lm"))
        useLm("tiny-lm");
    if (ImGui::MenuItem(tr("Router trace..."), nullptr, m_state.trace() != nullptr))
        openPath(PathAction::OpenTrace, m_state.trace() ? m_state.tracePath() : "trace.safetensors");
    if (m_state.layerCount() > 0) {
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Next layer"), "]", false, m_state.layer() + 1 < m_state.layerCount()))
            m_state.setLayer(m_state.layer() + 1);
        if (ImGui::MenuItem(tr("Previous layer"), "[", false, m_state.layer() > 0))
            m_state.setLayer(m_state.layer() - 1);
    }
    ImGui::EndMenu();
}

void App::lessonMenu() {
    if (!ImGui::BeginMenu(tr("Lesson"))) return;
    if (ImGui::MenuItem(tr("The built-in lesson"))) openLesson("builtin", 0);
    if (ImGui::MenuItem(tr("Open a lesson file..."))) openPath(PathAction::OpenLesson, "my.lesson");
    if (inLesson()) {
        ImGui::Separator();
        const LessonProgress& p = *m_state.lesson();
        if (ImGui::MenuItem(tr("Next chapter"), "PageDown", false, p.chapter + 1 < int(p.lesson.chapters.size())))
            goChapter(p.chapter + 1, -1);
        if (ImGui::MenuItem(tr("Previous chapter"), "PageUp", false, p.chapter > 0)) goChapter(p.chapter - 1, -1);
        if (ImGui::MenuItem(tr("Leave the lesson"))) leaveLesson();
    }
    ImGui::Separator();
    if (ImGui::MenuItem(tr("Share with students..."))) m_openShare = true;
    ImGui::EndMenu();
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
    ImGui::TextUnformatted(statusLine().c_str());
    if (m_state.compilingBackend()) {
        ImGui::SameLine();
        ImGui::TextDisabled("  %s", tr("compiling the OpenCL kernels\u2026"));
    }
    if (m_state.computing()) {
        ImGui::SameLine();
        ImGui::TextDisabled("  %s", tr("computing\u2026 (the views show the last result)"));
    }
    if (!m_ui.fitToWindow && m_ui.scale < m_ui.wantedScale - 0.01f) {
        ImGui::SameLine();
        ImGui::TextDisabled("  %s %.0f%%", tr("UI scale held to what the window shows:"), m_ui.scale * 100);
    }
    if (!m_notice.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("  %s", m_notice.c_str());
    }
    const std::string& problem = !m_state.error().empty() ? m_state.error() : m_message;
    if (!problem.empty() || !m_ui.fonts.problem().empty()) {
        ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "  %s",
                           translateMessage(!problem.empty() ? problem : m_ui.fonts.problem()).c_str());
    }
    ImGui::End();
    ImGui::PopStyleVar();
}

// Tokens, E, k and capacity, less what students do not see; then, for engineers, the
// backend, its device and the pass's time (not on a projector).
std::string App::statusLine() {
    const Routing& r = m_state.result().routing;
    const auto shown = [&](const char* key) { return !m_ui.hidden.count(key); };
    std::string line = std::to_string(r.tokens) + " " + tr("tokens");
    if (shown("experts")) line += "  E=" + std::to_string(r.experts);
    if (shown("k")) line += "  k=" + std::to_string(r.k);
    if (shown("capacity_factor") && shown("min_capacity"))
        line +=
            std::string("  ") + tr("capacity") + " " + (r.capacity < 0 ? tr("dropless") : std::to_string(r.capacity));
    if (m_ui.presenting) return line;
    char tail[64];
    std::snprintf(tail, sizeof tail, "  |  %.2f ms", m_state.lastComputeMs());
    line += "  |  " + m_state.backendName() + " " + translateMessage(m_state.deviceName()) + tail;
    if (!m_state.result().fallback.empty()) line += std::string("  |  ") + tr("this rule ran on the Eigen reference");
    return line;
}

void App::toggleFullScreen() {
    if (glfwGetWindowMonitor(m_window)) {
        glfwSetWindowMonitor(m_window, nullptr, m_savedX, m_savedY, m_savedW, m_savedH, 0);
    } else {
        glfwGetWindowPos(m_window, &m_savedX, &m_savedY);
        glfwGetWindowSize(m_window, &m_savedW, &m_savedH);
        GLFWmonitor* monitor = glfwGetPrimaryMonitor();
        if (const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr)
            glfwSetWindowMonitor(m_window, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
    }
    m_relayout = true;
}

}  // namespace moe::gui
