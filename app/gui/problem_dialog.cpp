#include "problem_dialog.hpp"

#include <imgui.h>

#include <algorithm>

#include "i18n.hpp"
#include "wrap.hpp"

namespace moe::gui {

constexpr float kDialogWidth = 640;  // unscaled
constexpr float kListHeight = 260;   // unscaled; a longer list scrolls

void ProblemDialog::open(const char* heading, const char* hint, std::vector<std::string> lines) {
    m_heading = heading;
    m_hint = hint;
    m_lines = std::move(lines);
    m_pending = true;
}

void ProblemDialog::draw(float scale) {
    if (m_pending) {
        ImGui::OpenPopup("###problems");
        m_pending = false;
    }
    ImGui::SetNextWindowSize(ImVec2(kDialogWidth * scale, 0), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal(label(m_heading, "problems"), nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    textWrapped(tr(m_hint), kDialogWidth * scale);
    ImGui::Separator();
    const float lineHeight = ImGui::GetTextLineHeightWithSpacing();
    const float listHeight = std::min(kListHeight * scale, lineHeight * (m_lines.size() * 2));
    ImGui::BeginChild("##problem-lines", ImVec2(kDialogWidth * scale, listHeight));
    for (const std::string& line : m_lines) textWrapped(translateMessage(line));
    ImGui::EndChild();
    if (ImGui::Button(tr("OK")) || ImGui::IsKeyPressed(ImGuiKey_Escape, false)) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

}  // namespace moe::gui
