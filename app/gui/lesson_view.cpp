#include "lesson_view.hpp"
#include "wrap.hpp"

#include <cstdio>

namespace moe::gui {
namespace {
bool chinese() { return language() == Language::Chinese; }
} // namespace

void LessonView::drawContent(AppState& state) {
    if (!m_progress) return;
    LessonProgress& p = *m_progress;
    const Lesson& lesson = p.lesson;
    const LessonChapter& ch = lesson.chapters[p.chapter];
    const int n = static_cast<int>(lesson.chapters.size());

    ImGui::TextDisabled("%s", lesson.title.in(chinese()).c_str());
    // Chapter picker: "3 / 10  Softmax and temperature".
    char current[256];
    std::snprintf(current, sizeof current, "%d / %d  %s", p.chapter + 1, n, ch.title.in(chinese()).c_str());
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##chapter", current)) {
        for (int i = 0; i < n; ++i) {
            std::snprintf(current, sizeof current, "%d  %s", i + 1, lesson.chapters[i].title.in(chinese()).c_str());
            if (ImGui::Selectable(current, i == p.chapter)) m_actions.go(i, -1);
        }
        ImGui::EndCombo();
    }
    ImGui::PushFont(ui().fonts.large());
    textWrapped(ch.title.in(chinese()));
    ImGui::PopFont();
    ImGui::Spacing();

    ImGui::BeginChild("##lessonbody", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.6f));
    textWrapped(ch.text.in(chinese()));
    if (!ch.tries.empty()) {
        ImGui::Spacing();
        ImGui::TextDisabled("%s", tr("Try:"));
        const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
        for (size_t i = 0; i < ch.tries.size(); ++i) {
            const std::string& name = ch.tries[i].label.in(chinese());
            const float w = ImGui::CalcTextSize(name.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
            if (i > 0 && ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w < right) ImGui::SameLine();
            const bool active = p.activeTry == int(i);
            if (active) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
            ImGui::PushID(int(i));
            if (ImGui::Button(name.c_str())) m_actions.go(p.chapter, active ? -1 : int(i));
            ImGui::PopID();
            if (active) ImGui::PopStyleColor();
        }
    }
    if (!ch.experiment.empty()) {
        ImGui::Spacing();
        if (ImGui::Button(tr("Run the experiment"))) m_actions.experiment(ch.experiment);
    }
    if (!ch.goals.empty()) {
        ImGui::Spacing();
        ImGui::Separator();
        // The goal as the file words it (the parser requires goal.text), ticked when every
        // condition holds; the conditions themselves ("drop_rate <= 0") are not for students.
        const Routing& r = state.result().routing;
        bool met = true;
        for (const LessonGoal& g : ch.goals) met = met && goalMet(g, state.settings(), state.result().metrics, r.capacity);
        ImGui::PushStyleColor(ImGuiCol_Text, met ? ImGui::ColorConvertU32ToFloat4(expertColor(2)) : ImGui::GetStyleColorVec4(ImGuiCol_Text));
        textWrapped(std::string(met ? "\u2713 " : "\u25cb ") + ch.goalText.in(chinese()));
        ImGui::PopStyleColor();
    }
    if (!ch.question.empty()) {
        ImGui::Spacing();
        ImGui::Separator();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(0)), "%s", tr("Predict, then look:"));
        textWrapped(ch.question.in(chinese()));
        if (p.revealed) textWrapped(ch.answer.in(chinese()));
        else if (ImGui::Button(tr("Show the answer"))) p.revealed = true;
    }
    ImGui::EndChild();

    // Previous / next, as a presentation clicker sends them (PageUp / PageDown).
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

} // namespace moe::gui
