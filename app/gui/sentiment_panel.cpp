#include "sentiment_panel.hpp"
#include "wrap.hpp"

#include <algorithm>

#include "plot.hpp"
#include "style.hpp"
#include "view.hpp"

namespace moe::gui {
namespace {

const char* verdictText(train::SentimentVerdict v) {
    switch (v) {
        case train::SentimentVerdict::Sentiment:
            return N_(
                "Routing splits by sentiment, as seed 002 claims: the first choice alone tells positive from "
                "negative.");
        case train::SentimentVerdict::Language:
            return N_(
                "Routing does not split by sentiment, against seed 002's claim: it splits by language. To the gate, "
                "Chinese and English bytes differ far more than positive and negative words do; the head, not the "
                "routing, learns the sentiment.");
        case train::SentimentVerdict::Both:
            return N_(
                "Routing splits by language and by sentiment: each language has its own positive and negative "
                "experts.");
        case train::SentimentVerdict::LeansSentiment:
            return N_(
                "Routing leans towards sentiment but does not split by it: some experts take mostly positive "
                "reviews and others mostly negative ones, yet the first choice tells only a fraction of a bit. "
                "Seed 002's clean split does not appear; the head, not the routing, does most of the work.");
        case train::SentimentVerdict::LeansLanguage:
            return N_(
                "Routing leans towards language, not sentiment: to the gate, Chinese and English bytes differ more "
                "than positive and negative words do. Seed 002's claim does not hold here.");
        default:
            return N_(
                "Routing splits by neither sentiment nor language: the experts share the work without a clear "
                "specialty, and the head learns the sentiment.");
    }
}

// One row per expert: held-out first choices by sentiment, then by language. A
// cell's colour is its share of the column, so a specialised expert stands out.
void routingTable(const train::RoutingTable& t) {
    if (!ImGui::BeginTable("##sentiment", 5, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchSame)) return;
    ImGui::TableSetupColumn("");
    for (const char* h : {N_("negative"), N_("positive"), N_("Chinese"), N_("English")}) ImGui::TableSetupColumn(tr(h));
    ImGui::TableHeadersRow();
    std::array<int, 4> colTotal{};
    for (size_t e = 0; e < t.bySentiment.size(); ++e)
        for (int c = 0; c < 2; ++c) {
            colTotal[c] += t.bySentiment[e][c];
            colTotal[2 + c] += t.byLanguage[e][c];
        }
    for (size_t e = 0; e < t.bySentiment.size(); ++e) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(static_cast<int>(e))), "E%zu", e);
        for (int c = 0; c < 4; ++c) {
            const int n = c < 2 ? t.bySentiment[e][c] : t.byLanguage[e][c - 2];
            const float share = colTotal[c] ? float(n) / colTotal[c] : 0.0f;
            ImGui::TableNextColumn();
            ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, scoreColor(share));
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textOn(scoreColor(share))));
            ImGui::Text("%d  (%.0f%%)", n, 100 * share);
            ImGui::PopStyleColor();
        }
    }
    ImGui::EndTable();
}

}  // namespace

void drawSentimentPanel(SentimentRun& run, const Ui& ui) {
    const auto px = [&](float v) { return v * ui.scale; };
    const int reviews = run.reviewCount();
    const SentimentProgress progress = run.progress();
    const std::vector<int>& epochs = progress.epochs;
    const std::vector<float>& accuracy = progress.accuracy;
    const std::shared_ptr<const train::SentimentResult>& result = progress.result;
    const std::string& error = progress.error;
    const bool running = run.running();
    if (ImGui::Button(running  ? tr("Running\u2026")
                      : result ? tr("Run it again")
                               : tr("Run the experiment")) &&
        !running)
        run.start();
    ImGui::SameLine();
    const train::SentimentConfig c;
    textWrappedf(tr("Seed 002 routes whole reviews (4 experts, top-2) and says the experts will specialise in positive "
                    "and negative ones. Here: %d short reviews written for moelab, half positive, half Chinese; every "
                    "%dth is held out. Gate input: the mean embedding of the review's bytes and byte n-grams."),
                 reviews, c.heldOutEvery);
    if (!error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", error.c_str());
    if (epochs.empty()) return;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float chartW = avail.x * 0.38f;
    lineChart(tr("held-out accuracy"), tr("share correct"), {{&epochs, &accuracy, expertColor(2), nullptr, 2.0f}},
              ImVec2(chartW, std::max(px(120), avail.y - px(8))), ChartAxes{tr("epoch"), 0.5, 1.0});
    ImGui::SameLine();
    ImGui::BeginGroup();
    if (!result) {
        ImGui::Text(tr("epoch %d of %d  ·  held-out accuracy %.0f%%"), epochs.back(), c.epochs, 100 * accuracy.back());
    } else {
        ImGui::Text(tr("held-out accuracy %.1f%% (%d reviews)  ·  train %.1f%%  ·  %.1f s"),
                    100 * result->heldOutAccuracy, result->heldOutCount, 100 * result->trainAccuracy, result->seconds);
        ImGui::TextDisabled("%s", tr("first choice of each held-out review: experts x sentiment, experts x language"));
        routingTable(result->firstChoice);
        ImGui::Text(
            tr("The first choice tells %.2f bits of sentiment and %.2f bits of language (1 bit: a perfect split)."),
            result->sentimentBits, result->languageBits);
        textWrapped(tr(verdictText(train::verdict(*result))));
    }
    ImGui::EndGroup();
}

}  // namespace moe::gui
