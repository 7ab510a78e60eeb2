#include "view.hpp"

namespace moe::gui {

void View::setLayout(ImVec2 pos, ImVec2 size, bool force) {
    m_pos = pos;
    m_size = size;
    m_forceLayout = force;
}

void View::draw(AppState& state) {
    if (!m_open) return;
    const ImGuiCond cond = m_forceLayout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(m_pos, cond);
    ImGui::SetNextWindowSize(m_size, cond);
    m_forceLayout = false;
    if (ImGui::Begin(label(m_title, m_id), &m_open)) drawContent(state);
    ImGui::End();  // End() is paired with Begin() always, whatever it returned
}

void View::caption(const char* english) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", tr(english));
    ImGui::PopStyleColor();
}

} // namespace moe::gui
