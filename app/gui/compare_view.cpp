#include "compare_view.hpp"
#include "wrap.hpp"

#include <cstdio>

#include "routing_draw.hpp"
#include "settings_schema.hpp"

namespace moe::gui {

void CompareView::drawContent(AppState& state) {
    caption("A is the state you pinned, B the one you have now; yellow frames mark the assignments that changed.");
    if (ImGui::Button(tr("Pin the current state as A"))) state.pinA();
    const auto& a = state.pinnedA();
    if (a) {
        ImGui::SameLine();
        if (ImGui::Button(tr("Clear A"))) state.clearA();
    }
    if (!a) {
        textWrapped(tr("Nothing pinned yet: pin the current state as A, then change the settings."));
        return;
    }
    // What differs, as flags: A -> B.
    std::string diff;
    for (const SettingSpec& spec : settingSpecs())
        if (!sameValue(spec, a->settings, state.settings()) && spec.key != "text")
            diff += "  --" + std::string(spec.flag) + " " + settingText(spec, a->settings) + " \u2192 " +
                    settingText(spec, state.settings());
    if (a->settings.text != state.settings().text) diff += std::string("  ") + tr("(another text)");
    ImGui::TextDisabled("%s:%s", tr("A \u2192 B"),
                        diff.empty() ? std::string("  ").append(tr("the same settings")).c_str() : diff.c_str());

    const Routing& rb = state.result().routing;
    const Routing& ra = a->result.routing;
    const RouterConfig& cfg = state.settings().router;
    const int groupsB = cfg.mode == RoutingMode::TokenChoice ? cfg.groups : 1;
    const int groupsA = a->settings.router.mode == RoutingMode::TokenChoice ? a->settings.router.groups : 1;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float colW = (avail.x - ImGui::GetStyle().ItemSpacing.x) * 0.5f, line = ImGui::GetTextLineHeightWithSpacing();
    const float mapH = std::max(px(120), avail.y * 0.36f), chipsH = std::max(px(90), avail.y * 0.24f);
    const float barsH = std::max(px(60), avail.y - mapH - chipsH - line * 5);
    const int yMax = std::max(loadScaleTop(ra), loadScaleTop(rb));
    int changed = 0;
    if (ra.tokens == rb.tokens)
        for (int t = 0; t < rb.tokens; ++t) changed += assignmentsDiffer(ra, rb, t);
    for (int side = 0; side < 2; ++side) {
        if (side) ImGui::SameLine();
        const bool isA = side == 0;
        const Routing& r = isA ? ra : rb;
        const RoutingPicture pic{r, isA ? a->tokens : state.tokens(), isA ? groupsA : groupsB, isA ? &rb : &ra};
        ImGui::PushID(side);
        ImGui::BeginChild("##side", ImVec2(colW, 0), false, ImGuiWindowFlags_NoScrollbar);
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kHighlight), "%s", isA ? tr("A (pinned)") : tr("B (now)"));
        ImGui::SameLine();
        ImGui::TextDisabled(tr("%d of %d tokens changed"), changed, rb.tokens);
        const auto [hovT, hovE] = drawGateMap(pic, ui(), ImVec2(colW, mapH), "##map");
        if (hovT >= 0) ui().hoveredToken = hovT;
        const int hovChip = drawTokenChips(pic, ui(), ImVec2(colW, chipsH), "##chips");
        if (hovChip >= 0) ui().hoveredToken = hovChip;
        drawLoadBars(r, ui(), ImVec2(colW, barsH), yMax);  // one scale for A and B, with its axis
        drawMetricsTable(isA ? a->result.metrics : state.result().metrics, "##metrics");
        ImGui::EndChild();
        ImGui::PopID();
    }
}

}  // namespace moe::gui
