#include "training_view.hpp"
#include "wrap.hpp"

#include <algorithm>
#include <cstdio>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"
#include "plot.hpp"
#include "train/balance_experiment.hpp"

namespace moe::gui {
namespace {

std::string lessonCorpus() {
    try {
        return readFile(dataPath("corpus/lesson.txt"));
    } catch (const std::exception&) {
        return {};  // the session reports the short corpus as its error
    }
}

// The load at the end of a run, as the lesson states it: max/mean and the top expert.
void outcomeLine(const TrainingSnapshot& s) {
    const train::LoadOutcome o = train::loadOutcome(s.load);
    if (o.share.empty()) return;
    const int top = static_cast<int>(std::max_element(o.share.begin(), o.share.end()) - o.share.begin());
    const bool collapsed = o.maxOverMean >= 3 || o.topShare >= 0.4, balanced = o.maxOverMean <= 1.5;
    const ImU32 c = collapsed ? kWarning : balanced ? expertColor(2) : ImGui::GetColorU32(ImGuiCol_Text);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(c), "%s %.2f  ·  E%d %.0f%%  ·  CV %.2f%s", tr("max/mean"), o.maxOverMean,
                       top, 100 * o.topShare, o.cv,
                       collapsed ? tr("  — one expert dominates") : balanced ? tr("  — balanced") : "");
}

} // namespace

void TrainingView::restart(AppState& state) {
    if (!m_session) m_session = std::make_unique<TrainingSession>();
    train::TrainConfig c;
    c.model.shape = state.settings().shape;
    c.model.shape.sharedExperts = 0;
    if (c.model.shape.activation == Activation::SwiGlu) c.model.shape.activation = Activation::Silu;
    c.model.router = state.settings().router;
    c.model.router.mode = RoutingMode::TokenChoice;
    c.model.router.score = ScoreFn::Softmax;
    c.model.router.temperature = std::max(0.05f, c.model.router.temperature);
    c.model.router.expertBias.clear();
    c.model.auxCoef = m_aux, c.model.zCoef = m_z;
    c.lr = m_lr, c.biasRate = m_bias, c.batch = m_batch;
    c.seed = state.settings().seed;
    m_session->reset(c, lessonCorpus());
    m_weightsVersion = 0;
    m_snapVersion = 0;
}

void TrainingView::startExperiment(const std::string& kind) {
    if (kind == "sentiment") {
        m_sentiment.start();
        m_selectSentimentTab = true;
        if (m_session) m_session->play(false);
        return;
    }
    const std::string corpus = lessonCorpus();
    for (int i = 0; i < 2; ++i) {
        if (!m_runs[i]) m_runs[i] = std::make_unique<TrainingSession>();
        m_runs[i]->reset(train::balanceExperimentConfig(i == 1), corpus);
        m_runs[i]->playUntil(train::kBalanceSteps);  // where the lesson's outcome is measured
        m_runVersions[i] = 0;
    }
    m_showExperiment = m_selectExperimentTab = true;
    if (m_session) m_session->play(false);  // two cores: the experiment gets them
}

void TrainingView::openExperiment(const std::string& kind) {
    const bool ran = kind == "sentiment" ? m_sentiment.started() : m_runs[0] != nullptr;
    if (!ran) return startExperiment(kind);
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
        experiment();
        ImGui::EndTabItem();
    }
    const ImGuiTabItemFlags sentimentFlags = m_selectSentimentTab ? ImGuiTabItemFlags_SetSelected : 0;
    m_selectSentimentTab = false;
    if (ImGui::BeginTabItem(tr("Sentiment experiment"), nullptr, sentimentFlags)) {
        m_sentiment.draw(ui());
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
}

void TrainingView::explore(AppState& state) {
    if (!m_session) {
        restart(state);
        if (ui().autoTrain) m_session->play(true);
    }
    const bool playing = m_session->playing();
    if (ImGui::Button(playing ? tr("Pause") : tr("Play"), ImVec2(px(80), 0))) m_session->play(!playing);
    ImGui::SameLine();
    if (ImGui::Button(tr("Step"))) m_session->stepOnce();
    ImGui::SameLine();
    if (ImGui::Button(tr("Reset"))) restart(state);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("back to the seed's weights, with the current model and routing settings"));
    ImGui::SameLine();
    if (ImGui::Button(m_pinnedRun ? tr("Forget run A") : tr("Pin this run as A"))) {
        if (m_pinnedRun) m_pinnedRun.reset();
        else m_pinnedRun = m_snap;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("keep these curves to compare the next run with (drawn in grey as A)"));
    ImGui::SameLine();
    ImGui::Checkbox(tr("live weights in every view"), &m_live);
    ImGui::SameLine();
    m_session->snapshotSince(m_snapVersion, m_snap);
    ImGui::TextDisabled("%s %d  %.0f %s", tr("step"), m_snap.step, m_snap.tokensPerSecond, tr("tokens/s"));
    if (!m_snap.error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", m_snap.error.c_str());

    bool tuned = false;
    const float w5 = (ImGui::GetContentRegionAvail().x - px(20)) / 5;
    ImGui::PushItemWidth(w5 * 0.55f);
    tuned |= ImGui::SliderFloat(label("lr", "lr"), &m_lr, 1e-4f, 0.3f, "%.4f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b1 aux", "aux"), &m_aux, 0.0f, 1.0f, "%.3f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b2 z", "z"), &m_z, 0.0f, 0.1f, "%.4f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat(label("\u03b3 bias", "bias"), &m_bias, 0.0f, 0.1f, "%.4f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderInt(label("batch", "batch"), &m_batch, 1, 64, "%d", ImGuiSliderFlags_AlwaysClamp);
    ImGui::PopItemWidth();
    if (tuned) m_session->tune(m_lr, m_aux, m_z, m_bias, m_batch);

    // The other views keep their weights until training has taken a step.
    if (m_live && m_snap.step > 0) {
        ModelWeights w;
        if (m_session->weightsSince(m_weightsVersion, w)) state.useWeights(std::move(w));
    }

    // Curves left, load history and specialisation right.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float left = avail.x * 0.45f, ch = std::max(px(70), (avail.y - px(12)) / 3);
    ImGui::BeginGroup();
    // With a pinned run A, each chart overlays it in grey.
    const TrainingSnapshot* a = m_pinnedRun ? &*m_pinnedRun : nullptr;
    const ImU32 grey = IM_COL32(150, 150, 150, 255);
    std::vector<PlotSeries> loss = {{&m_snap.loss.steps(), &m_snap.loss.values(), expertColor(1), tr("train"), 1.5f},
                                    {&m_snap.heldOut.steps(), &m_snap.heldOut.values(), expertColor(0), tr("held-out"), 2.5f}};
    std::vector<PlotSeries> cv = {{&m_snap.cv.steps(), &m_snap.cv.values(), expertColor(2), a ? "B" : nullptr}};
    std::vector<PlotSeries> drops = {{&m_snap.dropRate.steps(), &m_snap.dropRate.values(), kWarning, a ? "B" : nullptr}};
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
    loadStrip(m_snap.load, m_snap.step, ImVec2(hw, std::max(px(80), avail.y * 0.45f)));
    // Specialisation: first-choice share of each byte class, per expert.
    ImGui::TextDisabled("%s", tr("first choices on held-out bytes: experts x byte classes"));
    if (ImGui::BeginTable("##spec", train::kByteClasses + 1, ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_Borders)) {
        ImGui::TableSetupColumn("");
        for (int c = 0; c < train::kByteClasses; ++c) ImGui::TableSetupColumn(tr(train::byteClassName(c)));
        ImGui::TableHeadersRow();
        std::array<int, train::kByteClasses> colTotal{};
        for (const auto& row : m_snap.specialisation)
            for (int c = 0; c < train::kByteClasses; ++c) colTotal[c] += row[c];
        for (size_t e = 0; e < m_snap.specialisation.size(); ++e) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(static_cast<int>(e))), "E%zu", e);
            for (int c = 0; c < train::kByteClasses; ++c) {
                ImGui::TableNextColumn();
                const float share = colTotal[c] ? float(m_snap.specialisation[e][c]) / colTotal[c] : 0.0f;
                ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, scoreColor(share));
                ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textOn(scoreColor(share))));
                ImGui::Text("%.0f%%", 100 * share);
                ImGui::PopStyleColor();
            }
        }
        ImGui::EndTable();
    }
    ImGui::EndGroup();
}

void TrainingView::experiment() {
    if (ImGui::Button(m_runs[0] ? tr("Run it again") : tr("Run the experiment"))) startExperiment("balance");
    ImGui::SameLine();
    textWrapped(tr("Same model, seed and data: top-1, raw-score weights, T = 0.5, learning rate 0.2, 300 steps. "
                                 "Left without balancing; right with the auxiliary loss, alpha = 0.3."));
    if (!m_runs[0]) return;
    for (int i = 0; i < 2; ++i) m_runs[i]->snapshotSince(m_runVersions[i], m_runSnaps[i]);

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // The strips take what the charts' minimum and the text lines around them leave.
    const float line = ImGui::GetTextLineHeightWithSpacing(), chartMin = px(100);
    const float colW = (avail.x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    const float stripH = std::max(px(50), std::min(avail.y * 0.45f, avail.y - chartMin - line * 4));
    for (int i = 0; i < 2; ++i) {
        if (i) ImGui::SameLine();
        ImGui::BeginGroup();
        const TrainingSnapshot& s = m_runSnaps[i];
        ImGui::Text("%s  ·  %s %d/%d", i ? tr("with the auxiliary loss (alpha = 0.3)") : tr("without balancing"), tr("step"),
                    s.step, train::kBalanceSteps);
        loadStrip(s.load, s.step, ImVec2(colW, stripH));
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + colW);  // the outcome wraps inside its column
        outcomeLine(s);
        ImGui::PopTextWrapPos();
        if (!s.error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", s.error.c_str());
        ImGui::EndGroup();
    }
    const float chartH = std::max(px(60), ImGui::GetContentRegionAvail().y - px(4));
    const auto& a = m_runSnaps[0];
    const auto& b = m_runSnaps[1];
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

} // namespace moe::gui
