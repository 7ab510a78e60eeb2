#include "layers_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "next_byte_panel.hpp"
#include "wrap.hpp"

namespace moe::gui {

void layerControl(AppState& state, Ui& ui, bool hint) {
    const int layers = state.layerCount();
    if (layers == 0) return;
    int shown = state.layer();
    ImGui::TextUnformatted(tr("Layer"));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x * 0.4f, ui.scale * 160));
    if (ImGui::SliderInt("##layer", &shown, 0, layers - 1, "L%d")) state.setLayer(shown);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("[ and ] step the layer every routing view shows"));
    if (!hint) return;
    ImGui::SameLine();
    ImGui::TextDisabled("%s", tr("[ and ] step the layer every routing view shows"));
    ui.measured["layer"] = float(state.layer());
}

namespace {

// One square per expert in its colour, with its name.
void expertLegend(int experts) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float s = ImGui::GetTextLineHeight() * 0.8f;
    ImGui::TextDisabled("%s", tr("first choice:"));
    for (int e = 0; e < experts; ++e) {
        ImGui::SameLine();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(ImVec2(p.x, p.y + s * 0.15f), ImVec2(p.x + s, p.y + s * 1.15f), expertColor(e));
        ImGui::Dummy(ImVec2(s, s));
        ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 0.5f);
        ImGui::Text("E%d", e);
    }
}

}  // namespace

std::vector<LayersView::TextCell> LayersView::wrapCells(const std::vector<ByteToken>& tokens, float width, float pad) {
    std::vector<TextCell> cells;
    float x = 0;
    int line = 0;
    for (size_t t = 0; t < tokens.size();) {
        const ByteToken& lead = tokens[t];
        TextCell c;
        c.token = int(t);
        c.bytes = std::max(1, std::min<int>(lead.byteInChar == 0 ? lead.charBytes : 1, int(tokens.size() - t)));
        c.shown = lead.byte == '\n' ? "\\n" : displayChar(lead);
        c.w = ImGui::CalcTextSize(c.shown.c_str()).x + pad;
        if (x + c.w > width && x > 0) {
            x = 0;
            ++line;
        }
        c.x = x;
        c.line = line;
        x += c.w;
        t += c.bytes;
        cells.push_back(std::move(c));
    }
    return cells;
}

void LayersView::drawContent(AppState& state) {
    const LmRun* run = state.lmRun();
    if (!run || run->layers.empty()) {
        caption(
            "The language model's layers show here: choose Model > Language model (tiny-lm, 4 layers), or open a "
            "router trace (File > Open a router trace).");
        return;
    }
    caption("The text once per layer, each byte coloured by the expert the layer chose first (Mixtral's Fig. 8).");
    layerControl(state, ui(), true);
    drawNextBytePanel(state, ui());
    expertLegend(state.settings().shape.experts);
    // The rows take what they need (at most what is there); the chart what is left, when
    // that is enough to read it. Nothing scrolls.
    const float avail = ImGui::GetContentRegionAvail().y, line = ImGui::GetTextLineHeight();
    const float minChart = line * 5, spacing = ImGui::GetStyle().ItemSpacing.y;
    const float labelW = ImGui::CalcTextSize("L00 ").x;
    const std::vector<TextCell> cells = wrapCells(state.tokens(), ImGui::GetContentRegionAvail().x - labelW, px(2));
    const int lines = cells.empty() ? 1 : cells.back().line + 1;
    const float rowsH = std::min(rowsHeight(lines, int(run->layers.size())), avail - spacing);
    drawTextRows(state, cells, labelW, std::max(line, rowsH));
    const float left = ImGui::GetContentRegionAvail().y;
    if (left >= minChart)
        drawAnalysis(state, std::min(left, line * 10));
    else if (left >= line)
        ImGui::TextDisabled("%s",
                            tr("The per-layer chart needs a taller view: double-click the title to maximise it."));
}

float LayersView::rowLineHeight() const { return ImGui::GetTextLineHeight() * 1.25f; }

// The height of every layer's text in `lines` lines.
float LayersView::rowsHeight(int lines, int layers) const {
    return layers * (lines * rowLineHeight() + px(3) + ImGui::GetStyle().ItemSpacing.y);
}

// One layer's row: each character a cell split into its bytes, each byte's slice in
// the colour of the layer's first choice for it. Sets `hovered` to the byte under the mouse.
void LayersView::drawLayerRow(const AppState& state, int layer, const std::vector<TextCell>& cells,
                              const RowGeometry& g, int& hovered) {
    const std::vector<int> first = firstChoices(state.lmRun()->layers[layer].routing);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos(), mouse = ImGui::GetMousePos();
    char label[16];
    std::snprintf(label, sizeof label, "L%d", layer);
    const ImU32 labelColour = ImGui::GetColorU32(layer == state.layer() ? ImGuiCol_Text : ImGuiCol_TextDisabled);
    const float pitch = g.lineH + px(3) + ImGui::GetStyle().ItemSpacing.y;  // a row's height with its gap
    dl->AddText(ImGui::GetFont(), std::min(ImGui::GetFontSize(), pitch), origin, labelColour, label);
    int lastLine = 0;
    for (const TextCell& cell : cells) {
        if (cell.line >= g.maxLines) break;  // the rest of the text does not fit
        lastLine = cell.line;
        const int t = cell.token, n = cell.bytes;
        const float w = cell.w;
        const ImVec2 p(origin.x + g.labelW + cell.x, origin.y + cell.line * g.lineH), q(p.x + w, p.y + g.lineH - px(1));
        for (int b = 0; b < n; ++b) {
            const int e = first[t + b];
            const ImU32 c = e < 0 ? ImGui::GetColorU32(ImGuiCol_FrameBg) : expertColor(e);
            dl->AddRectFilled(ImVec2(p.x + w * b / n, p.y), ImVec2(p.x + w * (b + 1) / n, q.y), c);
        }
        const ImU32 lead0 = first[t] < 0 ? ImGui::GetColorU32(ImGuiCol_FrameBg) : expertColor(first[t]);
        if (g.showText) dl->AddText(ImVec2(p.x + px(1), p.y + g.lineH * 0.1f), textOn(lead0), cell.shown.c_str());
        if (ImGui::IsWindowHovered() && mouse.x >= p.x && mouse.x < q.x && mouse.y >= p.y && mouse.y < p.y + g.lineH)
            hovered = t + std::clamp(int((mouse.x - p.x) / w * n), 0, n - 1);
        if (t <= ui().pinnedToken && ui().pinnedToken < t + n) dl->AddRect(p, q, kHighlight, 0, 0, px(1.5f));
    }
    ImGui::Dummy(ImVec2(g.labelW + g.width, lastLine * g.lineH + g.lineH + px(3)));
}

// Rows = layers, as many lines per layer as the height holds; the shown layer's label is marked.
void LayersView::drawTextRows(AppState& state, const std::vector<TextCell>& cells, float labelW, float height) {
    const LmRun& run = *state.lmRun();
    ImGui::BeginChild("##layerrows", ImVec2(0, height), false, ImGuiWindowFlags_NoScrollbar);
    RowGeometry g;
    g.labelW = labelW;
    g.width = ImGui::GetContentRegionAvail().x - labelW;
    const int layers = int(run.layers.size());
    const float rowGaps = layers * (px(3) + ImGui::GetStyle().ItemSpacing.y);
    // Every layer shows: where a line of text each does not fit, thinner colour strips.
    g.lineH = std::max(px(4), std::min(rowLineHeight(), (height - rowGaps) / layers));
    g.showText = g.lineH >= ImGui::GetTextLineHeight();
    g.maxLines = std::max(1, int((height - rowGaps) / (layers * g.lineH) + 0.01f));
    int hoveredLayer = -1, hoveredToken = -1, rowsInView = 0;
    for (int l = 0; l < layers; ++l) {
        int hovered = -1;
        drawLayerRow(state, l, cells, g, hovered);
        rowsInView += ImGui::GetCursorPosY() <= height + 0.5f;  // the row ended inside the child
        if (hovered >= 0) {
            hoveredLayer = l;
            hoveredToken = hovered;
        }
    }
    if (hoveredToken >= 0) layerByteTooltip(state, hoveredLayer, hoveredToken);
    ImGui::EndChild();
    ui().measured["layer_rows_in_view"] = float(rowsInView);
}

void LayersView::layerByteTooltip(const AppState& state, int layer, int token) {
    ui().hoveredToken = token;
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) ui().pinnedToken = token;
    const Routing& r = state.lmRun()->layers[layer].routing;
    ImGui::BeginTooltip();
    ImGui::Text(tr("layer %d, byte %d (0x%02X)"), layer, token, state.tokens()[token].byte);
    for (int s = r.slotBegin[token]; s < r.slotBegin[token + 1]; ++s)
        if (!r.skipped(s))
            ImGui::Text("E%d  %.3f%s", r.slotExpert[s], r.slotWeight[s], r.slotKept[s] ? "" : tr(" (dropped)"));
    ImGui::EndTooltip();
}

// Per layer: the share of neighbouring bytes with the same first choice (bar) against
// chance (line), and token specialisation (bar).
void LayersView::drawAnalysis(const AppState& state, float height) {
    const LmRun* run = state.lmRun();
    if (m_statsOf != run || m_statsVersion != state.resultVersion()) {
        std::vector<Routing> routings;
        for (const LayerResult& l : run->layers) routings.push_back(l.routing);
        m_stats = analyzeRouting(routings, state.trace() ? state.trace()->tokens : byteValues(state.settings().text));
        m_statsOf = run;
        m_statsVersion = state.resultVersion();
    }
    // The bars on the left three fifths, the capacity sweep on the rest.
    const float full = ImGui::GetContentRegionAvail().x, w = full * 0.6f;
    ImGui::TextUnformatted(
        ellipsized(tr("Per layer: neighbours with the same first expert (bar) vs chance (line); token specialisation"),
                   w)
            .c_str());
    const ImVec2 p = ImGui::GetCursorScreenPos();
    // The title, the bars (their labels above them), the layer names and the legend fill `height`.
    const float line = ImGui::GetTextLineHeight();
    const float h = std::max(px(20), height - ImGui::GetTextLineHeightWithSpacing() * 3 - px(2));
    drawSweep(state, ImVec2(p.x + w + px(12), p.y - ImGui::GetTextLineHeightWithSpacing()), full - w - px(12),
              h + ImGui::GetTextLineHeightWithSpacing() * 2);
    const float top = line;  // room for the tallest bar's label
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int L = int(m_stats.size());
    const float slot = w / std::max(1, L), bw = slot * 0.3f;
    const ImU32 sameC = IM_COL32(86, 180, 233, 255), specC = IM_COL32(230, 159, 0, 255);
    dl->AddLine(ImVec2(p.x, p.y + h), ImVec2(p.x + w, p.y + h), ImGui::GetColorU32(ImGuiCol_TextDisabled));
    for (int l = 0; l < L; ++l) {
        const LayerRoutingStats& s = m_stats[l];
        const float x = p.x + l * slot + slot * 0.15f;
        auto bar = [&](float x0, double v, ImU32 c) {
            if (std::isnan(v)) return;
            const float y = p.y + top + (h - top) * float(1 - v);
            dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + bw, p.y + h), c);
            char num[16];
            std::snprintf(num, sizeof num, "%.2f", v);
            dl->AddText(ImVec2(x0, y - line), ImGui::GetColorU32(ImGuiCol_Text), num);
        };
        bar(x, s.consecutiveSameFirst, sameC);
        const float cy = p.y + top + (h - top) * float(1 - s.chanceSameFirst);
        dl->AddLine(ImVec2(x - px(2), cy), ImVec2(x + bw + px(2), cy), kWarning, px(2));
        bar(x + bw + px(4), s.tokenSpecialisation, specC);
        char label[16];
        std::snprintf(label, sizeof label, "L%d", l);
        dl->AddText(ImVec2(x, p.y + h + px(2)),
                    ImGui::GetColorU32(l == state.layer() ? ImGuiCol_Text : ImGuiCol_TextDisabled), label);
    }
    ImGui::Dummy(ImVec2(w, h + ImGui::GetTextLineHeight() + px(2)));
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(sameC), "%s", tr("same first expert"));
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kWarning), "%s", tr("chance (1/E)"));
    ImGui::SameLine();
    // Specialisation counts byte values seen 10 times or more: a short text may have none.
    bool anySpecialisation = false;
    for (const LayerRoutingStats& s : m_stats) anySpecialisation |= !std::isnan(s.tokenSpecialisation);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(specC), "%s",
                       anySpecialisation
                           ? tr("token specialisation")
                           : tr("token specialisation: none (no byte value occurs 10 times in this text)"));
}

// Drop rate against the capacity factor (1.0 .. 2.0), a line per layer in the layer's
// colour, the shown layer thicker: analyze's capacity_sweep of the choices shown.
void LayersView::drawSweep(const AppState& state, ImVec2 p, float w, float h) {
    const auto& sweeps = state.capacitySweeps();
    ui().measured["capacity_sweep_layers"] = float(sweeps.size());
    if (sweeps.empty() || w < px(80)) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const float line = ImGui::GetTextLineHeight();
    dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text),
                ellipsized(tr("Drop rate by capacity factor, per layer"), w).c_str());
    double top = 0.05;  // at least 5 %: a layer that drops little stays near the floor
    for (const auto& layer : sweeps)
        for (const CapacityPoint& c : layer) top = std::max(top, c.dropRate);
    char label[24];
    std::snprintf(label, sizeof label, "%.0f%%", top * 100);
    const float x0 = p.x + ImGui::CalcTextSize(label).x + px(4), x1 = p.x + w - px(4);
    const float y0 = p.y + line * 1.5f, y1 = p.y + h - line * 2.2f;
    if (y1 - y0 < px(10)) return;
    dl->AddText(ImVec2(p.x, y0 - line * 0.5f), faint, label);
    dl->AddText(ImVec2(p.x, y1 - line * 0.5f), faint, "0");
    dl->AddLine(ImVec2(x0, y1), ImVec2(x1, y1), faint);
    dl->AddLine(ImVec2(x0, y0), ImVec2(x0, y1), faint);
    const auto X = [&](double c) { return x0 + float(c - 1.0) * (x1 - x0); };  // factors 1.0 .. 2.0
    const auto Y = [&](double d) { return y1 - float(d / top) * (y1 - y0); };
    for (double c : {1.0, 1.5, 2.0}) {
        std::snprintf(label, sizeof label, "%.1f", c);
        dl->AddText(ImVec2(X(c) - ImGui::CalcTextSize(label).x * 0.5f, y1 + px(1)), faint, label);
    }
    float legendX = x0;
    for (int l = 0; l < int(sweeps.size()); ++l) {
        const ImU32 c = expertColor(l);
        for (size_t i = 1; i < sweeps[l].size(); ++i) {
            const CapacityPoint &a = sweeps[l][i - 1], &b = sweeps[l][i];
            dl->AddLine(ImVec2(X(a.capacityFactor), Y(a.dropRate)), ImVec2(X(b.capacityFactor), Y(b.dropRate)), c,
                        l == state.layer() ? px(3) : px(1.5f));
        }
        std::snprintf(label, sizeof label, "L%d", l);
        dl->AddText(ImVec2(legendX, y1 + line + px(2)), c, label);
        legendX += ImGui::CalcTextSize(label).x + px(8);
    }
}

void drawLmJourney(const AppState& state, Ui& ui, int token) {
    const LmRun& run = *state.lmRun();
    const std::vector<ByteToken>& tokens = state.tokens();
    if (token < 0 || token >= int(tokens.size())) return;
    const ByteToken& b = tokens[token];
    ImGui::PushFont(ui.fonts.large());
    ImGui::TextUnformatted(displayChar(b).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    ImGui::Text(tr("byte %d (0x%02X) through every layer of the model"), token, b.byte);
    for (int l = 0; l < int(run.layers.size()); ++l) {
        const Routing& r = run.layers[l].routing;
        ImGui::TextColored(ImGui::GetStyleColorVec4(l == state.layer() ? ImGuiCol_Text : ImGuiCol_TextDisabled), "L%d",
                           l);
        for (int s = r.slotBegin[token]; s < r.slotBegin[token + 1]; ++s) {
            if (r.skipped(s)) continue;
            ImGui::SameLine();
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float sz = ImGui::GetTextLineHeight();
            ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + sz, p.y + sz), expertColor(r.slotExpert[s]));
            ImGui::Dummy(ImVec2(sz, sz));
            ImGui::SameLine();
            ImGui::Text("E%d %.3f%s", r.slotExpert[s], r.slotWeight[s], r.slotKept[s] ? "" : tr(" (dropped)"));
        }
    }
    // A router trace has no next-byte probabilities (logprobs is empty).
    const double lp = token > 0 && token <= run.logprobs.rows() ? run.logprobs(token - 1, b.byte) : std::nan("");
    if (!std::isnan(lp)) ImGui::Text(tr("the model gave this byte p = %.3f"), std::exp(lp));
}

}  // namespace moe::gui
