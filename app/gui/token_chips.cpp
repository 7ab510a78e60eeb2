// The token strip's chips: one per byte, coloured by its first expert, with its expert
// tags; bytes of one character side by side over the character.
#include "routing_draw.hpp"

#include <algorithm>
#include <cstdio>

namespace moe::gui {
namespace {

float px(const Ui& ui, float v) { return v * ui.scale; }

bool comparable(const RoutingPicture& p) { return p.other && p.other->tokens == p.routing.tokens; }

// One expert tag under a chip: its number, struck through when dropped, an arrow in
// front when rerouted. Returns the tag's right edge.
float expertTag(ImDrawList* dl, ImFont* font, float size, ImVec2 at, float height, int expert, bool kept, bool rerouted,
                ImU32 border, float scale) {
    char tag[16];
    std::snprintf(tag, sizeof tag, rerouted ? "\u2192%d" : "%d", expert);
    const float w = font->CalcTextSizeA(size, 1e9f, 0, tag).x + 4 * scale;
    const ImVec2 b(at.x + w, at.y + height);
    dl->AddRectFilled(at, b, expertColor(expert), 2 * scale);
    dl->AddRect(at, b, border, 2 * scale, 0, rerouted ? 2 * scale : 1.0f);
    dl->AddText(font, size, ImVec2(at.x + 2 * scale, at.y + (height - size) * 0.5f), textOn(expertColor(expert)), tag);
    if (!kept) dl->AddLine(ImVec2(at.x - scale, b.y), ImVec2(b.x + scale, at.y), kWarning, 2.5f * scale);
    return b.x;
}

// The token's experts as tags along the chip's foot; "+n" when they do not fit.
void chipTags(ImDrawList* dl, const Routing& r, int i, ImVec2 a, ImVec2 b, ImU32 bg, const Ui& ui) {
    ImFont* small = ui.fonts.small();
    const float smallSize = small->FontSize, tagH = px(ui, 16);
    const int s0 = r.slotBegin[i], s1 = r.slotBegin[i + 1];
    float tx = a.x + px(ui, 3);
    const float tagY = b.y - tagH - px(ui, 3);
    for (int s = s0; s < s1; ++s) {
        if (r.skipped(s)) continue;  // not dispatched: not one of the token's experts
        int left = 0;
        for (int u = s; u < s1; ++u) left += !r.skipped(u);
        char more[16];
        std::snprintf(more, sizeof more, "+%d", left);
        const float tagW = small->CalcTextSizeA(smallSize, 1e9f, 0, r.rerouted(s) ? "\u219299" : "99").x + px(ui, 4);
        const float moreW = s + 1 < s1 ? small->CalcTextSizeA(smallSize, 1e9f, 0, more).x + px(ui, 2) : 0;
        if (tx + tagW + moreW > b.x - px(ui, 2) && s + 1 < s1) {
            dl->AddText(small, smallSize, ImVec2(tx, tagY + (tagH - smallSize) * 0.5f), textOn(bg), more);
            break;
        }
        tx = expertTag(dl, small, smallSize, ImVec2(tx, tagY), tagH, r.slotExpert[s], r.slotKept[s], r.rerouted(s),
                       textOn(bg), ui.scale) +
             px(ui, 2);
    }
}

// One byte's chip: its first expert's colour, the marks of A/B, the followed and the
// hovered token, the byte (j-th of n in its character), and its experts.
void drawChip(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, int i, int j, int n, ImVec2 a, ImVec2 b) {
    const Routing& r = p.routing;
    ImFont* small = ui.fonts.small();
    ImFont* tiny = ui.fonts.tiny();
    const int s0 = r.slotBegin[i], s1 = r.slotBegin[i + 1];
    const ImU32 bg = s1 > s0 ? expertColor(r.slotExpert[s0]) : IM_COL32(128, 128, 128, 255);
    dl->AddRectFilled(a, b, bg, px(ui, 4));
    if (comparable(p) && assignmentsDiffer(r, *p.other, i))
        dl->AddRect(ImVec2(a.x - px(ui, 3), a.y - px(ui, 3)), ImVec2(b.x + px(ui, 3), b.y + px(ui, 3)), kHighlight,
                    px(ui, 5), 0, px(ui, 2));
    if (ui.pinnedToken == i)
        dl->AddRect(ImVec2(a.x - px(ui, 2), a.y - px(ui, 2)), ImVec2(b.x + px(ui, 2), b.y + px(ui, 2)), kHighlight,
                    px(ui, 5), 0, px(ui, 3));
    if (ui.highlightToken == i) dl->AddRect(a, b, IM_COL32(255, 255, 255, 255), px(ui, 4), 0, px(ui, 2.5f));
    // The byte as 0xE5, the "0x" smaller so that it is not read as expert E5.
    char hex[8];
    std::snprintf(hex, sizeof hex, "%02X", p.tokens[i].byte);
    const float prefix = tiny->CalcTextSizeA(tiny->FontSize, 1e9f, 0, "0x").x;
    dl->AddText(tiny, tiny->FontSize, ImVec2(a.x + px(ui, 2), a.y + px(ui, 4)), textOn(bg), "0x");
    dl->AddText(small, small->FontSize, ImVec2(a.x + px(ui, 2) + prefix, a.y + px(ui, 2)), textOn(bg), hex);
    if (n > 1) {  // the byte's place in its character, as a subscript
        const char digit[2] = {static_cast<char>('1' + j), 0};
        dl->AddText(tiny, tiny->FontSize, ImVec2(b.x - px(ui, 9), a.y + px(ui, 12)), textOn(bg), digit);
    }
    chipTags(dl, r, i, a, b, bg, ui);
}

}  // namespace

int drawTokenChips(const RoutingPicture& p, Ui& ui, ImVec2 size, const char* id) {
    const Routing& r = p.routing;
    const auto& tokens = p.tokens;
    ImGui::BeginChild(id, size, false);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float chipW = px(ui, 50), chipH = px(ui, 52), gap = px(ui, 2), charGap = px(ui, 10);
    ImFont* large = ui.fonts.large();
    const float labelH = large->FontSize + px(ui, 4);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ui.measured["expert_tag_height"] = px(ui, 16);
    float x = 0, y = 0;
    int hovered = -1;
    const int T = std::min(r.tokens, static_cast<int>(tokens.size()));
    const float clipTop = ImGui::GetWindowPos().y, clipBottom = clipTop + ImGui::GetWindowHeight();
    for (int t = 0; t < T;) {
        const int n = std::max(1, tokens[t].charBytes);
        const float groupW = n * chipW + (n - 1) * gap;
        if (x > 0 && x + groupW > width) {
            x = 0;
            y += chipH + labelH + px(ui, 8);
        }
        if (origin.y + y > clipBottom || origin.y + y + chipH + labelH < clipTop) {  // scrolled out: skip
            x += groupW + charGap;
            t += n;
            continue;
        }
        for (int j = 0; j < n && t + j < T; ++j) {
            const ImVec2 a(origin.x + x + j * (chipW + gap), origin.y + y);
            const ImVec2 b(a.x + chipW, a.y + chipH);
            drawChip(dl, p, ui, t + j, j, n, a, b);
            if (ImGui::IsMouseHoveringRect(a, b)) hovered = t + j;
        }
        // The character, centred under its bytes.
        const std::string ch = displayChar(tokens[t]);
        const ImVec2 cs = large->CalcTextSizeA(large->FontSize, 1e9f, 0, ch.c_str());
        dl->AddText(large, large->FontSize,
                    ImVec2(origin.x + x + (groupW - cs.x) * 0.5f, origin.y + y + chipH + px(ui, 2)),
                    ImGui::GetColorU32(ImGuiCol_Text), ch.c_str());
        x += groupW + charGap;
        t += n;
    }
    ImGui::Dummy(ImVec2(width, y + chipH + labelH + px(ui, 4)));
    ImGui::EndChild();
    return hovered;
}

}  // namespace moe::gui
