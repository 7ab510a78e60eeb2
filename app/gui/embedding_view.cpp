#include "embedding_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moe::gui {

void EmbeddingView::drawContent(AppState& state) {
    caption("Each byte value 0x00..0xFF owns one column of D numbers; the marked columns are the bytes of the text.");
    const Mat& table = state.weights().embed;
    const int D = static_cast<int>(table.cols());
    if (table.rows() != 256 || D == 0) return;
    std::array<bool, 256> used{};
    for (const ByteToken& t : state.tokens()) used[t.byte] = true;
    const auto& tokens = state.tokens();
    const int pinned = tokens.empty() ? -1 : tokens[std::clamp(ui().pinnedToken, 0, int(tokens.size()) - 1)].byte;

    if (m_weightsVersion != state.weights().version || m_map.empty()) {
        m_scale = 1e-6f;
        for (int i = 0; i < table.size(); ++i) m_scale = std::max(m_scale, std::abs(table.data()[i]));
        std::vector<ImU32> pixels(size_t(D) * 256);
        for (int d = 0; d < D; ++d)
            for (int b = 0; b < 256; ++b) pixels[size_t(d) * 256 + b] = signedColor(table(b, d) / m_scale);
        m_map.upload(256, D, pixels);
        m_weightsVersion = state.weights().version;
    }
    const float scale = m_scale;
    const float line = ImGui::GetTextLineHeight(), labelW = ImGui::CalcTextSize("D 000").x;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float mapH = std::max(px(40), avail.y - line * 3.2f), markH = px(6);
    const float colW = (avail.x - labelW) / 256, rowH = (mapH - markH) / D;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float top = o.y + markH;
    dl->AddImage(m_map.id(), ImVec2(o.x + labelW, top), ImVec2(o.x + labelW + 256 * colW, top + D * rowH));
    for (int b = 0; b < 256; ++b) {
        const float x = o.x + labelW + b * colW;
        if (used[b]) dl->AddRectFilled(ImVec2(x, o.y), ImVec2(x + std::max(colW, 2.0f), top - 1), ImGui::GetColorU32(ImGuiCol_Text));
    }
    for (int b = 0; b < 256; ++b)  // outline the text's bytes over the map, the pinned one thicker
        if (used[b]) {
            const float x = o.x + labelW + b * colW;
            dl->AddRect(ImVec2(x - 1, top - 1), ImVec2(x + colW + 1, top + D * rowH + 1),
                        b == pinned ? IM_COL32(255, 255, 255, 255) : IM_COL32(0, 0, 0, 200), 0, 0, b == pinned ? px(2.5f) : 1.0f);
        }
    // Axis labels: dimensions on the left, byte values below.
    char s[24];
    for (int d = 0; d < D; d += std::max(1, int(std::ceil(line / rowH)))) {
        std::snprintf(s, sizeof s, "%d", d);
        dl->AddText(ImVec2(o.x, top + d * rowH + (rowH - line) * 0.5f), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
    const float axisY = top + D * rowH + 2;
    for (int b = 0; b < 256; b += 32) {
        std::snprintf(s, sizeof s, "0x%02X", b);
        dl->AddText(ImVec2(o.x + labelW + b * colW, axisY), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
    ImGui::Dummy(ImVec2(avail.x, mapH + line + 4));
    // Hover: the byte and its row.
    const ImVec2 m = ImGui::GetMousePos();
    if (ImGui::IsWindowHovered() && m.x >= o.x + labelW && m.x < o.x + labelW + 256 * colW && m.y >= o.y && m.y < top + D * rowH) {
        const int b = std::clamp(int((m.x - o.x - labelW) / colW), 0, 255);
        ImGui::BeginTooltip();
        ImGui::Text("0x%02X (%d)%s", b, b, used[b] ? tr("  · in the text") : "");
        for (const ByteToken& t : tokens)
            if (t.byte == b) {
                ImGui::SameLine();
                ImGui::TextUnformatted(displayChar(t).c_str());
                break;
            }
        const float w = std::min(px(320), ImGui::GetFontSize() * 20), h = line;
        const ImVec2 p = ImGui::GetCursorScreenPos();
        for (int d = 0; d < D; ++d)
            ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x + d * w / D, p.y), ImVec2(p.x + (d + 1) * w / D, p.y + h),
                                                      signedColor(table(b, d) / scale));
        ImGui::Dummy(ImVec2(w, h));
        ImGui::Text("min %+.3f  max %+.3f", table.row(b).minCoeff(), table.row(b).maxCoeff());
        ImGui::EndTooltip();
    }
    // Legend: the diverging scale.
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const float lw = std::min(px(200), avail.x * 0.35f);
    for (int i = 0; i < 40; ++i)
        dl->AddRectFilled(ImVec2(l.x + i * lw / 40, l.y + 2), ImVec2(l.x + (i + 1) * lw / 40, l.y + line - 2),
                          signedColor(-1.0f + 2.0f * i / 39.0f));
    ImGui::Dummy(ImVec2(lw, line));
    ImGui::SameLine();
    ImGui::TextDisabled("%+.2f \u2026 0 \u2026 %+.2f  ·  %s", -scale, scale, tr("white: the pinned byte"));
}

} // namespace moe::gui
