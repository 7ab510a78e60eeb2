#include "heatmap_view.hpp"

#include <algorithm>
#include <cstdio>

#include "token_strip_view.hpp"

namespace moe::gui {

void HeatmapView::drawContent(AppState& state) {
    caption("Score of every expert for every token; outlined cells were chosen, X marks a dropped assignment.");
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    const int T = std::min(r.tokens, static_cast<int>(tokens.size())), E = r.experts;
    if (T == 0 || E == 0) {
        ImGui::TextDisabled("(no tokens)");
        return;
    }
    // Experts are rows (few), tokens columns (many): the sentence reads left to right.
    const float labelW = px(34), headerH = ImGui::GetTextLineHeight() + px(4), legendH = px(22);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float cellH = std::clamp((avail.y - headerH - legendH - px(20)) / E, px(3), px(28));
    const float cellW = std::max(px(12), (avail.x - labelW) / T);
    const bool scroll = labelW + cellW * T > avail.x;
    ImGui::BeginChild("##heat", ImVec2(0, headerH + cellH * E + (scroll ? px(16) : px(2))), false,
                      scroll ? ImGuiWindowFlags_HorizontalScrollbar : 0);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImFont* font = ui().fonts.regular();
    // Character labels over the columns (on each character's first byte, when there is room).
    for (int t = 0; t < T; ++t) {
        if (tokens[t].byteInChar != 0 || cellW < px(10)) continue;
        const std::string ch = displayChar(tokens[t]);
        dl->AddText(font, font->FontSize * 0.9f, ImVec2(o.x + labelW + t * cellW + px(1), o.y),
                    ImGui::GetColorU32(ImGuiCol_Text), ch.c_str());
    }
    const float top = o.y + headerH;
    const ImVec2 clipMin = ImGui::GetWindowPos(), clipMax(clipMin.x + ImGui::GetWindowWidth(), clipMin.y + ImGui::GetWindowHeight());
    int hovT = -1, hovE = -1;
    for (int e = 0; e < E; ++e) {
        const float y = top + e * cellH;
        char name[16];
        std::snprintf(name, sizeof name, "E%d", e);
        dl->AddRectFilled(ImVec2(o.x, y + 1), ImVec2(o.x + px(6), y + cellH - 1), expertColor(e));
        if (cellH >= font->FontSize * 0.7f)
            dl->AddText(font, std::min(font->FontSize, cellH), ImVec2(o.x + px(8), y), ImGui::GetColorU32(ImGuiCol_Text), name);
        for (int t = 0; t < T; ++t) {
            const ImVec2 a(o.x + labelW + t * cellW, y), b(a.x + cellW - 1, y + cellH - 1);
            if (b.x < clipMin.x || a.x > clipMax.x) continue;  // off-screen columns cost nothing
            dl->AddRectFilled(a, b, scoreColor(r.scores(t, e)));
            if (ImGui::IsMouseHoveringRect(a, b)) hovT = t, hovE = e;
        }
    }
    // Chosen cells outlined in the expert's colour; dropped ones crossed.
    for (int t = 0; t < T; ++t) {
        const float x = o.x + labelW + t * cellW;
        if (x + cellW < clipMin.x || x > clipMax.x) continue;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            const int e = r.slotExpert[s];
            const ImVec2 a(x, top + e * cellH), b(x + cellW - 1, top + (e + 1) * cellH - 1);
            // White inside a dark ring: visible on every score colour and either theme.
            dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(0, 0, 0, 255), 0, 0, 1.0f);
            dl->AddRect(a, b, IM_COL32(255, 255, 255, 255), 0, 0, px(2));
            if (!r.slotKept[s]) {
                dl->AddLine(a, b, kWarning, px(2));
                dl->AddLine(ImVec2(a.x, b.y), ImVec2(b.x, a.y), kWarning, px(2));
            }
        }
    }
    if (ui().pinnedToken >= 0 && ui().pinnedToken < T) {
        const float x = o.x + labelW + ui().pinnedToken * cellW;
        dl->AddRect(ImVec2(x - 2, top - 2), ImVec2(x + cellW + 1, top + E * cellH + 1), kHighlight, 0, 0, px(2.5f));
    }
    if (ui().highlightToken >= 0 && ui().highlightToken < T) {
        const float x = o.x + labelW + ui().highlightToken * cellW;
        dl->AddRect(ImVec2(x - 1, top - 1), ImVec2(x + cellW, top + E * cellH), ImGui::GetColorU32(ImGuiCol_Text), 0, 0, px(1.5f));
    }
    ImGui::Dummy(ImVec2(labelW + cellW * T, headerH + cellH * E));
    ImGui::EndChild();

    // Legend: the colour scale.
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const float lw = std::min(px(200), ImGui::GetContentRegionAvail().x * 0.4f);
    for (int i = 0; i < 50; ++i)
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(l.x + i * lw / 50, l.y + px(4)), ImVec2(l.x + (i + 1) * lw / 50, l.y + px(16)),
                                                  scoreColor(i / 49.0f));
    ImGui::Dummy(ImVec2(lw, px(18)));
    ImGui::SameLine();
    ImGui::TextDisabled("%s 0 \u2192 1", tr("score"));

    if (hovT >= 0) {
        ui().hoveredToken = hovT;
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ui().pinnedToken = hovT;  // the journey follows it
        // Row and column readouts: the cell, its expert's column, its token's row.
        double mean = 0;
        for (int t = 0; t < T; ++t) mean += r.scores(t, hovE);
        mean /= T;
        ImGui::BeginTooltip();
        ImGui::Text("%s %d '%s', %s E%d: %s %.4f, %s %+.3f", tr("token"), hovT, displayChar(tokens[hovT]).c_str(),
                    tr("expert"), hovE, tr("score"), r.scores(hovT, hovE), tr("logit"), r.logits(hovT, hovE));
        ImGui::Text("E%d: mean score %.4f over %d tokens, %s %d, %s %d", hovE, mean, T, tr("requested"),
                    r.requested[hovE], tr("kept"), r.kept[hovE]);
        ImGui::EndTooltip();
        tokenTooltip(state, hovT);
    }
}

} // namespace moe::gui
