// Sharing: the state a lesson code carries, the teacher's share window, and the layout
// report the checks of a layout read.
#include "app.hpp"
#include "wrap.hpp"

#include <imgui_stdlib.h>

#include <nlohmann/json.hpp>

#include "lesson_code.hpp"
#include "settings_schema.hpp"
#include "share_code.hpp"

namespace moe::gui {

SharedState App::sharedState() {
    SharedState s;
    s.settings = m_state.settings();
    s.page = pageInfo(m_page).key;
    if (inLesson()) {
        const LessonProgress& p = *m_state.lesson();
        const bool builtin = p.lesson.path.find("lessons/moe-basics.lesson") != std::string::npos;
        s.lesson = builtin ? "builtin" : p.lesson.path;
        s.chapter = p.chapter;
    }
    s.pinnedToken = m_ui.pinnedToken;
    if (m_maximized) s.maximized = m_maximized->id();
    s.hidden.assign(m_ui.hidden.begin(), m_ui.hidden.end());
    if (m_state.pinnedA()) s.compareA = m_state.pinnedA()->settings;
    if (m_state.lm()) {
        s.model = m_state.lmName();
        s.layer = m_state.layer();
    }
    return s;
}

// What File > Share hands out: the state on screen, laid over the lesson chapter's settings.
std::string App::shareCode() {
    return encodeLessonCode(sharedState(), inLesson() ? &m_state.lesson()->lesson : nullptr);
}

void App::applySharedState(const SharedState& s) {
    m_ui.pinnedToken = s.pinnedToken;
    m_maximized = s.maximized.empty() ? nullptr : m_views.byName(s.maximized);
    if (s.compareA)
        if (const std::string e = m_state.setA(*s.compareA); !e.empty()) m_message = e;
    m_relayout = true;
}

// A read-only line of text to select, with a Copy button.
void App::copyField(const char* id, std::string& text) {
    ImGui::PushID(id);
    ImGui::SetNextItemWidth(-ImGui::CalcTextSize(tr("Copy")).x - ImGui::GetStyle().FramePadding.x * 4);
    ImGui::InputText("##text", text.data(), text.size() + 1,
                     ImGuiInputTextFlags_ReadOnly | ImGuiInputTextFlags_AutoSelectAll);
    ImGui::SameLine();
    if (ImGui::Button(tr("Copy"))) ImGui::SetClipboardText(text.c_str());
    ImGui::PopID();
}

// The code as a link to a hosted web build (README "In the browser"): students open it
// in a browser, with nothing to install. The address is saved with the preferences;
// the web build gives its own.
void App::shareLinkRows() {
    ImGui::TextDisabled("%s", tr("Web address of a moelab page (optional): the code as a link"));
    ImGui::SetNextItemWidth(-1);
    ImGui::InputTextWithHint("##web", "https://example.edu/moelab/", &m_ui.webAddress);
    m_link = shareLink(m_ui.webAddress, m_code);
    if (!m_link.empty()) copyField("##link", m_link);
}

// The teacher's window: which views and controls students see, and the code to hand out.
void App::sharePopup() {
    if (m_openShare) {
        ImGui::OpenPopup("##share");
        m_openShare = false;
    }
    ImGui::SetNextWindowSize(ImVec2(560 * m_ui.scale, 480 * m_ui.scale), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("##share", nullptr)) return;
    textWrapped(
        tr("Students who open this code (moelab gui --code CODE, or File > Open a lesson code) get "
           "this state: every setting, the text, the page and lesson chapter. Untick what they "
           "should not see."));
    m_code = shareCode();
    copyField("##code", m_code);
    shareLinkRows();
    ImGui::Separator();
    ImGui::BeginChild("##hide", ImVec2(0, -ImGui::GetFrameHeightWithSpacing()));
    const auto toggle = [&](const std::string& name, const char* shown) {
        bool visible = !m_ui.hidden.count(name);
        if (ImGui::Checkbox(shown, &visible)) {
            if (visible)
                m_ui.hidden.erase(name);
            else
                m_ui.hidden.insert(name);
            m_relayout = true;
        }
    };
    ImGui::TextDisabled("%s", tr("Views"));
    for (View* v : m_views.all())
        if (v->info().named) toggle(v->id(), label(v->title(), v->id()));
    ImGui::TextDisabled("%s", tr("Controls"));
    for (const SettingSpec& spec : settingSpecs())
        if (spec.widget != SettingWidget::None) toggle(std::string(spec.key), label(spec.label, spec.key.data()));
    ImGui::EndChild();
    if (ImGui::Button(tr("Close"))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

std::string App::layoutReport() {
    nlohmann::json views = nlohmann::json::array();
    for (View* v : m_views.all()) {
        if (!v->open()) continue;
        const ImVec2 p = v->lastPos(), s = v->lastSize();
        views.push_back({{"name", v->id()},
                         {"x", p.x},
                         {"y", p.y},
                         {"w", s.x},
                         {"h", s.y},
                         {"framed", v->highlighted()},
                         {"content_fits", v->contentFits()}});
    }
    nlohmann::json measured = nlohmann::json::object();
    for (const auto& [k, v] : m_ui.measured) measured[k] = v;
    nlohmann::json lm = nullptr;  // the language model: its layer shown and bits per byte
    const LmRun* run = m_state.lmRun();
    if (run && m_state.lm())
        lm = {{"model", m_state.lmName()},
              {"layers", run->layers.size()},
              {"layer", m_state.layer()},
              {"bits_per_byte", run->bitsPerByte},
              {"as_trained_bits_per_byte", m_state.asTrainedBitsPerByte()}};
    nlohmann::json trace = nullptr;  // a router trace: which, its layer shown, what it cannot apply
    if (const RouterTrace* t = m_state.trace())
        trace = {{"model", t->model},
                 {"layers", t->numLayers()},
                 {"layer", m_state.layer()},
                 {"tokens", t->tokenCount()},
                 {"has_logits", t->hasLogits()},
                 {"ignored", m_state.traceIgnores()},
                 {"drop_rate", m_state.result().metrics.dropRate}};
    nlohmann::json lesson = nullptr;
    if (inLesson())
        lesson = {{"chapter", m_state.lesson()->chapter + 1}, {"footer_visible", m_views.lesson.footerVisible()}};
    return nlohmann::json{
        {"window", {m_windowW, m_windowH}},
        {"scale", m_ui.scale},
        {"lesson", lesson},
        {"lm", lm},
        {"trace", trace},
        {"top", ImGui::GetFrameHeight()},
        {"bottom", m_windowH - ImGui::GetFrameHeight()},
        {"min_view", {kMinViewWidth * m_ui.scale, kMinViewHeight * m_ui.scale}},
        {"views", views},
        {"measured", measured},
        {"code", shareCode()},
        {"link", shareLink(m_ui.webAddress, shareCode())},  // "" without a web address
        {"problems", m_problems.lines()},                   // the problem dialog's last lines
        {"settings", nlohmann::json::parse(sessionJson(m_state.settings(), m_state.lmName(), m_state.layer()))}}
        .dump();
}

}  // namespace moe::gui
