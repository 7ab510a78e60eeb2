#include "token_strip_view.hpp"

#include "routing_draw.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace moe::gui {

namespace {

// One expert's score bar, logit, and what became of the token there.
void expertScoreRow(const Routing& r, int t, int e, float maxScore) {
    int slot = -1, asked = -1;
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
        if (r.slotExpert[s] == e) slot = s;
        if (r.slotChoice[s] == e && r.rerouted(s)) asked = s;
    }
    const float barW = 160 * ImGui::GetFontSize() / 17.0f, h = ImGui::GetTextLineHeight();
    ImGui::Text("E%-2d", e);
    ImGui::SameLine();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + barW * r.scores(t, e) / maxScore, p.y + h * 0.8f),
                                              expertColor(e));
    ImGui::Dummy(ImVec2(barW, h));
    ImGui::SameLine();
    ImGui::Text("%.4f  logit %+.3f", r.scores(t, e), r.logits(t, e));
    ImGui::SameLine();
    const ImVec4 warning = ImGui::ColorConvertU32ToFloat4(kWarning);
    if (slot >= 0 && r.slotKept[slot] && r.rerouted(slot))
        ImGui::Text("\u2192 w=%.4f %s E%d", r.slotWeight[slot], tr("rerouted from"), r.slotChoice[slot]);
    else if (slot >= 0 && r.slotKept[slot])
        ImGui::Text("\u2605 w=%.4f", r.slotWeight[slot]);
    else if (slot >= 0)
        ImGui::TextColored(warning, "\u2605 w=%.4f %s", r.slotWeight[slot], tr("dropped"));
    else if (asked >= 0)
        ImGui::TextColored(warning, "\u2605 %s \u2192 E%d", tr("full"), r.slotExpert[asked]);
    else
        ImGui::NewLine();
}

// The weight formula with this token's numbers.
void weightFormula(const Routing& r, const RouterConfig& cfg, int t) {
    if (r.mode != RoutingMode::TokenChoice || r.slotBegin[t + 1] <= r.slotBegin[t]) return;
    ImGui::Separator();
    const int s0 = r.slotBegin[t];
    const int e0 = r.slotExpert[s0];
    if (cfg.renormalize) {
        float sum = 0;  // over the k original choices, as the weights were fixed before capacity
        for (int s = s0; s < r.slotBegin[t + 1]; ++s) sum += r.scores(t, r.slotChoice[s]);
        ImGui::Text("w = s / \u03a3 top-k = %.4f / %.4f = %.4f", r.scores(t, e0), sum, r.slotWeight[s0]);
    } else {
        ImGui::Text("w = s = %.4f", r.slotWeight[s0]);
    }
    if (cfg.temperature > 0)
        ImGui::TextDisabled("s = %s(logit / T), T = %.2f", cfg.score == ScoreFn::Softmax ? "softmax" : "sigmoid",
                            cfg.temperature);
}

}  // namespace

void tokenTooltip(const AppState& state, int t) {
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    if (t < 0 || t >= r.tokens || t >= static_cast<int>(tokens.size())) return;
    const ByteToken& tok = tokens[t];
    ImGui::BeginTooltip();
    ImGui::Text("%s %d: '%s'  %s 0x%02X (%d)", tr("token"), t, displayChar(tok).c_str(), tr("byte"), tok.byte,
                tok.byte);
    if (tok.charBytes > 1)
        ImGui::TextDisabled(tr("byte %d of %d of this character"), tok.byteInChar + 1, tok.charBytes);
    ImGui::Separator();
    ImGui::TextDisabled("%s", tr("all experts' scores"));
    float maxScore = 1e-9f;
    for (int e = 0; e < r.experts; ++e) maxScore = std::max(maxScore, r.scores(t, e));
    for (int e = 0; e < r.experts; ++e) expertScoreRow(r, t, e, maxScore);
    weightFormula(r, state.settings().router, t);
    ImGui::EndTooltip();
}

void TokenStripView::drawContent(AppState& state) {
    caption(
        "Each byte is a chip (its value in hex), coloured by its first-choice expert; the tags are its experts: "
        "struck through = dropped, \u2192 = rerouted.");
    const RoutingPicture pic{state.result().routing, state.tokens(), 1, nullptr};
    const int hovered = drawTokenChips(pic, ui(), ImVec2(0, 0), "##strip");
    if (hovered >= 0) {
        ui().hoveredToken = hovered;
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ui().pinnedToken = hovered;  // the journey follows it
        tokenTooltip(state, hovered);
    }
}

}  // namespace moe::gui
