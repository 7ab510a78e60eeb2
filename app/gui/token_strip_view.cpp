#include "token_strip_view.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>


namespace moe::gui {

void tokenTooltip(const AppState& state, int t) {
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    if (t < 0 || t >= r.tokens || t >= static_cast<int>(tokens.size())) return;
    const ByteToken& tok = tokens[t];
    ImGui::BeginTooltip();
    ImGui::Text("%s %d: '%s'  byte 0x%02X (%d)", tr("token"), t, displayChar(tok).c_str(), tok.byte, tok.byte);
    if (tok.charBytes > 1) ImGui::TextDisabled("byte %d of %d of this character", tok.byteInChar + 1, tok.charBytes);
    ImGui::Separator();
    ImGui::TextDisabled("%s", tr("all experts' scores"));
    float maxScore = 1e-9f;
    for (int e = 0; e < r.experts; ++e) maxScore = std::max(maxScore, r.scores(t, e));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float barW = 160 * ImGui::GetFontSize() / 17.0f, h = ImGui::GetTextLineHeight();
    for (int e = 0; e < r.experts; ++e) {
        int slot = -1;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (r.slotExpert[s] == e) slot = s;
        ImGui::Text("E%-2d", e);
        ImGui::SameLine();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(p, ImVec2(p.x + barW * r.scores(t, e) / maxScore, p.y + h * 0.8f), expertColor(e));
        ImGui::Dummy(ImVec2(barW, h));
        ImGui::SameLine();
        ImGui::Text("%.4f  logit %+.3f", r.scores(t, e), r.logits(t, e));
        if (slot >= 0) {
            ImGui::SameLine();
            if (r.slotKept[slot]) ImGui::Text("\u2605 w=%.4f", r.slotWeight[slot]);
            else ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "\u2605 w=%.4f %s", r.slotWeight[slot], tr("dropped"));
        }
    }
    // The weight formula with this token's numbers.
    const RouterConfig& cfg = state.settings().router;
    if (r.mode == RoutingMode::TokenChoice && r.slotBegin[t + 1] > r.slotBegin[t]) {
        ImGui::Separator();
        const int s0 = r.slotBegin[t];
        const int e0 = r.slotExpert[s0];
        if (cfg.renormalize) {
            float sum = 0;
            for (int s = s0; s < r.slotBegin[t + 1]; ++s) sum += r.scores(t, r.slotExpert[s]);
            ImGui::Text("w = s / \u03a3 top-k = %.4f / %.4f = %.4f", r.scores(t, e0), sum, r.slotWeight[s0]);
        } else {
            ImGui::Text("w = s = %.4f", r.slotWeight[s0]);
        }
        if (cfg.temperature > 0)
            ImGui::TextDisabled("s = softmax(logit / T), T = %.2f", cfg.temperature);
    }
    ImGui::EndTooltip();
}

void TokenStripView::drawContent(AppState& state) {
    caption("Each byte is a chip, coloured by its first-choice expert; struck-through experts were dropped.");
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    ImGui::BeginChild("##strip", ImVec2(0, 0), false);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float chipW = px(46), chipH = px(50), gap = px(2), charGap = px(10);
    const float labelH = ui().fonts.large()->FontSize + px(4);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ImFont* small = ui().fonts.regular();
    const float smallSize = small->FontSize * 0.8f;
    float x = 0, y = 0;
    int hovered = -1;
    const int T = std::min(r.tokens, static_cast<int>(tokens.size()));
    const float clipTop = ImGui::GetWindowPos().y, clipBottom = clipTop + ImGui::GetWindowHeight();
    for (int t = 0; t < T;) {
        const int n = std::max(1, tokens[t].charBytes);
        const float groupW = n * chipW + (n - 1) * gap;
        if (x > 0 && x + groupW > width) x = 0, y += chipH + labelH + px(8);
        if (origin.y + y > clipBottom || origin.y + y + chipH + labelH < clipTop) {  // scrolled out: skip
            x += groupW + charGap;
            t += n;
            continue;
        }
        for (int j = 0; j < n && t + j < T; ++j) {
            const int i = t + j;
            const ImVec2 a(origin.x + x + j * (chipW + gap), origin.y + y);
            const ImVec2 b(a.x + chipW, a.y + chipH);
            const int s0 = r.slotBegin[i], s1 = r.slotBegin[i + 1];
            const ImU32 bg = s1 > s0 ? expertColor(r.slotExpert[s0]) : IM_COL32(128, 128, 128, 255);
            dl->AddRectFilled(a, b, bg, px(4));
            if (ui().pinnedToken == i) dl->AddRect(ImVec2(a.x - px(2), a.y - px(2)), ImVec2(b.x + px(2), b.y + px(2)), kHighlight, px(5), 0, px(3));
            if (ui().highlightToken == i) dl->AddRect(a, b, IM_COL32(255, 255, 255, 255), px(4), 0, px(2.5f));
            char hex[8];
            std::snprintf(hex, sizeof hex, "%02X", tokens[i].byte);
            dl->AddText(small, small->FontSize, ImVec2(a.x + px(4), a.y + px(2)), textOn(bg), hex);
            if (n > 1) {  // the byte's place in its character, as a subscript
                const char digit[2] = {static_cast<char>('1' + j), 0};
                dl->AddText(small, smallSize * 0.85f, ImVec2(a.x + chipW - px(11), a.y + px(10)), textOn(bg), digit);
            }
            // The token's experts as small tags; a dropped one is struck through.
            float tx = a.x + px(3);
            for (int s = s0; s < s1 && tx < b.x - px(8); ++s) {
                char tag[16];
                std::snprintf(tag, sizeof tag, "%d", r.slotExpert[s]);
                const ImVec2 ta(tx, b.y - px(20)), tb(tx + px(std::strlen(tag) > 1 ? 19 : 13), b.y - px(4));
                dl->AddRectFilled(ta, tb, expertColor(r.slotExpert[s]), px(2));
                dl->AddRect(ta, tb, textOn(bg), px(2));
                dl->AddText(small, smallSize, ImVec2(ta.x + px(2), ta.y + px(1)), textOn(expertColor(r.slotExpert[s])), tag);
                if (!r.slotKept[s]) dl->AddLine(ImVec2(ta.x - px(1), tb.y), ImVec2(tb.x + px(1), ta.y), kWarning, px(2.5f));
                tx = tb.x + px(2);
            }
            if (ImGui::IsMouseHoveringRect(a, b)) hovered = i;
        }
        // The character, centred under its bytes.
        const std::string ch = displayChar(tokens[t]);
        const ImVec2 size = ui().fonts.large()->CalcTextSizeA(ui().fonts.large()->FontSize, 1e9f, 0, ch.c_str());
        dl->AddText(ui().fonts.large(), ui().fonts.large()->FontSize,
                    ImVec2(origin.x + x + (groupW - size.x) * 0.5f, origin.y + y + chipH + px(2)),
                    ImGui::GetColorU32(ImGuiCol_Text), ch.c_str());
        x += groupW + charGap;
        t += n;
    }
    ImGui::Dummy(ImVec2(width, y + chipH + labelH + px(4)));
    if (hovered >= 0) {
        ui().hoveredToken = hovered;
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ui().pinnedToken = hovered;  // the journey follows it
        tokenTooltip(state, hovered);
    }
    ImGui::EndChild();
}

} // namespace moe::gui
