#include "training_view.hpp"

#include <algorithm>
#include <cstdio>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"

namespace moe::gui {
namespace {

// A line chart of up to two series over steps, min..max scaled.
void chart(const char* title, const train::Series& a, ImU32 ca, const train::Series* b, ImU32 cb, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), ImGui::GetColorU32(ImGuiCol_FrameBg));
    float lo = 1e30f, hi = -1e30f;
    int last = 1;
    for (const train::Series* s : {&a, b}) {
        if (!s) continue;
        for (float v : s->values()) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!s->empty()) last = std::max(last, s->steps().back());
    }
    if (lo > hi) lo = 0, hi = 1;
    if (hi - lo < 1e-6f) hi = lo + 1e-6f;
    const auto pt = [&](int step, float v) {
        return ImVec2(p.x + size.x * step / last, p.y + size.y - 2 - (v - lo) / (hi - lo) * (size.y - 4));
    };
    const auto line = [&](const train::Series& s, ImU32 c, float width) {
        for (size_t i = 1; i < s.size(); ++i)
            dl->AddLine(pt(s.steps()[i - 1], s.values()[i - 1]), pt(s.steps()[i], s.values()[i]), c, width);
    };
    line(a, ca, 1.5f);
    if (b) line(*b, cb, 2.0f);
    char label[96];
    std::snprintf(label, sizeof label, "%s  %.3f", title, a.last());
    dl->AddText(ImVec2(p.x + 4, p.y + 2), ImGui::GetColorU32(ImGuiCol_Text), label);
    ImGui::Dummy(size);
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
    std::string corpus;
    try {
        corpus = readFile(dataPath("corpus/lesson.txt"));
    } catch (const std::exception& e) {
        corpus.clear();
    }
    m_session->reset(c, corpus);
    m_weightsVersion = 0;
    m_snapVersion = 0;
}

void TrainingView::drawContent(AppState& state) {
    caption("Train on Tang poems and English next-byte prediction; watch experts divide the bytes, or one take all.");
    if (!m_session) {
        restart(state);
        if (ui().autoTrain) m_session->play(true);
    }
    const bool playing = m_session->playing();
    if (ImGui::Button(playing ? "Pause" : "Play", ImVec2(px(70), 0))) m_session->play(!playing);
    ImGui::SameLine();
    if (ImGui::Button("Step")) m_session->stepOnce();
    ImGui::SameLine();
    if (ImGui::Button("Reset")) restart(state);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("back to the seed's weights, with the current model and routing settings");
    ImGui::SameLine();
    ImGui::Checkbox("live weights in every view", &m_live);
    ImGui::SameLine();
    m_session->snapshotSince(m_snapVersion, m_snap);
    ImGui::TextDisabled("step %d  %.0f tokens/s", m_snap.step, m_snap.tokensPerSecond);
    if (!m_snap.error.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", m_snap.error.c_str());

    bool tuned = false;
    const float w4 = (ImGui::GetContentRegionAvail().x - px(20)) / 5;
    ImGui::PushItemWidth(w4 * 0.55f);
    tuned |= ImGui::SliderFloat("lr", &m_lr, 1e-4f, 1e-1f, "%.4f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat("\u03b1 aux", &m_aux, 0.0f, 0.1f, "%.3f", ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat("\u03b2 z", &m_z, 0.0f, 0.01f, "%.4f", ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderFloat("\u03b3 bias", &m_bias, 0.0f, 0.01f, "%.4f", ImGuiSliderFlags_AlwaysClamp);
    ImGui::SameLine();
    tuned |= ImGui::SliderInt("batch", &m_batch, 1, 64, "%d", ImGuiSliderFlags_AlwaysClamp);
    ImGui::PopItemWidth();
    if (tuned) m_session->tune(m_lr, m_aux, m_z, m_bias, m_batch);

    if (m_live) {
        ModelWeights w;
        if (m_session->weightsSince(m_weightsVersion, w)) state.useWeights(std::move(w));
    }

    // Curves left, load history and specialisation right.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float left = avail.x * 0.42f, ch = std::max(px(40), (avail.y - px(12)) / 3);
    ImGui::BeginGroup();
    chart("loss (train; held-out thick)", m_snap.loss, expertColor(1), &m_snap.heldOut, expertColor(0), ImVec2(left, ch));
    chart("load CV", m_snap.cv, expertColor(2), nullptr, 0, ImVec2(left, ch));
    chart("drop rate", m_snap.dropRate, kWarning, nullptr, 0, ImVec2(left, ch));
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int E = m_snap.specialisation.empty() ? state.settings().shape.experts : static_cast<int>(m_snap.specialisation.size());
    // Expert x step: each column one step, brightness = the expert's share of that step.
    const float hw = ImGui::GetContentRegionAvail().x, hh = std::max(px(40), avail.y * 0.45f);
    ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::TextDisabled("load per expert over the last %zu steps", TrainingSession::kLoadHistory);
    p.y += ImGui::GetTextLineHeight();
    const float cw = hw / TrainingSession::kLoadHistory, rh = (hh - ImGui::GetTextLineHeight()) / std::max(1, E);
    for (size_t s = 0; s < m_snap.load.size(); ++s) {
        const auto& l = m_snap.load[s];
        int total = 0;
        for (int v : l) total += v;
        for (int e = 0; e < static_cast<int>(l.size()); ++e)
            dl->AddRectFilled(ImVec2(p.x + s * cw, p.y + e * rh), ImVec2(p.x + (s + 1) * cw, p.y + (e + 1) * rh),
                              // mid-scale = a fair share 1/E; bright = twice that or more
                              scoreColor(total ? std::min(1.0f, 0.5f * l[e] * E / float(total)) : 0.0f));
    }
    ImGui::Dummy(ImVec2(hw, hh - ImGui::GetTextLineHeight()));
    // Specialisation: first-choice share of each byte class, per expert.
    ImGui::TextDisabled("first choices on held-out bytes: experts x byte classes");
    if (ImGui::BeginTable("##spec", train::kByteClasses + 1, ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_Borders)) {
        ImGui::TableSetupColumn("");
        for (int c = 0; c < train::kByteClasses; ++c) ImGui::TableSetupColumn(train::byteClassName(c));
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

} // namespace moe::gui
