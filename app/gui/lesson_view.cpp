#include "lesson_view.hpp"
#include "wrap.hpp"

#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>

namespace moe::gui {
namespace {
bool chinese() { return language() == Language::Chinese; }
}  // namespace

void LessonView::drawContent(AppState& state) {
    if (!m_progress || !*m_progress) return;
    LessonProgress& p = **m_progress;
    const LessonChapter& ch = p.lesson.chapters[p.chapter];
    drawHeader();
    // The chapter's text scrolls; what the class acts on (the Try buttons, the challenge,
    // the question, previous / next) stays below it, in view without scrolling.
    const float minBody = ImGui::GetTextLineHeightWithSpacing() * 3;
    const float body = std::max(minBody, ImGui::GetContentRegionAvail().y - m_footerHeight);
    ImGui::BeginChild("##lessonbody", ImVec2(0, body));
    textWrapped(ch.text.in(chinese()));
    ImGui::EndChild();
    const float top = ImGui::GetCursorScreenPos().y;
    drawTries();
    drawGoals(state);
    drawQuestion();
    drawNavigation();
    m_footerHeight = ImGui::GetCursorScreenPos().y - top;
    m_footerBottom = ImGui::GetCursorScreenPos().y - ImGui::GetStyle().ItemSpacing.y;
}

bool LessonView::footerVisible() const {
    const ImVec2 pos = lastPos(), size = lastSize();
    return size.y > 0 && m_footerBottom <= pos.y + size.y + 1;
}

void LessonView::drawHeader() {
    const LessonProgress& p = **m_progress;
    const Lesson& lesson = p.lesson;
    const int n = static_cast<int>(lesson.chapters.size());
    ImGui::TextDisabled("%s", ellipsized(lesson.title.in(chinese()), ImGui::GetContentRegionAvail().x).c_str());
    // Chapter picker: "3 / 10  Softmax and temperature".
    char current[256];
    std::snprintf(current, sizeof current, "%d / %d  %s", p.chapter + 1, n,
                  lesson.chapters[p.chapter].title.in(chinese()).c_str());
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##chapter", current)) {
        for (int i = 0; i < n; ++i) {
            std::snprintf(current, sizeof current, "%d  %s", i + 1, lesson.chapters[i].title.in(chinese()).c_str());
            if (ImGui::Selectable(current, i == p.chapter)) m_actions.go(i, -1);
        }
        ImGui::EndCombo();
    }
    ImGui::PushFont(ui().fonts.large());
    textWrapped(lesson.chapters[p.chapter].title.in(chinese()));
    ImGui::PopFont();
}

// The Try buttons carry their keys (1, 2, ...): a clicker or keyboard presses them too.
void LessonView::drawTries() {
    const LessonProgress& p = **m_progress;
    const LessonChapter& ch = p.lesson.chapters[p.chapter];
    if (ch.tries.empty() && ch.experiment.empty()) return;
    ImGui::Spacing();
    ImGui::TextDisabled("%s", tr("Try:"));
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    for (size_t i = 0; i < ch.tries.size(); ++i) {
        char name[256];
        if (i < 9)
            std::snprintf(name, sizeof name, "[%zu] %s", i + 1, ch.tries[i].label.in(chinese()).c_str());
        else
            std::snprintf(name, sizeof name, "%s", ch.tries[i].label.in(chinese()).c_str());
        const float w = ImGui::CalcTextSize(name).x + ImGui::GetStyle().FramePadding.x * 2;
        if (i > 0 && ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w < right) ImGui::SameLine();
        const bool active = p.activeTry == int(i);
        if (active) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
        ImGui::PushID(int(i));
        if (ImGui::Button(name)) pressTry(int(i));
        ImGui::PopID();
        if (active) ImGui::PopStyleColor();
    }
    if (!ch.experiment.empty()) {
        if (!ch.tries.empty()) ImGui::Spacing();
        char name[256];  // numbered after the tries: its key presses it too
        std::snprintf(name, sizeof name, "[%zu] %s", ch.tries.size() + 1, tr("Run the experiment again"));
        if (ImGui::Button(name)) pressTry(int(ch.tries.size()));
    }
}

void LessonView::drawGoals(AppState& state) {
    const LessonChapter& ch = (*m_progress)->lesson.chapters[(*m_progress)->chapter];
    if (ch.goals.empty()) return;
    ImGui::Spacing();
    ImGui::Separator();
    // The goal as the file words it (the parser requires goal.text), ticked when every
    // condition holds; the conditions themselves ("drop_rate <= 0") are not for students.
    const Routing& r = state.result().routing;
    bool met = true;
    for (const LessonGoal& g : ch.goals) met = met && goalMet(g, state.settings(), state.result().metrics, r.capacity);
    ImGui::PushStyleColor(
        ImGuiCol_Text, met ? ImGui::ColorConvertU32ToFloat4(expertColor(2)) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
    textWrapped(std::string(met ? "\u2713 " : "\u25cb ") + ch.goalText.in(chinese()));
    ImGui::PopStyleColor();
}

void LessonView::drawQuestion() {
    LessonProgress& p = **m_progress;
    const LessonChapter& ch = p.lesson.chapters[p.chapter];
    if (ch.question.empty()) return;
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(0)), "%s", tr("Predict, then look:"));
    textWrapped(ch.question.in(chinese()));
    if (p.revealed)
        textWrapped(ch.answer.in(chinese()));
    else if (ImGui::Button(tr("Show the answer (A)")))
        revealAnswer();
}

// Previous / next, as a presentation clicker sends them (PageUp / PageDown).
void LessonView::drawNavigation() {
    const LessonProgress& p = **m_progress;
    const int n = static_cast<int>(p.lesson.chapters.size());
    ImGui::Spacing();
    const float bw = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x * 2) / 3;
    ImGui::BeginDisabled(p.chapter == 0);
    if (ImGui::Button(tr("\u2190 Previous"), ImVec2(bw, 0))) m_actions.go(p.chapter - 1, -1);
    ImGui::EndDisabled();
    ImGui::SameLine();
    const char* leave = ImGui::CalcTextSize(tr("Leave the lesson")).x + ImGui::GetStyle().FramePadding.x * 2 <= bw
                            ? tr("Leave the lesson")
                            : tr("Leave");  // a narrow window at 200 %
    if (ImGui::Button(leave, ImVec2(bw, 0))) m_actions.leave();
    ImGui::SameLine();
    ImGui::BeginDisabled(p.chapter + 1 >= n);
    if (ImGui::Button(tr("Next \u2192"), ImVec2(bw, 0))) m_actions.go(p.chapter + 1, -1);
    ImGui::EndDisabled();
}

void LessonView::pressTry(int index) {
    if (!m_progress || !*m_progress) return;
    const LessonProgress& p = **m_progress;
    const LessonChapter& ch = p.lesson.chapters[p.chapter];
    const int tries = static_cast<int>(ch.tries.size());
    if (index == tries && !ch.experiment.empty()) return m_actions.experiment(ch.experiment);
    if (index < 0 || index >= tries) return;
    m_actions.go(p.chapter, p.activeTry == index ? -1 : index);  // pressed again: back to the chapter's settings
}

void LessonView::revealAnswer() {
    if (m_progress && *m_progress) (*m_progress)->revealed = true;
}

}  // namespace moe::gui
