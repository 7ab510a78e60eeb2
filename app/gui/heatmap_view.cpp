#include "heatmap_view.hpp"

#include <algorithm>
#include <cstdio>

#include "routing_draw.hpp"
#include "token_strip_view.hpp"

namespace moe::gui {

namespace {

// Sentence-level routing: one column per sentence, labelled S1, S2, ...
std::vector<ByteToken> sentenceColumns(size_t count) {
    std::vector<ByteToken> cols(count);
    for (size_t i = 0; i < count; ++i) {
        char name[24];
        std::snprintf(name, sizeof name, "S%zu", i + 1);
        cols[i].byte = 'S';  // printable: the label is the text
        cols[i].charIndex = static_cast<int>(i);
        cols[i].text = name;
    }
    return cols;
}

// The colour scale, then the switch between scores and raw logits on the same line.
void legendAndModeSwitch(Ui& ui, const Routing& r) {
    if (ui.heatmapLogits)
        logitLegend(ui, r);
    else
        scoreLegend(ui);
    ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 3);
    if (ImGui::RadioButton(tr("score"), !ui.heatmapLogits)) ui.heatmapLogits = false;
    ImGui::SameLine();
    if (ImGui::RadioButton(tr("logit"), ui.heatmapLogits)) ui.heatmapLogits = true;
}

std::string sentenceText(const AppState& state, int i) {
    const Sentence& s = state.result().sentences[i];
    std::string text = state.settings().text.substr(s.start, s.end - s.start);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

void drawSentenceMap(AppState& state, Ui& ui) {
    const LayerResult& res = state.result();
    const Routing& r = res.unitRouting;
    const std::vector<ByteToken> cols = sentenceColumns(res.sentences.size());
    const RoutingPicture pic{r, cols, 1, nullptr, ui.heatmapLogits};
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const auto [hovS, hovE] =
        drawGateMap(pic, ui, ImVec2(avail.x, avail.y - ImGui::GetFrameHeightWithSpacing()), "##heat");
    legendAndModeSwitch(ui, r);
    if (hovS < 0) return;
    const Sentence& s = res.sentences[hovS];
    ui.hoveredToken = s.start;
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ui.pinnedToken = s.start;
    ImGui::BeginTooltip();
    ImGui::Text(tr("sentence %d (%d bytes): %s"), hovS + 1, s.end - s.start, sentenceText(state, hovS).c_str());
    ImGui::Text("%s E%d: %s %.4f, %s %+.3f", tr("expert"), hovE, tr("score"), r.scores(hovS, hovE), tr("logit"),
                r.logits(hovS, hovE));
    ImGui::TextDisabled("%s",
                        tr("gate input: the mean of the sentence's byte embeddings; all its bytes follow its choice"));
    ImGui::EndTooltip();
}

}  // namespace

void HeatmapView::drawContent(AppState& state) {
    if (state.settings().router.level == RouteLevel::Sentence && !state.result().sentences.empty()) {
        caption("Sentence-level routing: one gate column per sentence; outlined cells were chosen.");
        drawSentenceMap(state, ui());
        return;
    }
    if (ui().heatmapLogits)
        caption(
            "Logit of every expert for every token (x·W_g + b, before softmax); outlined cells were chosen, X marks a "
            "dropped assignment, an arrow a rerouted one.");
    else
        caption(
            "Score of every expert for every token; outlined cells were chosen, X marks a dropped assignment, an "
            "arrow a rerouted one.");
    const Routing& r = state.result().routing;
    const auto& tokens = state.tokens();
    const int T = std::min(r.tokens, static_cast<int>(tokens.size()));
    if (T == 0 || r.experts == 0) {
        ImGui::TextDisabled("%s", tr("(no tokens)"));
        return;
    }
    const RouterConfig& cfg = state.settings().router;
    const RoutingPicture pic{r, tokens, cfg.mode == RoutingMode::TokenChoice ? cfg.groups : 1, nullptr,
                             ui().heatmapLogits};
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const auto [hovT, hovE] =
        drawGateMap(pic, ui(), ImVec2(avail.x, avail.y - ImGui::GetFrameHeightWithSpacing()), "##heat");
    legendAndModeSwitch(ui(), r);
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

}  // namespace moe::gui
