#include "view.hpp"
#include "wrap.hpp"

#include <imgui_internal.h>

#include <algorithm>

namespace moe::gui {
namespace {

// Every item the window and its child windows placed lies inside what they show.
bool itemsInside(const ImGuiWindow* w) {
    constexpr float kSlack = 1.0f;
    if (w->DC.CursorMaxPos.x > w->InnerClipRect.Max.x + kSlack ||
        w->DC.CursorMaxPos.y > w->InnerClipRect.Max.y + kSlack)
        return false;
    for (const ImGuiWindow* child : w->DC.ChildWindows)
        if (child->Active && !itemsInside(child)) return false;
    return true;
}

// How far the window's or a child's items reach below what it shows.
float overflowBelow(const ImGuiWindow* w) {
    float over = std::max(0.0f, w->DC.CursorMaxPos.y - w->InnerClipRect.Max.y);
    for (const ImGuiWindow* child : w->DC.ChildWindows)
        if (child->Active) over = std::max(over, overflowBelow(child));
    return over;
}

}  // namespace

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
    if (m_highlighted) {
        ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 3.0f * m_ui.scale);
        ImGui::PushStyleColor(ImGuiCol_Border, ImGui::ColorConvertU32ToFloat4(kHighlight));
    }
    if (!m_ui.opaqueWindows) ImGui::SetNextWindowBgAlpha(0.0f);
    const bool visible = ImGui::Begin(label(m_info.title, m_info.id), &m_open, ImGuiWindowFlags_NoCollapse);
    if (m_highlighted) {
        ImGui::PopStyleColor();
        ImGui::PopStyleVar();
    }
    // A double click on the title bar (ImGui would collapse the window) asks to maximise.
    const ImGuiWindow* w = ImGui::GetCurrentWindow();
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) && ImGui::IsWindowHovered() &&
        ImGui::GetMousePos().y < w->Pos.y + w->TitleBarHeight())
        m_maximizeRequest = true;
    m_lastPos = ImGui::GetWindowPos();
    m_lastSize = ImGui::GetWindowSize();
    if (visible) drawContent(state);
    m_contentFits = !visible || itemsInside(ImGui::GetCurrentWindow());
    m_overflowHeight = visible ? overflowBelow(ImGui::GetCurrentWindow()) : 0;
    // Right click where no widget is: the view alone, for slides.
    if (exportable() &&
        ImGui::BeginPopupContextWindow("##view", ImGuiPopupFlags_MouseButtonRight | ImGuiPopupFlags_NoOpenOverItems)) {
        if (ImGui::MenuItem(tr("Export PNG (2x)..."))) m_exportRequest = ".png";
        if (hasSvg() && ImGui::MenuItem(tr("Export SVG..."))) m_exportRequest = ".svg";
        ImGui::EndPopup();
    }
    ImGui::End();  // End() is paired with Begin() always, whatever it returned
}

void View::caption(const char* english) {
    // In a small window (a big UI scale on a small screen) the caption would crowd out
    // the view: it moves to a tooltip on the title bar.
    if (ImGui::GetContentRegionAvail().y < ImGui::GetTextLineHeight() * 9) {
        const ImGuiWindow* w = ImGui::GetCurrentWindow();
        if (ImGui::IsWindowHovered() && ImGui::GetMousePos().y < w->Pos.y + w->TitleBarHeight())
            ImGui::SetTooltip("%s", tr(english));
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    textWrapped(tr(english));
    ImGui::PopStyleColor();
}

}  // namespace moe::gui
