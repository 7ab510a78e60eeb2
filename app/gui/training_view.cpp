#include "training_view.hpp"
#include "wrap.hpp"

#include <algorithm>
#include <cstdio>

#include "plot.hpp"
#include "sentiment_panel.hpp"
#include "train/balance_experiment.hpp"

namespace moe::gui {
namespace {

// The load at the end of a run, as the lesson states it: max/mean and the top expert.
void outcomeLine(const TrainingSnapshot& s) {
    const train::LoadOutcome o = train::loadOutcome(s.load);
    if (o.share.empty()) return;
    const int top = static_cast<int>(std::max_element(o.share.begin(), o.share.end()) - o.share.begin());
    const bool collapsed = o.maxOverMean >= 3 || o.topShare >= 0.4, balanced = o.maxOverMean <= 1.5;
    const ImU32 c = collapsed ? kWarning : balanced ? expertColor(2) : ImGui::GetColorU32(ImGuiCol_Text);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(c), "%s %.2f  ·  E%d %.0f%%  ·  CV %.2f%s", tr("max/mean"),
                       o.maxOverMean, top, 100 * o.topShare, o.cv,
                       collapsed  ? tr("  — one expert dominates")
                       : balanced ? tr("  — balanced")
                                  : "");
}

}  // namespace

void TrainingView::startExperiment(AppState& state, const std::string& kind) {
    if (kind == "sentiment") {
        state.training().sentiment().start();
        m_selectSentimentTab = true;
        state.training().pauseExplore();
        return;
    }
    state.training().startBalance();
    m_showExperiment = m_selectExperimentTab = true;
}

void TrainingView::openExperiment(AppState& state, const std::string& kind) {
    const bool ran = kind == "sentiment" ? state.training().sentiment().started() : state.training().balanceStarted();
    if (!ran) return startExperiment(state, kind);
    (kind == "sentiment" ? m_selectSentimentTab : m_selectExperimentTab) = true;
    m_showExperiment |= kind != "sentiment";
}

void TrainingView::drawContent(AppState& state) {
    caption("Train on Tang poems and English next-byte prediction; watch experts divide the bytes, or one take all.");
    if (!ImGui::BeginTabBar("##trainmode")) return;
    if (ImGui::BeginTabItem(tr("Explore"))) {
        explore(state);
        ImGui::EndTabItem();
    }
    const ImGuiTabItemFlags flags = m_selectExperimentTab ? ImGuiTabItemFlags_SetSelected : 0;
    m_selectExperimentTab = false;
    if (ImGui::BeginTabItem(tr("Balance experiment"), nullptr, flags)) {
        experiment(state);
        ImGui::EndTabItem();
    }
    const ImGuiTabItemFlags sentimentFlags = m_selectSentimentTab ? ImGuiTabItemFlags_SetSelected : 0;
    m_selectSentimentTab = false;
    if (ImGui::BeginTabItem(tr("Sentiment experiment"), nullptr, sentimentFlags)) {
        drawSentimentPanel(state.training().sentiment(), ui());
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
}

void TrainingView::explore(AppState& state) {
    TrainingLab& lab = state.training();
    if (!lab.started()) {
        lab.restart(state.settings());
        if (ui().autoTrain) lab.explore().play(true);
    }
    exploreButtons(state);
    const TrainingSnapshot& snap = lab.snapshot();
    hyperparameters(lab);
    // The other views keep their weights until training has taken a step.
    if (lab.live && snap.step > 0) {
        ModelWeights w;
        if (lab.newWeights(w)) state.useWeights(std::move(w));
    }
    exploreCharts(snap, lab.pinnedRun ? &*lab.pinnedRun : nullptr);
}

// Play, step, reset and pin; the step and speed; what training changed in the settings.
void TrainingView::exploreButtons(AppState& state) {
    TrainingLab& lab = state.training();
    TrainingSession& session = lab.explore();
    const bool playing = session.playing();
    if (ImGui::Button(playing ? tr("Pause") : tr("Play"), ImVec2(px(80), 0))) session.play(!playing);
    ImGui::SameLine();
    if (ImGui::Button(tr("Step"))) session.stepOnce();
    ImGui::SameLine();
    if (ImGui::Button(tr("Reset"))) lab.restart(state.settings());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("back to the seed's weights, with the current model and routing settings"));
    ImGui::SameLine();
    if (ImGui::Button(lab.pinnedRun ? tr("Forget run A") : tr("Pin this run as A"))) {
        if (lab.pinnedRun)
            lab.pinnedRun.reset();
        else
            lab.pinnedRun = lab.snapshot();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("keep these curves to compare the next run with (drawn in grey as A)"));
    ImGui::SameLine();
    ImGui::Checkbox(tr("live weights in every view"), &lab.live);
    ImGui::SameLine();
    const TrainingSnapshot& snap = lab.snapshot();
    ImGui::TextDisabled("%s %d  %.0f %s", tr("step"), snap.step, snap.tokensPerSecond, tr("tokens/s"));
    if (!snap.error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", snap.error.c_str());
    // Core says what it cannot train as set; the run trains the nearest model it can.
    for (const char* change : lab.changes()) ImGui::TextDisabled("%s %s", tr("training:"), tr(change));
}

void TrainingView::hyperparameters(TrainingLab& lab) {
    TrainingHyper& h = lab.hyper;
    bool tuned = false;
    const float w5 = (ImGui::GetContentRegionAvail().x - px(20)) / 5;
    const ImGuiSliderFlags logClamp = ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp;
    ImGui::PushItemWidth(w5 * 0.55f);
    tuned |= ImGui::SliderFloat(label("lr", "lr"), &h.lr, 1e-4f, 0.3f, "%.4f", logClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b1 aux", "aux"), &h.aux, 0.0f, 1.0f, "%.3f", logClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b2 z", "z"), &h.z, 0.0f, 0.1f, "%.4f", logClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b3 bias", "bias"), &h.bias, 0.0f, 0.1f, "%.4f", logClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderInt(label("batch", "batch"), &h.batch, 1, 64, "%d", ImGuiSliderFlags_AlwaysClamp);
    ImGui::PopItemWidth();
    if (tuned) lab.tune();
}

namespace {

// First-choice share of each byte class, per expert, on held-out bytes.
void specialisationTable(const TrainingSnapshot& snap) {
    ImGui::TextDisabled("%s", tr("first choices on held-out bytes: experts x byte classes"));
    if (!ImGui::BeginTable("##spec", train::kByteClasses + 1,
                           ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_Borders))
        return;
    ImGui::TableSetupColumn("");
    for (int c = 0; c < train::kByteClasses; ++c) ImGui::TableSetupColumn(tr(train::byteClassName(c)));
    ImGui::TableHeadersRow();
    std::array<int, train::kByteClasses> colTotal{};
    for (const auto& row : snap.specialisation)
        for (int c = 0; c < train::kByteClasses; ++c) colTotal[c] += row[c];
    for (size_t e = 0; e < snap.specialisation.size(); ++e) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(static_cast<int>(e))), "E%zu", e);
        for (int c = 0; c < train::kByteClasses; ++c) {
            ImGui::TableNextColumn();
            const float share = colTotal[c] ? float(snap.specialisation[e][c]) / colTotal[c] : 0.0f;
            ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, scoreColor(share));
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textOn(scoreColor(share))));
            ImGui::Text("%.0f%%", 100 * share);
            ImGui::PopStyleColor();
        }
    }
    ImGui::EndTable();
}

}  // namespace

// Curves left (a pinned run A overlaid in grey), load history and specialisation right.
void TrainingView::exploreCharts(const TrainingSnapshot& snap, const TrainingSnapshot* a) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float left = avail.x * 0.45f, ch = std::max(px(70), (avail.y - px(12)) / 3);
    ImGui::BeginGroup();
    const ImU32 grey = IM_COL32(150, 150, 150, 255);
    std::vector<PlotSeries> loss = {
        {&snap.loss.steps(), &snap.loss.values(), expertColor(1), tr("train"), 1.5f},
        {&snap.heldOut.steps(), &snap.heldOut.values(), expertColor(0), tr("held-out"), 2.5f}};
    std::vector<PlotSeries> cv = {{&snap.cv.steps(), &snap.cv.values(), expertColor(2), a ? "B" : nullptr}};
    std::vector<PlotSeries> drops = {{&snap.dropRate.steps(), &snap.dropRate.values(), kWarning, a ? "B" : nullptr}};
    if (a) {
        loss.push_back({&a->heldOut.steps(), &a->heldOut.values(), grey, "A", 2.0f});
        cv.insert(cv.begin(), {&a->cv.steps(), &a->cv.values(), grey, "A", 1.5f});
        drops.insert(drops.begin(), {&a->dropRate.steps(), &a->dropRate.values(), grey, "A", 1.5f});
    }
    lineChart(tr("loss"), tr("nats"), loss, ImVec2(left, ch));
    lineChart(tr("load CV"), tr("std/mean of assignments"), cv, ImVec2(left, ch));
    lineChart(tr("drop rate"), tr("share of assignments"), drops, ImVec2(left, ch));
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float hw = ImGui::GetContentRegionAvail().x;
    ImGui::TextDisabled("%s", tr("load per expert over the last 200 steps"));
    loadStrip(snap.load, snap.step, ImVec2(hw, std::max(px(80), avail.y * 0.45f)));
    specialisationTable(snap);
    ImGui::EndGroup();
}

void TrainingView::experiment(AppState& state) {
    TrainingLab& lab = state.training();
    if (ImGui::Button(lab.balanceStarted() ? tr("Run it again") : tr("Run the experiment")))
        startExperiment(state, "balance");
    ImGui::SameLine();
    textWrapped(
        tr("Same model, seed and data: top-1, raw-score weights, T = 0.5, learning rate 0.2, 300 steps. "
           "Left without balancing; right with the auxiliary loss, alpha = 0.3."));
    if (!lab.balanceStarted()) return;
    const std::array<TrainingSnapshot, 2>& runs = lab.balanceSnapshots();

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // The strips take what the charts' minimum and the text lines around them leave.
    const float line = ImGui::GetTextLineHeightWithSpacing(), chartMin = px(100);
    const float colW = (avail.x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    const float stripH = std::max(px(50), std::min(avail.y * 0.45f, avail.y - chartMin - line * 4));
    for (int i = 0; i < 2; ++i) {
        if (i) ImGui::SameLine();
        ImGui::BeginGroup();
        const TrainingSnapshot& s = runs[i];
        ImGui::Text("%s  ·  %s %d/%d", i ? tr("with the auxiliary loss (alpha = 0.3)") : tr("without balancing"),
                    tr("step"), s.step, train::kBalanceSteps);
        loadStrip(s.load, s.step, ImVec2(colW, stripH));
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + colW);  // the outcome wraps inside its column
        outcomeLine(s);
        ImGui::PopTextWrapPos();
        if (!s.error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", s.error.c_str());
        ImGui::EndGroup();
    }
    const float chartH = std::max(px(60), ImGui::GetContentRegionAvail().y - px(4));
    const auto& a = runs[0];
    const auto& b = runs[1];
    lineChart(tr("load CV"), tr("std/mean of assignments"),
              {{&a.cv.steps(), &a.cv.values(), kWarning, tr("without balancing")},
               {&b.cv.steps(), &b.cv.values(), expertColor(2), tr("with aux loss")}},
              ImVec2(colW, chartH));
    ImGui::SameLine();
    lineChart(tr("loss"), tr("nats"),
              {{&a.loss.steps(), &a.loss.values(), kWarning, tr("without balancing")},
               {&b.loss.steps(), &b.loss.values(), expertColor(2), tr("with aux loss")}},
              ImVec2(colW, chartH));
}

}  // namespace moe::gui
