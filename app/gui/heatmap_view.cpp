#include "heatmap_view.hpp"

#include <algorithm>
#include <cstdio>

#include "routing_draw.hpp"
#include "token_strip_view.hpp"

namespace moe::gui {

void HeatmapView::drawContent(AppState& state) {
    caption("Score of every expert for every token; outlined cells were chosen, X marks a dropped assignment, an arrow a "
            "rerouted one.");
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    const int T = std::min(r.tokens, static_cast<int>(tokens.size()));
    if (T == 0 || r.experts == 0) {
        ImGui::TextDisabled("%s", tr("(no tokens)"));
        return;
    }
    const RouterConfig& cfg = state.settings().router;
    const RoutingPicture pic{r, tokens, cfg.mode == RoutingMode::TokenChoice ? cfg.groups : 1, nullptr};
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const auto [hovT, hovE] = drawGateMap(pic, ui(), ImVec2(avail.x, avail.y - ImGui::GetFrameHeightWithSpacing()), "##heat");
    scoreLegend(ui());
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
        ImGui::Text(tr("E%d: mean score %.4f over %d tokens, requested %d, kept %d"), hovE, mean, T, r.requested[hovE],
                    r.kept[hovE]);
        ImGui::EndTooltip();
        tokenTooltip(state, hovT);
    }
}

} // namespace moe::gui
