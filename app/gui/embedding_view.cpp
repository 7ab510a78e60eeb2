#include "embedding_view.hpp"

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdio>
#include <vector>

namespace moe::gui {

namespace {

// The map's place: o its top left corner (the marks above the map), top the map's top.
struct MapBox {
    ImVec2 o;
    float top, labelW, colW, rowH, line;
};

// Hover: the byte, its character in the text, and its row as a strip.
void byteTooltip(const Mat& table, const std::vector<ByteToken>& tokens, bool inText, int b, float scale, float width,
                 float line) {
    const int D = static_cast<int>(table.cols());
    ImGui::BeginTooltip();
    ImGui::Text("0x%02X (%d)%s", b, b, inText ? tr("  · in the text") : "");
    for (const ByteToken& t : tokens)
        if (t.byte == b) {
            ImGui::SameLine();
            ImGui::TextUnformatted(displayChar(t).c_str());
            break;
        }
    const ImVec2 p = ImGui::GetCursorScreenPos();
    for (int d = 0; d < D; ++d)
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x + d * width / D, p.y),
                                                  ImVec2(p.x + (d + 1) * width / D, p.y + line),
                                                  signedColor(table(b, d) / scale));
    ImGui::Dummy(ImVec2(width, line));
    ImGui::Text("min %+.3f  max %+.3f", table.row(b).minCoeff(), table.row(b).maxCoeff());
    ImGui::EndTooltip();
}

// Axis labels: dimensions on the left, byte values below.
void axisLabels(ImDrawList* dl, int D, const MapBox& m) {
    char s[24];
    for (int d = 0; d < D; d += std::max(1, int(std::ceil(m.line / m.rowH)))) {
        std::snprintf(s, sizeof s, "%d", d);
        dl->AddText(ImVec2(m.o.x, m.top + d * m.rowH + (m.rowH - m.line) * 0.5f),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
    const float axisY = m.top + D * m.rowH + 2;
    for (int b = 0; b < 256; b += 32) {
        std::snprintf(s, sizeof s, "0x%02X", b);
        dl->AddText(ImVec2(m.o.x + m.labelW + b * m.colW, axisY), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
}

// The text's bytes marked above the map and outlined over it, the pinned one thicker.
void markBytes(ImDrawList* dl, const std::array<bool, 256>& used, int pinned, int D, const MapBox& m, float thick) {
    for (int b = 0; b < 256; ++b) {
        const float x = m.o.x + m.labelW + b * m.colW;
        if (used[b])
            dl->AddRectFilled(ImVec2(x, m.o.y), ImVec2(x + std::max(m.colW, 2.0f), m.top - 1),
                              ImGui::GetColorU32(ImGuiCol_Text));
    }
    for (int b = 0; b < 256; ++b)
        if (used[b]) {
            const float x = m.o.x + m.labelW + b * m.colW;
            dl->AddRect(ImVec2(x - 1, m.top - 1), ImVec2(x + m.colW + 1, m.top + D * m.rowH + 1),
                        b == pinned ? IM_COL32(255, 255, 255, 255) : IM_COL32(0, 0, 0, 200), 0, 0,
                        b == pinned ? thick : 1.0f);
        }
}

}  // namespace

// The table as a texture, uploaded again when the weights change.
void EmbeddingView::uploadMap(const ModelWeights& w) {
    if (m_weightsVersion == w.version && !m_map.empty()) return;
    const Mat& table = w.embed;
    const int D = static_cast<int>(table.cols());
    m_scale = 1e-6f;
    for (int i = 0; i < table.size(); ++i) m_scale = std::max(m_scale, std::abs(table.data()[i]));
    std::vector<ImU32> pixels(size_t(D) * 256);
    for (int d = 0; d < D; ++d)
        for (int b = 0; b < 256; ++b) pixels[size_t(d) * 256 + b] = signedColor(table(b, d) / m_scale);
    m_map.upload(256, D, pixels);
    m_weightsVersion = w.version;
}

void EmbeddingView::drawContent(AppState& state) {
    caption("Each byte value 0x00..0xFF owns one column of D numbers; the marked columns are the bytes of the text.");
    const Mat& table = state.weights().embed;
    const int D = static_cast<int>(table.cols());
    if (table.rows() != 256 || D == 0) return;
    std::array<bool, 256> used{};
    for (const ByteToken& t : state.tokens()) used[t.byte] = true;
    const auto& tokens = state.tokens();
    const int pinned = tokens.empty() ? -1 : tokens[std::clamp(ui().pinnedToken, 0, int(tokens.size()) - 1)].byte;
    uploadMap(state.weights());
    const float scale = m_scale;
    const float line = ImGui::GetTextLineHeight(), labelW = ImGui::CalcTextSize("D 000").x;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float mapH = std::max(px(40), avail.y - line * 3.2f), markH = px(6);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const MapBox m{o, o.y + markH, labelW, (avail.x - labelW) / 256, (mapH - markH) / D, line};
    dl->AddImage(m_map.id(), ImVec2(o.x + labelW, m.top), ImVec2(o.x + labelW + 256 * m.colW, m.top + D * m.rowH));
    markBytes(dl, used, pinned, D, m, px(2.5f));
    axisLabels(dl, D, m);
    ImGui::Dummy(ImVec2(avail.x, mapH + line + 4));
    const ImVec2 mouse = ImGui::GetMousePos();
    if (ImGui::IsWindowHovered() && mouse.x >= o.x + labelW && mouse.x < o.x + labelW + 256 * m.colW &&
        mouse.y >= o.y && mouse.y < m.top + D * m.rowH) {
        const int b = std::clamp(int((mouse.x - o.x - labelW) / m.colW), 0, 255);
        byteTooltip(table, tokens, used[b], b, scale, std::min(px(320), ImGui::GetFontSize() * 20), line);
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

}  // namespace moe::gui
