// The app's views (built from the registry), pages and layout, and the frame. Its
// menus, lesson navigation, sharing and file prompts are in app_*.cpp.
#include "app.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "settings_schema.hpp"

namespace moe::gui {
namespace {

constexpr float kControlsWidth = 310;  // the left column (controls or lesson), unscaled
constexpr float kLessonWidth = 360;
constexpr float kLeftShare = 0.3f;                          // the left column takes at most this share of the width
constexpr float kCompactWidth = 900, kCompactHeight = 560;  // a logical screen smaller than this is compact

template <class T>
T& typed(const std::vector<View*>& views, std::string_view id) {
    for (View* v : views)
        if (id == v->id()) return dynamic_cast<T&>(*v);
    throw std::logic_error("no view '" + std::string(id) + "' in the registry");
}

std::vector<std::unique_ptr<View>> makeViews(Ui& ui) {
    std::vector<std::unique_ptr<View>> out;
    for (const ViewInfo& info : viewInfos()) out.push_back(info.make(info, ui));
    return out;
}

std::vector<View*> pointers(const std::vector<std::unique_ptr<View>>& views) {
    std::vector<View*> out;
    for (const auto& v : views) out.push_back(v.get());
    return out;
}

}  // namespace

Views::Views(Ui& ui)
    : m_owned(makeViews(ui)),
      m_all(pointers(m_owned)),
      lesson(typed<LessonView>(m_all, "lesson")),
      controls(typed<ControlsView>(m_all, "controls")),
      training(typed<TrainingView>(m_all, "training")) {}

View* Views::byName(std::string_view id) const {
    for (View* v : m_all)
        if (id == v->id()) return v;
    return nullptr;
}

App::App(GLFWwindow* window, AppState& state, Ui& ui, Page page)
    : m_window(window), m_state(state), m_ui(ui), m_views(ui), m_page(Page::Routing) {
    m_views.lesson.connect(state.lesson(),
                           {[this](int c, int t) { goChapter(c, t); },
                            [this](const std::string& kind) { m_views.training.startExperiment(m_state, kind); },
                            [this] { leaveLesson(); }});
    setPageSettings(page);
    m_page = page;
}

void App::setPageSettings(Page p) {
    // The expert-parallel page opens on 8 GPUs: one GPU has no traffic to show.
    if (p == Page::Parallel && m_page != p && m_state.settings().cluster.gpus == 1 && !inLesson())
        m_state.set(*findSetting("gpus"),
                    std::min(8, m_state.settings().shape.experts + m_state.settings().cluster.replicateHot));
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
        const LessonChapter& ch = m_state.lesson()->lesson.chapters[m_state.lesson()->chapter];
        for (const std::string& name : compact && !ch.highlight.empty() ? ch.highlight : ch.show)
            if (View* view = v.byName(name)) out.push_back(view);
        return out;
    }
    // The language model: its Layers view in place of the one-layer page's dense table and strip.
    const bool layered = m_state.layerCount() > 0;  // the language model or a router trace
    if (layered && m_page == Page::Routing && compact) return {v.byName("text"), v.byName("layers")};
    if (layered && m_page == Page::Routing)
        return {v.byName("text"), v.byName("layers"), v.byName("heatmap"), v.byName("load")};
    const PageInfo& page = pageInfo(m_page);
    std::vector<View*> out;
    for (std::string_view name : compact && !page.compactViews.empty() ? page.compactViews : page.views)
        if (View* view = v.byName(name)) out.push_back(view);
    return out;
}

void App::showViews() {
    const std::vector<View*> shown = shownViews();
    for (View* v : m_views.all()) v->open() = std::find(shown.begin(), shown.end(), v) != shown.end();
    View* left = leftView();
    if (!m_maximized && left) left->open() = true;
    // A lesson's highlighted views get a frame.
    for (View* v : m_views.all()) v->setHighlighted(false);
    if (inLesson()) {
        const LessonProgress& p = *m_state.lesson();
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
        slots.push_back({int(i), shown[i]->info().shape, shown[i]->info().widthWeight});
        if (const auto grown = m_grownHeight.find(shown[i]); grown != m_grownHeight.end())
            slots.back().height = grown->second;
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

void App::frame() {
    int w, h;
    glfwGetWindowSize(m_window, &w, &h);
    if (w != m_windowW || h != m_windowH) {  // the views reflow with the window
        const float scale = m_ui.fitToWindow ? fitScale(w, h) : heldScale(m_ui.wantedScale, w, h);
        if (std::abs(scale - m_ui.scale) > 0.01f) {
            newScale = scale;
            rebuildStyle = true;
        }
        m_relayout |= m_windowW != 0;
        m_grownHeight.clear();  // strips grow again for the new size
        m_windowW = w;
        m_windowH = h;
    }
    if (m_firstFrame || m_relayout) {  // the layout needs the fonts' sizes, known only inside a frame
        showViews();
        layout(m_relayout);
        m_firstFrame = m_relayout = false;
    }
    m_ui.presenting = m_ui.presentationMode || (inLesson() && m_views.lesson.open());
    openUploaded();
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
        if (v->info().shape != ViewShape::Strip) continue;
        const float need = std::min(v->lastSize().y + v->overflowHeight(), h * 0.4f);
        // Asked once: where the rows do not fit the window either, the layout shrinks the strip
        // again, and asking every frame would relayout every frame.
        if (const auto asked = m_grownHeight.find(v); asked != m_grownHeight.end() && asked->second >= need - 1)
            continue;
        if (v->lastSize().y > 0 && v->overflowHeight() > 1 && need > v->lastSize().y + 1) {
            m_grownHeight[v] = need;
            m_relayout = true;
        }
    }
}

bool App::wantsFrames() {
    return m_firstFrame || m_relayout || rebuildStyle || pendingExport || !pendingPng.empty() || m_uploaded ||
           m_state.computing() || m_state.compilingBackend() || m_state.training().running();
}

bool App::viewsOverlap() {
    std::vector<ImRect> rects;
    for (View* v : m_views.all())
        if (const ImVec2 p = v->lastPos(), s = v->lastSize(); s.x > 0)
            rects.emplace_back(p, ImVec2(p.x + s.x, p.y + s.y));
    for (ImRect& r : rects) r.Expand(-0.5f);  // neighbours share an edge
    for (size_t i = 0; i < rects.size(); ++i)
        for (size_t j = i + 1; j < rects.size(); ++j)
            if (rects[i].Overlaps(rects[j])) return true;
    return false;
}

}  // namespace moe::gui
