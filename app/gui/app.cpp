#include "app.hpp"
#include "wrap.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui_internal.h>
#include <imgui_stdlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"
#include "settings_schema.hpp"
#include "lesson_code.hpp"
#include "share_code.hpp"

namespace moe::gui {
namespace {

constexpr float kControlsWidth = 310;  // the left column (controls or lesson), unscaled
constexpr float kLessonWidth = 360;
constexpr float kLeftShare = 0.3f;     // the left column takes at most this share of the width
constexpr float kPathFieldWidth = 500;
constexpr float kCompactWidth = 900, kCompactHeight = 560;  // a logical screen smaller than this is compact

const char* pageName(Page p) {
    switch (p) {
    case Page::Routing: return N_("Routing page");
    case Page::Journey: return N_("Token journey page");
    case Page::Parallel: return N_("Expert parallel");
    case Page::Training: return N_("Training");
    case Page::Compare: return N_("Compare A/B page");
    }
    return "";
}

} // namespace

std::vector<std::string> viewAndPageTitles() {
    Ui ui;
    Views views(ui, {});
    std::vector<std::string> out;
    for (View* v : views.all()) out.push_back(v->title());
    for (Page p : {Page::Routing, Page::Journey, Page::Parallel, Page::Training, Page::Compare}) out.push_back(pageName(p));
    return out;
}

View* Views::byName(const std::string& name) {
    for (View* v : all())
        if (name == v->id()) return v;
    return nullptr;
}

App::App(GLFWwindow* window, AppState& state, Ui& ui, Page page)
    : m_window(window), m_state(state), m_ui(ui),
      m_views(ui, {[this](int c, int t) { goChapter(c, t); },
                   [this](const std::string& kind) { m_views.training.startExperiment(kind); },
                   [this] { leaveLesson(); }}),
      m_page(Page::Routing) {
    setPageSettings(page);
    m_page = page;
}

void App::setPageSettings(Page p) {
    // The expert-parallel page opens on 8 GPUs: one GPU has no traffic to show.
    if (p == Page::Parallel && m_page != p && m_state.settings().cluster.gpus == 1 && !inLesson())
        m_state.set(*findSetting("gpus"), std::min(8, m_state.settings().shape.experts + m_state.settings().cluster.replicateHot));
}

// How each view likes to sit in a layout (layout.hpp).
static LayoutSlot slotOf(const Views& v, const View* view, int index) {
    if (view == &v.text) return {index, ViewShape::Short, 1.38f};
    if (view == &v.dense) return {index, ViewShape::Short, 1.0f};
    if (view == &v.tokens || view == &v.embedding) return {index, ViewShape::Strip, 1.0f};
    if (view == &v.heatmap) return {index, ViewShape::Tall, 1.27f};
    if (view == &v.journey) return {index, ViewShape::Tall, 1.3f};
    if (view == &v.layers) return {index, ViewShape::Wide, 1.6f};
    if (view == &v.load || view == &v.controls) return {index, ViewShape::Tall, 1.0f};
    return {index, ViewShape::Wide, 1.0f};  // traffic, gpus, training, compare
}

std::vector<View*> App::shownViews() {
    std::vector<View*> out = pageViews();
    std::erase_if(out, [&](View* v) { return m_ui.hidden.count(v->id()) != 0; });  // what students do not see
    return out;
}

std::vector<View*> App::pageViews() {
    Views& v = m_views;
    if (m_maximized) return {m_maximized};
    // A small logical screen (a big UI scale on a small window) shows fewer views: a
    // lesson chapter only the views it frames, so that they show whole; the routing page
    // leaves out the dense-vs-MoE table. The rest stay one click away in the View menu.
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    const bool compact = w / m_ui.scale < kCompactWidth || h / m_ui.scale < kCompactHeight;
    if (inLesson()) {
        std::vector<View*> out;
        const LessonChapter& ch = v.lesson.progress()->lesson.chapters[v.lesson.progress()->chapter];
        for (const std::string& name : compact && !ch.highlight.empty() ? ch.highlight : ch.show)
            if (View* view = v.byName(name)) out.push_back(view);
        return out;
    }
    switch (m_page) {
    case Page::Routing:
        if (m_state.lm() && compact) return {&v.text, &v.layers};
        if (m_state.lm()) return {&v.text, &v.layers, &v.heatmap, &v.load};
        if (compact) return {&v.text, &v.tokens, &v.heatmap, &v.load};
        return {&v.text, &v.dense, &v.tokens, &v.heatmap, &v.load};
    case Page::Journey: return {&v.tokens, &v.embedding, &v.journey, &v.heatmap};
    case Page::Parallel: return {&v.traffic, &v.gpus};
    case Page::Training: return {&v.training, &v.tokens};
    case Page::Compare: return {&v.compare};
    }
    return {};
}

void App::showViews() {
    const std::vector<View*> shown = shownViews();
    for (View* v : m_views.all()) v->open() = std::find(shown.begin(), shown.end(), v) != shown.end();
    View* left = leftView();
    if (!m_maximized && left) left->open() = true;
    // A lesson's highlighted views get a frame.
    for (View* v : m_views.all()) v->setHighlighted(false);
    if (inLesson()) {
        const LessonProgress& p = *m_views.lesson.progress();
        for (const std::string& name : p.lesson.chapters[p.chapter].highlight)
            if (View* view = m_views.byName(name)) view->setHighlighted(true);
    }
    m_views.controls.showParallel(m_page == Page::Parallel);
}

View* App::leftView() {
    if (inLesson()) return &m_views.lesson;
    return m_ui.hidden.count("controls") ? nullptr : &m_views.controls;
}

void App::setPage(Page p) {
    m_grownHeight.clear();  // another page: strips start from their usual height
    setPageSettings(p);
    m_page = p;
    m_maximized = nullptr;
    showViews();
    layout(true);
}

void App::layout(bool force) {
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    const float s = m_ui.scale, top = ImGui::GetFrameHeight() + 1, status = ImGui::GetFrameHeight();
    const float avail = h - top - status;
    View* leftColumn = m_maximized ? nullptr : leftView();
    const float left = leftColumn ? std::min((inLesson() ? kLessonWidth : kControlsWidth) * s, w * kLeftShare) : 0;
    if (leftColumn) leftColumn->setLayout({0, top}, {left, avail}, force);
    const std::vector<View*> shown = shownViews();
    std::vector<LayoutSlot> slots;
    for (size_t i = 0; i < shown.size(); ++i) {
        slots.push_back(slotOf(m_views, shown[i], int(i)));
        if (const auto grown = m_grownHeight.find(shown[i]); grown != m_grownHeight.end()) slots.back().height = grown->second;
        // A chapter's framed views come first: they grow, and take twice their share of a row.
        if (inLesson() && shown[i]->highlighted()) {
            if (slots.back().shape == ViewShape::Short) slots.back().shape = ViewShape::Tall;
            slots.back().widthWeight *= 2;
        }
    }
    const std::vector<LayoutBox> boxes = tileViews(slots, {left, top, w - left, avail}, s);
    for (size_t i = 0; i < shown.size(); ++i)
        shown[i]->setLayout({boxes[i].x, boxes[i].y}, {boxes[i].w, boxes[i].h}, force);
}

void App::openLesson(const std::string& path, int chapter, bool keepSettings) {
    try {
        const std::string file = lessonFile(path);
        LessonCheck check = checkLesson(readFile(file), file);
        if (check.hasErrors()) {
            std::vector<std::string> lines;
            for (const LessonProblem& problem : check.problems)
                if (!problem.warning) lines.push_back(problemLine(problem, file));
            for (const std::string& line : lines)  // its Chinese, if any, in the font (once, however often it opens)
                if (m_ui.glyphText.find(line) == std::string::npos) m_ui.glyphText += line;
            m_problems.open(N_("This lesson cannot be opened"),
                            N_("Fix these lines of the lesson file and open it again (moelab lesson check FILE lists "
                               "them too). The rest of the app works as usual."),
                            std::move(lines));
            return;
        }
        LessonProgress p;
        p.lesson = std::move(check.lesson);
        m_ui.glyphText = p.lesson.title.en + p.lesson.title.zh;
        for (const LessonChapter& c : p.lesson.chapters)
            for (const LessonText* t : {&c.title, &c.text, &c.question, &c.answer, &c.goalText}) m_ui.glyphText += t->en + t->zh;
        m_views.lesson.progress() = std::move(p);
        goChapter(std::clamp(chapter, 0, int(m_views.lesson.progress()->lesson.chapters.size()) - 1), -1, !keepSettings);
    } catch (const std::exception& e) {
        m_problems.open(N_("This lesson cannot be opened"), N_("The app carries on without it."), {e.what()});
    }
}

void App::goChapter(int chapter, int tryIndex, bool applySettings) {
    LessonProgress& p = *m_views.lesson.progress();
    const Lesson& lesson = p.lesson;
    if (chapter < 0 || chapter >= int(lesson.chapters.size())) return;
    const bool newChapter = chapter != p.chapter || !m_views.lesson.open();
    try {
        const std::string& model = lesson.chapters[chapter].model;
        if (applySettings && model.empty()) m_state.leaveLm();
        // A model chapter starts from the model's trained routing, so its settings apply
        // even when the command line's are already there.
        if (!model.empty() && m_state.lmName() != model) useLm(model), applySettings = true;
        const RouterConfig trained = m_state.lm() ? trainedRouting(m_state.lm()->config) : RouterConfig{};
        const Settings next = chapterSettings(lesson, chapter, tryIndex, m_state.settings(), m_state.lm() ? &trained : nullptr);
        // A shape the trained model does not have needs other weights: say so, or students
        // blame the setting for routing that changed with the weights.
        m_notice.clear();
        const bool leavesTrained = !m_state.settings().weightsPath.empty() && next.weightsPath.empty();
        if (applySettings) {
            if (const std::string e = m_state.replaceSettings(next, true); !e.empty()) m_message = e;
            else if (leavesTrained) setNotice(tr("New, random weights: these settings do not fit the trained model."), false);
        }
    } catch (const std::exception& e) {
        m_message = e.what();
    }
    if (newChapter) m_grownHeight.clear();  // strips start from their usual height
    p.chapter = chapter;
    p.activeTry = tryIndex;
    if (newChapter) m_ui.heatmapLogits = lesson.chapters[chapter].heatmap == "logits";  // a Try keeps the user's choice
    if (newChapter) p.revealed = false;
    const std::string& page = lesson.chapters[chapter].page;
    m_page = page == "parallel" ? Page::Parallel : page == "training" ? Page::Training : Page::Routing;
    m_maximized = nullptr;
    m_relayout = true;  // in the next frame, when the fonts' sizes are known
    // A chapter about an experiment opens on it, with a result on screen at once.
    if (const std::string& kind = lesson.chapters[chapter].experiment; !kind.empty() && newChapter)
        m_views.training.openExperiment(kind);
}

void App::leaveLesson() {
    m_views.lesson.progress().reset();
    lessonLeft = true;
    setPage(m_page);
}

void App::frame() {
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    if (w != m_windowW || h != m_windowH) {  // the views reflow with the window
        const float scale = m_ui.fitToWindow ? fitScale(w, h) : heldScale(m_ui.wantedScale, w, h);
        if (std::abs(scale - m_ui.scale) > 0.01f) newScale = scale, rebuildStyle = true;
        m_relayout |= m_windowW != 0;
        m_grownHeight.clear();  // strips grow again for the new size
        m_windowW = w, m_windowH = h;
    }
    if (m_firstFrame || m_relayout) {  // the layout needs the fonts' sizes, known only inside a frame
        showViews();
        layout(m_relayout);
        m_firstFrame = m_relayout = false;
    }
    m_ui.presenting = m_ui.presentationMode || (inLesson() && m_views.lesson.open());
    keys();
    menu();
    for (View* v : m_views.all()) {
        v->draw(m_state);
        if (const std::string ext = v->takeExportRequest(); !ext.empty()) {
            m_exportView = v->id();
            openPath(PathAction::ExportView, m_exportView + ext);
        }
        if (v->takeMaximizeRequest()) {
            m_maximized = m_maximized == v ? nullptr : v;
            showViews();
            layout(true);
        }
    }
    growStrips();
    m_ui.opaqueWindows = viewsOverlap();
    statusBar();
    pathPopup();
    sharePopup();
    m_problems.draw(m_ui.scale);
    m_state.update();
}

// A strip whose rows did not fit (the token chips' second row) gets the height they need,
// up to two fifths of the window, at the next frame's layout.
void App::growStrips() {
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    for (View* v : shownViews()) {
        if (v != &m_views.tokens && v != &m_views.embedding) continue;
        const float need = std::min(v->lastSize().y + v->overflowHeight(), h * 0.4f);
        // Asked once: where the rows do not fit the window either, the layout shrinks the strip
        // again, and asking every frame would relayout every frame.
        if (const auto asked = m_grownHeight.find(v); asked != m_grownHeight.end() && asked->second >= need - 1) continue;
        if (v->lastSize().y > 0 && v->overflowHeight() > 1 && need > v->lastSize().y + 1) {
            m_grownHeight[v] = need;
            m_relayout = true;
        }
    }
}

bool App::viewsOverlap() {
    std::vector<ImRect> rects;
    for (View* v : m_views.all())
        if (const ImVec2 p = v->lastPos(), s = v->lastSize(); s.x > 0) rects.emplace_back(p, ImVec2(p.x + s.x, p.y + s.y));
    for (ImRect& r : rects) r.Expand(-0.5f);  // neighbours share an edge
    for (size_t i = 0; i < rects.size(); ++i)
        for (size_t j = i + 1; j < rects.size(); ++j)
            if (rects[i].Overlaps(rects[j])) return true;
    return false;
}

void App::keys() {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl) {
        if (ImGui::IsKeyPressed('S', false)) openPath(PathAction::SaveSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('O', false)) openPath(PathAction::LoadSession, "session.moelab.json");
        if (ImGui::IsKeyPressed('E', false)) openPath(PathAction::ExportPng, "moelab.png");
        if (ImGui::IsKeyPressed('L', false)) openPath(PathAction::LoadText, "");
        if (ImGui::IsKeyPressed('Q', false)) quit = true;
        if (ImGui::IsKeyPressed('R', false)) layout(true);
        if (ImGui::IsKeyPressed('1', false)) setPage(Page::Routing);
        if (ImGui::IsKeyPressed('2', false)) setPage(Page::Parallel);
        if (ImGui::IsKeyPressed('3', false)) setPage(Page::Training);
        if (ImGui::IsKeyPressed('4', false)) setPage(Page::Journey);
        if (ImGui::IsKeyPressed('5', false)) setPage(Page::Compare);
        return;
    }
    if (ImGui::IsKeyPressed(GLFW_KEY_F11, false)) toggleFullScreen();
    if (io.WantTextInput) return;  // typing in the text box
    // [ and ] step the layer every routing view shows (the language model).
    if (m_state.lm() && ImGui::IsKeyPressed(GLFW_KEY_LEFT_BRACKET)) m_state.setLayer(m_state.layer() - 1);
    if (m_state.lm() && ImGui::IsKeyPressed(GLFW_KEY_RIGHT_BRACKET)) m_state.setLayer(m_state.layer() + 1);
    if (ImGui::IsKeyPressed(ImGuiKey_Escape, false) && m_maximized) {
        m_maximized = nullptr;
        showViews();
        layout(true);
    }
    // Left / right step the followed token while a token view has the focus; otherwise,
    // like PageUp / PageDown (what presentation clickers send), they turn the lesson's pages.
    const ImGuiWindow* focus = ImGui::GetCurrentContext()->NavWindow;
    const bool tokenFocus = focus && (std::strstr(focus->Name, "###tokens") || std::strstr(focus->Name, "###journey") ||
                                      std::strstr(focus->Name, "###heatmap") || std::strstr(focus->Name, "###embedding"));
    const bool left = ImGui::IsKeyPressed(ImGuiKey_LeftArrow), right = ImGui::IsKeyPressed(ImGuiKey_RightArrow);
    if (tokenFocus && (left || right)) {
        m_ui.pinnedToken = std::clamp(m_ui.pinnedToken + (right ? 1 : -1), 0, std::max(0, m_state.result().routing.tokens - 1));
        return;
    }
    // The lesson's keys need the lesson on screen, and no dialog or menu open over it.
    if (!inLesson() || !m_views.lesson.open() || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) return;
    const int chapter = m_views.lesson.progress()->chapter;
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
    if (ImGui::BeginMenu(tr("File"))) {
        if (ImGui::MenuItem(tr("Load text file..."), "Ctrl+L")) openPath(PathAction::LoadText, "");
        if (ImGui::MenuItem(tr("Load weights..."))) openPath(PathAction::LoadWeights, "model.safetensors");
        if (ImGui::MenuItem(tr("Back to random weights"), nullptr, false, m_state.customWeights())) m_state.unloadWeights();
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Save session..."), "Ctrl+S")) openPath(PathAction::SaveSession, "session.moelab.json");
        if (ImGui::MenuItem(tr("Load session..."), "Ctrl+O")) openPath(PathAction::LoadSession, "session.moelab.json");
        if (ImGui::MenuItem(tr("Export PNG..."), "Ctrl+E")) openPath(PathAction::ExportPng, "moelab.png");
        if (ImGui::BeginMenu(tr("Export a view"))) {  // also a right click inside the view
            for (View* v : m_views.all()) {
                if (!v->open() || !v->exportable()) continue;
                if (ImGui::BeginMenu(tr(v->title()))) {
                    if (ImGui::MenuItem(tr("Export PNG (2x)..."))) m_exportView = v->id(), openPath(PathAction::ExportView, m_exportView + ".png");
                    if (v->hasSvg() && ImGui::MenuItem(tr("Export SVG...")))
                        m_exportView = v->id(), openPath(PathAction::ExportView, m_exportView + ".svg");
                    ImGui::EndMenu();
                }
            }
            ImGui::EndMenu();
        }
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Share with students..."))) m_openShare = true;
        if (ImGui::MenuItem(tr("Open a lesson code..."))) openPath(PathAction::OpenCode, "");
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Quit"), "Ctrl+Q")) quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu(tr("View"))) {
        const std::pair<Page, const char*> pages[] = {{Page::Routing, "Ctrl+1"}, {Page::Parallel, "Ctrl+2"},
                                                      {Page::Training, "Ctrl+3"}, {Page::Journey, "Ctrl+4"},
                                                      {Page::Compare, "Ctrl+5"}};
        for (const auto& [p, key] : pages)
            if (ImGui::MenuItem(tr(pageName(p)), key, m_page == p && !inLesson())) {
                if (inLesson()) leaveLesson();
                setPage(p);
            }
        ImGui::Separator();
        for (View* v : m_views.all())
            if (v != &m_views.lesson && !m_ui.hidden.count(v->id())) ImGui::MenuItem(tr(v->title()), nullptr, &v->open());
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Reset layout"), "Ctrl+R")) {
            m_maximized = nullptr;
            showViews();
            layout(true);
        }
        if (ImGui::MenuItem(tr("Full screen"), "F11", glfwGetWindowMonitor(m_window) != nullptr)) toggleFullScreen();
        ImGui::MenuItem(tr("Presentation mode (no paths, devices or timings)"), nullptr, &m_ui.presentationMode);
        if (ImGui::MenuItem(tr("Dark theme"), nullptr, theme == Theme::Dark)) theme = Theme::Dark, rebuildStyle = true;
        if (ImGui::MenuItem(tr("Light theme"), nullptr, theme == Theme::Light)) theme = Theme::Light, rebuildStyle = true;
        if (ImGui::BeginMenu(tr("UI scale"))) {
            if (ImGui::MenuItem(tr("Fit to the window"), nullptr, m_ui.fitToWindow)) {
                m_ui.fitToWindow = !m_ui.fitToWindow;
                m_windowW = 0;  // recompute the scale next frame
            }
            for (float s : {0.75f, 1.0f, 1.25f, 1.5f, 2.0f}) {
                char name[16];
                std::snprintf(name, sizeof name, "%.0f%%", s * 100);
                if (ImGui::MenuItem(name, nullptr, !m_ui.fitToWindow && std::abs(m_ui.wantedScale - s) < 0.01f)) {
                    m_ui.wantedScale = s, m_ui.fitToWindow = false;
                    newScale = heldScale(s, m_windowW, m_windowH), rebuildStyle = true;
                }
            }
            ImGui::EndMenu();
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu(tr("Model"))) {
        if (ImGui::MenuItem(tr("One MoE layer"), nullptr, !m_state.lm())) leaveLm();
        if (ImGui::MenuItem(tr("Language model (tiny-lm, 4 layers)"), nullptr, m_state.lmName() == "tiny-lm"))
            useLm("tiny-lm");
        if (const LmModel* m = m_state.lm()) {
            ImGui::Separator();
            if (ImGui::MenuItem(tr("Next layer"), "]", false, m_state.layer() + 1 < m->config.layers)) m_state.setLayer(m_state.layer() + 1);
            if (ImGui::MenuItem(tr("Previous layer"), "[", false, m_state.layer() > 0)) m_state.setLayer(m_state.layer() - 1);
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu(tr("Lesson"))) {
        if (ImGui::MenuItem(tr("The built-in lesson"))) openLesson("builtin", 0);
        if (ImGui::MenuItem(tr("Open a lesson file..."))) openPath(PathAction::OpenLesson, "my.lesson");
        if (inLesson()) {
            ImGui::Separator();
            const LessonProgress& p = *m_views.lesson.progress();
            if (ImGui::MenuItem(tr("Next chapter"), "PageDown", false, p.chapter + 1 < int(p.lesson.chapters.size())))
                goChapter(p.chapter + 1, -1);
            if (ImGui::MenuItem(tr("Previous chapter"), "PageUp", false, p.chapter > 0)) goChapter(p.chapter - 1, -1);
            if (ImGui::MenuItem(tr("Leave the lesson"))) leaveLesson();
        }
        ImGui::Separator();
        if (ImGui::MenuItem(tr("Share with students..."))) m_openShare = true;
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
        line += std::string("  ") + tr("capacity") + " " + (r.capacity < 0 ? tr("dropless") : std::to_string(r.capacity));
    if (m_ui.presenting) return line;
    char tail[64];
    std::snprintf(tail, sizeof tail, "  |  %.2f ms", m_state.lastComputeMs());
    line += "  |  " + m_state.backendName() + " " + translateMessage(m_state.deviceName()) + tail;
    if (!m_state.result().fallback.empty()) line += std::string("  |  ") + tr("this rule ran on the Eigen reference");
    return line;
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

void App::useLm(const std::string& nameOrPath, bool asTrained) {
    if (const std::string e = m_state.useLm(nameOrPath, asTrained); !e.empty())
        setNotice(std::string(tr("The language model did not load; the one-layer model stays:")) + " " + e, true);
    m_relayout = true;
}

void App::leaveLm() {
    m_state.leaveLm();
    m_relayout = true;
}

void App::setNotice(const std::string& notice, bool problem) {
    (problem ? m_message : m_notice) = notice;
    (problem ? m_notice : m_message).clear();
}

void App::runPathAction() {
    m_message.clear();
    m_notice.clear();
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
        case PathAction::ExportView: {
            const std::string ext = std::filesystem::path(m_path).extension().string();
            if (ext != ".png" && ext != ".svg") throw InputError(m_path, "needs a name ending in .png or .svg");
            pendingExport = ViewExport{m_exportView, m_path};
            break;
        }
        case PathAction::OpenLesson: openLesson(m_path, 0); break;
        case PathAction::OpenCode: openCode(m_path); break;
        case PathAction::None: break;
        }
    } catch (const std::exception& e) {
        m_message = errorText(e);  // shown in the status bar; nothing else changes
    }
}

} // namespace moe::gui

namespace moe::gui {

// The layering rule (lesson_code.hpp): the chapter's settings, then the code's own; the
// device stays this machine's. A code or lesson that does not open gets the dialog.
void App::openCode(const std::string& text) {
    SharedState shared;
    try {
        shared = decodeShareCode(text);
    } catch (const std::exception& e) {
        m_problems.open(N_("This lesson code cannot be opened"),
                        N_("Copy the whole code again (it is one line) and open it once more. Nothing has changed."),
                        {e.what()});
        return;
    }
    std::optional<Lesson> lesson;
    try {
        if (!shared.lesson.empty()) lesson = loadLesson(lessonFile(shared.lesson));
    } catch (const std::exception&) {
        // openLesson below lists the file's problems
    }
    LessonRequest request;
    request.code = shared, request.lesson = shared.lesson, request.chapter = shared.chapter;
    const Settings next = layeredSettings(request, lesson ? &*lesson : nullptr, nullptr, Args({}, {}, {}), m_state.settings());
    m_message = m_state.replaceSettings(next);
    m_ui.hidden = std::set<std::string>(shared.hidden.begin(), shared.hidden.end());
    applySharedState(shared);
    if (!shared.lesson.empty()) openLesson(shared.lesson, shared.chapter, true);
}

SharedState App::sharedState() {
    SharedState s;
    s.settings = m_state.settings();
    const Page pages[] = {Page::Routing, Page::Journey, Page::Parallel, Page::Training, Page::Compare};
    const char* names[] = {"routing", "journey", "parallel", "training", "compare"};
    for (int i = 0; i < 5; ++i)
        if (pages[i] == m_page) s.page = names[i];
    if (inLesson()) {
        const LessonProgress& p = *m_views.lesson.progress();
        const bool builtin = p.lesson.path.find("lessons/moe-basics.lesson") != std::string::npos;
        s.lesson = builtin ? "builtin" : p.lesson.path;
        s.chapter = p.chapter;
    }
    s.pinnedToken = m_ui.pinnedToken;
    if (m_maximized) s.maximized = m_maximized->id();
    s.hidden.assign(m_ui.hidden.begin(), m_ui.hidden.end());
    if (m_state.pinnedA()) s.compareA = m_state.pinnedA()->settings;
    return s;
}

// What File > Share hands out: the state on screen, laid over the lesson chapter's settings.
std::string App::shareCode() {
    return encodeLessonCode(sharedState(), inLesson() ? &m_views.lesson.progress()->lesson : nullptr);
}

void App::applySharedState(const SharedState& s) {
    m_ui.pinnedToken = s.pinnedToken;
    m_maximized = s.maximized.empty() ? nullptr : m_views.byName(s.maximized);
    if (s.compareA)
        if (const std::string e = m_state.setA(*s.compareA); !e.empty()) m_message = e;
    m_relayout = true;
}

// The teacher's window: which views and controls students see, and the code to hand out.
void App::sharePopup() {
    if (m_openShare) ImGui::OpenPopup("##share"), m_openShare = false;
    ImGui::SetNextWindowSize(ImVec2(560 * m_ui.scale, 480 * m_ui.scale), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("##share", nullptr)) return;
    textWrapped(tr("Students who open this code (moelab gui --code CODE, or File > Open a lesson code) get "
                                "this state: every setting, the text, the page and lesson chapter. Untick what they "
                                "should not see."));
    m_code = shareCode();
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize(tr("Copy")).x - ImGui::GetStyle().FramePadding.x * 4);
    ImGui::InputText("##code", m_code.data(), m_code.size() + 1, ImGuiInputTextFlags_ReadOnly | ImGuiInputTextFlags_AutoSelectAll);
    ImGui::SameLine();
    if (ImGui::Button(tr("Copy"))) ImGui::SetClipboardText(m_code.c_str());
    ImGui::Separator();
    ImGui::BeginChild("##hide", ImVec2(0, -ImGui::GetFrameHeightWithSpacing()));
    const auto toggle = [&](const std::string& name, const char* shown) {
        bool visible = !m_ui.hidden.count(name);
        if (ImGui::Checkbox(shown, &visible)) {
            if (visible) m_ui.hidden.erase(name);
            else m_ui.hidden.insert(name);
            m_relayout = true;
        }
    };
    ImGui::TextDisabled("%s", tr("Views"));
    for (View* v : m_views.all())
        if (v != &m_views.lesson) toggle(v->id(), label(v->title(), v->id()));
    ImGui::TextDisabled("%s", tr("Controls"));
    for (const SettingSpec& spec : settingSpecs())
        if (spec.widget != SettingWidget::None) toggle(std::string(spec.key), label(spec.label, spec.key.data()));
    ImGui::EndChild();
    if (ImGui::Button(tr("Close"))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
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

std::string App::layoutReport() {
    nlohmann::json views = nlohmann::json::array();
    for (View* v : m_views.all()) {
        if (!v->open()) continue;
        const ImVec2 p = v->lastPos(), s = v->lastSize();
        views.push_back({{"name", v->id()}, {"x", p.x}, {"y", p.y}, {"w", s.x}, {"h", s.y},
                         {"framed", v->highlighted()}, {"content_fits", v->contentFits()}});
    }
    nlohmann::json measured = nlohmann::json::object();
    for (const auto& [k, v] : m_ui.measured) measured[k] = v;
    nlohmann::json lm = nullptr;  // the language model: its layer shown and bits per byte
    if (const LmRun* run = m_state.lmRun())
        lm = {{"model", m_state.lmName()}, {"layers", run->layers.size()}, {"layer", m_state.layer()},
              {"bits_per_byte", run->bitsPerByte}, {"as_trained_bits_per_byte", m_state.asTrainedBitsPerByte()}};
    nlohmann::json lesson = nullptr;
    if (inLesson())
        lesson = {{"chapter", m_views.lesson.progress()->chapter + 1}, {"footer_visible", m_views.lesson.footerVisible()}};
    return nlohmann::json{{"window", {m_windowW, m_windowH}},
                          {"scale", m_ui.scale},
                          {"lesson", lesson},
                          {"lm", lm},
                          {"top", ImGui::GetFrameHeight()},
                          {"bottom", m_windowH - ImGui::GetFrameHeight()},
                          {"min_view", {kMinViewWidth * m_ui.scale, kMinViewHeight * m_ui.scale}},
                          {"views", views},
                          {"measured", measured},
                          {"code", shareCode()},
                          {"problems", m_problems.lines()},  // the problem dialog's last lines
                          {"settings", nlohmann::json::parse(sessionJson(m_state.settings()))}}
        .dump();
}

} // namespace moe::gui
