#include "journey_view.hpp"
#include "layers_view.hpp"
#include "wrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moe::gui {
namespace {

float absMax(const std::vector<float>& v) {
    float m = 1e-6f;
    for (float x : v) m = std::max(m, std::abs(x));
    return m;
}

// A vector as a row of cells on the diverging scale, scaled by `scale` (its |max|).
void vectorStrip(const std::vector<float>& v, float scale, float width, float height) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = width / std::max<size_t>(1, v.size());
    for (size_t i = 0; i < v.size(); ++i)
        dl->AddRectFilled(ImVec2(p.x + i * w, p.y), ImVec2(p.x + (i + 1) * w - (w > 4 ? 1 : 0), p.y + height),
                          signedColor(v[i] / scale));
    ImGui::Dummy(ImVec2(width, height));
    if (ImGui::IsItemHovered()) {
        const int i = std::clamp(int((ImGui::GetMousePos().x - p.x) / w), 0, int(v.size()) - 1);
        ImGui::SetTooltip("[%d] = %+.4f", i, v[i]);
    }
}

// Signed bars, one per expert, around a zero line; chosen experts outlined.
void expertBars(const std::vector<float>& v, bool fromZero, const TokenJourney& j, float width, float height) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const int E = static_cast<int>(v.size());
    const float slot = width / std::max(1, E), bw = std::max(2.0f, slot * 0.7f);
    const float lo = fromZero ? 0.0f : std::min(0.0f, *std::min_element(v.begin(), v.end()));
    const float hi = std::max(1e-6f, *std::max_element(v.begin(), v.end()));
    const float zero = p.y + height * hi / (hi - lo);
    dl->AddLine(ImVec2(p.x, zero), ImVec2(p.x + width, zero), ImGui::GetColorU32(ImGuiCol_TextDisabled));
    for (int e = 0; e < E; ++e) {
        const float x = p.x + e * slot + (slot - bw) * 0.5f, y = p.y + height * (hi - v[e]) / (hi - lo);
        dl->AddRectFilled(ImVec2(x, std::min(y, zero)), ImVec2(x + bw, std::max(y, zero)), expertColor(e));
        for (const JourneyStop& s : j.stops)
            if (s.choice == e || s.expert == e)
                dl->AddRect(ImVec2(x - 2, std::min(y, zero) - 2), ImVec2(x + bw + 2, std::max(y, zero) + 2),
                            s.kept ? ImGui::GetColorU32(ImGuiCol_Text) : kWarning, 0, 0, 2.0f);
    }
    ImGui::Dummy(ImVec2(width, height));
    if (ImGui::IsItemHovered()) {
        const int e = std::clamp(int((ImGui::GetMousePos().x - p.x) / slot), 0, E - 1);
        ImGui::SetTooltip("E%d: %+.4f", e, v[e]);
    }
    // Expert names under the bars when they fit.
    if (slot >= ImGui::CalcTextSize("E00").x) {
        const float y = ImGui::GetCursorScreenPos().y;
        for (int e = 0; e < E; ++e) {
            char name[16];
            std::snprintf(name, sizeof name, "E%d", e);
            dl->AddText(ImVec2(p.x + e * slot + (slot - ImGui::CalcTextSize(name).x) * 0.5f, y),
                        ImGui::GetColorU32(ImGuiCol_TextDisabled), name);
        }
        ImGui::Dummy(ImVec2(width, ImGui::GetTextLineHeight()));
    }
}

// A numbered stage: its name in a left column, its content to the right.
bool stage(int n, const char* name, float labelW) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::Text("%d", n);
    ImGui::PopStyleColor();
    ImGui::SameLine();
    textWrapped(tr(name), labelW - ImGui::GetFontSize());
    ImGui::SameLine(labelW + ImGui::GetFontSize() * 1.5f);
    return true;
}

// The widths and heights every stage draws at.
struct StageSizes {
    float labelW, contentW, barH, cellH;
};

void byteStage(const TokenJourney& j, const StageSizes& z, ImFont* large) {
    stage(1, N_("Byte"), z.labelW);
    ImGui::PushFont(large);
    ImGui::TextUnformatted(displayChar(j.byte).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    if (j.byte.charBytes > 1)
        ImGui::Text("%s %d · 0x%02X (%d) · %s %d/%d", tr("token"), j.token, j.byte.byte, j.byte.byte, tr("byte"),
                    j.byte.byteInChar + 1, j.byte.charBytes);
    else
        ImGui::Text("%s %d · 0x%02X (%d)", tr("token"), j.token, j.byte.byte, j.byte.byte);
}

// Each stage below returns the height of the bars and strips it drew.
float embeddingStage(const TokenJourney& j, const StageSizes& z) {
    float graphics = 0;
    const bool mixed = j.input != j.embedding;
    const float vecScale = std::max(absMax(j.embedding), absMax(j.input));
    stage(2, N_("Embedding row"), z.labelW);
    ImGui::BeginGroup();
    vectorStrip(j.embedding, vecScale, z.contentW, z.cellH);
    graphics += z.cellH;
    if (mixed) {
        textDisabledWrappedf("%s", tr("after the mixer (x, with the two bytes before it):"));
        vectorStrip(j.input, vecScale, z.contentW, z.cellH);
        graphics += z.cellH;
    }
    textDisabledWrappedf("%s: %s %.2f  ·  0  ·  %s %.2f", tr("colour"), tr("blue"), -vecScale, tr("red"), vecScale);
    ImGui::EndGroup();
    return graphics;
}

float logitAndScoreStages(const TokenJourney& j, const StageSizes& z) {
    stage(3, N_("Logits h = x·W_g + b"), z.labelW);
    ImGui::BeginGroup();
    expertBars(j.logits, false, j, z.contentW, z.barH);
    ImGui::EndGroup();

    char scoreTitle[96];
    if (j.temperature > 0)
        std::snprintf(scoreTitle, sizeof scoreTitle, "%s(h / T), T = %.2f",
                      j.scoreFn == ScoreFn::Softmax ? "softmax" : "sigmoid", j.temperature);
    else
        std::snprintf(scoreTitle, sizeof scoreTitle, "%s", tr("T = 0: the argmax"));
    stage(4, N_("Scores"), z.labelW);
    ImGui::BeginGroup();
    textDisabledWrappedf("s = %s", scoreTitle);
    expertBars(j.scores, true, j, z.contentW, z.barH);
    ImGui::EndGroup();
    return 2 * z.barH;
}

void weightStage(const TokenJourney& j, const StageSizes& z) {
    stage(5, N_("Top-k and weights"), z.labelW);
    ImGui::BeginGroup();
    for (const JourneyStop& s : j.stops) {
        if (j.renormalize)
            textWrappedf("w(E%d) = s%d / \u03a3 top-k = %.4f / %.4f = %.4f", s.expert, s.expert, s.score,
                         j.chosenScoreSum, s.weight);
        else
            textWrappedf("w(E%d) = s%d = %.4f", s.expert, s.expert, s.weight);
    }
    if (j.stops.empty()) ImGui::TextDisabled("%s", tr("no expert took this token"));
    ImGui::EndGroup();
}

void capacityStage(const TokenJourney& j, const StageSizes& z) {
    stage(6, N_("Capacity"), z.labelW);
    ImGui::BeginGroup();
    const std::string capText = j.capacity < 0 ? std::string(tr("none (dropless)")) : std::to_string(j.capacity);
    for (const JourneyStop& s : j.stops) {
        if (s.skipped)
            ImGui::TextDisabled("\u2013 E%d: %s", s.choice, tr("not dispatched (random routing: 2\u00b7w2 \u2264 u)"));
        else if (!s.kept)
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "\u00d7 E%d %s (%s): %s", s.choice,
                               tr("was full"), capText.c_str(), tr("dropped"));
        else if (s.rerouted)
            ImGui::Text("\u2192 E%d %s \u2192 %s E%d, %s %d %s %s", s.choice, tr("was full"), tr("rerouted to"),
                        s.expert, tr("place"), s.place + 1, tr("of"), capText.c_str());
        else
            ImGui::Text("\u2713 E%d: %s %d %s %s", s.expert, tr("place"), s.place + 1, tr("of"), capText.c_str());
    }
    ImGui::EndGroup();
}

// Each kept expert's output and the shared experts', then their weighted sum.
float outputStages(const TokenJourney& j, const StageSizes& z) {
    float graphics = 0;
    stage(7, N_("Expert outputs"), z.labelW);
    ImGui::BeginGroup();
    float outScale = absMax(j.output);
    for (const JourneyStop& s : j.stops) outScale = std::max(outScale, absMax(s.expertOutput));
    for (const JourneyStop& s : j.stops) {
        if (!s.kept) continue;
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(expertColor(s.expert)), "E%d(x) \u00b7 w = %.4f", s.expert,
                           s.weight);
        vectorStrip(s.expertOutput, outScale, z.contentW, z.cellH);
        graphics += z.cellH;
    }
    for (size_t i = 0; i < j.sharedOutputs.size(); ++i) {
        ImGui::TextDisabled("%s %zu (w = 1)", tr("shared expert"), i);
        vectorStrip(j.sharedOutputs[i], outScale, z.contentW, z.cellH);
        graphics += z.cellH;
    }
    ImGui::EndGroup();

    stage(8, N_("Output y = \u03a3 w\u00b7E(x)"), z.labelW);
    ImGui::BeginGroup();
    std::string formula = "y =";
    char term[48];
    for (const JourneyStop& s : j.stops)
        if (s.kept) {
            std::snprintf(term, sizeof term, "%s %.3f\u00b7E%d(x)", formula.size() > 3 ? " +" : "", s.weight, s.expert);
            formula += term;
        }
    if (!j.sharedOutputs.empty()) formula += tr(" + shared");
    if (formula.size() == 3) formula += " 0";
    textWrapped(formula);
    vectorStrip(j.output, outScale, z.contentW, z.cellH);
    graphics += z.cellH;
    textDisabledWrappedf("%s: %s %.2f  ·  0  ·  %s %.2f", tr("colour"), tr("blue"), -outScale, tr("red"), outScale);
    ImGui::EndGroup();
    return graphics;
}

}  // namespace

// The squeeze at which the text and the full-size graphics fill the child's height.
void JourneyView::fitNextFrame(float graphics) {
    const float used = ImGui::GetCursorPosY() - ImGui::GetStyle().ItemSpacing.y, avail = ImGui::GetWindowHeight();
    const float text = used - graphics, fullGraphics = graphics / m_squeeze;
    if (fullGraphics > 0) m_squeeze = std::clamp((avail - text) / fullGraphics, 0.3f, 1.0f);
}

void JourneyView::drawContent(AppState& state) {
    const Routing& r = state.result().routing;
    if (r.tokens == 0) {
        ImGui::TextDisabled("%s", tr("(no tokens)"));
        return;
    }
    int& t = ui().pinnedToken;
    t = std::clamp(t, 0, r.tokens - 1);
    if (state.lmRun()) {  // the language model: the byte through every layer
        caption(
            "Click a byte in the token strip or the Layers view to follow it; the arrow keys step to its neighbours.");
        drawLmJourney(state, ui(), t);
        return;
    }
    if (m_version != state.resultVersion() || m_token != t) {
        m_journey = traceToken(state.weights(), state.settings().router, state.settings().text, state.inputs(),
                               state.result(), t);
        m_version = state.resultVersion();
        m_token = t;
    }
    const TokenJourney& j = m_journey;
    caption(
        "Click a byte in the token strip or a column of the gate scores to follow it; the arrow keys step to its "
        "neighbours.");
    ImGui::BeginChild("##journey");
    StageSizes z;
    z.labelW = std::min(px(150), ImGui::GetContentRegionAvail().x * 0.3f);
    z.contentW = std::max(px(60), ImGui::GetContentRegionAvail().x - z.labelW - ImGui::GetFontSize() * 2);
    // Bars and strips shrink (m_squeeze, from the last frame) so that all eight stages show
    // without scrolling; the text keeps its size.
    z.barH = std::max(px(30), ImGui::GetTextLineHeight() * 2.2f) * m_squeeze;
    z.cellH = std::max(px(4), ImGui::GetTextLineHeight() * m_squeeze);
    byteStage(j, z, ui().fonts.large());
    float graphics = embeddingStage(j, z);  // the height of this frame's bars and strips
    graphics += logitAndScoreStages(j, z);
    weightStage(j, z);
    capacityStage(j, z);
    graphics += outputStages(j, z);
    fitNextFrame(graphics);
    ImGui::EndChild();
}

}  // namespace moe::gui
