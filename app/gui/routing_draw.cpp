#include "routing_draw.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moe::gui {
namespace {

constexpr float kMinCell = 12;        // a gate-map cell is never shorter (pixels)
constexpr float kMinCellScaled = 10;  // nor shorter than this times the UI scale (20 px at 200 %)
constexpr float kMaxCell = 40;

float px(const Ui& ui, float v) { return v * ui.scale; }

// An arrow from a to b (a rerouted assignment: full expert -> the one that took it).
void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float w) {
    dl->AddLine(a, b, c, w);
    const ImVec2 d(b.x - a.x, b.y - a.y);
    const float len = std::max(1.0f, std::sqrt(d.x * d.x + d.y * d.y)), h = 3 * w;
    const ImVec2 u(d.x / len, d.y / len), n(-u.y, u.x);
    dl->AddTriangleFilled(b, ImVec2(b.x - u.x * h * 2 + n.x * h, b.y - u.y * h * 2 + n.y * h),
                          ImVec2(b.x - u.x * h * 2 - n.x * h, b.y - u.y * h * 2 - n.y * h), c);
}

bool keptBy(const Routing& r, int t, int e) {
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
        if (r.slotExpert[s] == e && r.slotKept[s]) return true;
    return false;
}

// The colour scale of the gate map, followed on the same line by its label.
void colourScale(Ui& ui) {
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const float lw = std::min(px(ui, 200), ImGui::GetContentRegionAvail().x * 0.4f), lh = ImGui::GetTextLineHeight();
    for (int i = 0; i < 50; ++i)
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(l.x + i * lw / 50, l.y + lh * 0.2f),
                                                  ImVec2(l.x + (i + 1) * lw / 50, l.y + lh), scoreColor(i / 49.0f));
    ImGui::Dummy(ImVec2(lw, lh));
    ImGui::SameLine();
}

bool comparable(const RoutingPicture& p) { return p.other && p.other->tokens == p.routing.tokens; }

}  // namespace

bool assignmentsDiffer(const Routing& a, const Routing& b, int t) {
    for (int e = 0; e < std::max(a.experts, b.experts); ++e)
        if ((e < a.experts && keptBy(a, t, e)) != (e < b.experts && keptBy(b, t, e))) return true;
    return false;
}

namespace {

// Where the gate map's cells sit, and which columns the window shows.
struct GateBox {
    ImVec2 o;  // the map's top left corner (the character labels' row)
    float top, labelW, cellW, cellH, mapW;
    int tBegin, tEnd;
    ImVec2 clipMin, clipMax;
    float x(int t) const { return o.x + labelW + t * cellW; }
};

// Character labels over the columns (on each character's first byte, when there is room).
void columnLabels(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, const GateBox& g) {
    ImFont* font = ui.fonts.regular();
    for (int t = g.tBegin; t < g.tEnd; ++t) {
        if (p.tokens[t].byteInChar != 0 || g.cellW < px(ui, 10)) continue;
        dl->AddText(font, font->FontSize, ImVec2(g.x(t) + px(ui, 1), g.o.y), ImGui::GetColorU32(ImGuiCol_Text),
                    displayChar(p.tokens[t]).c_str());
    }
}

// The experts' names and the score (or logit) cells; returns the hovered cell.
std::pair<int, int> gateCells(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, const GateBox& g) {
    const Routing& r = p.routing;
    ImFont* font = ui.fonts.regular();
    int hovT = -1, hovE = -1;
    // Logits have no fixed range: the colours run from the lowest to the highest.
    const auto [lo, hi] = p.logits ? logitRange(r) : std::pair<float, float>(0.0f, 1.0f);
    const Mat& values = p.logits ? r.logits : r.scores;
    for (int e = 0; e < r.experts; ++e) {
        const float y = g.top + e * g.cellH;
        if (y + g.cellH < g.clipMin.y || y > g.clipMax.y) continue;
        char name[16];
        std::snprintf(name, sizeof name, "E%d", e);
        dl->AddRectFilled(ImVec2(g.o.x, y + 1), ImVec2(g.o.x + px(ui, 5), y + g.cellH - 1), expertColor(e));
        const float fs = std::min(font->FontSize, g.cellH * 1.4f);
        if (g.cellH >= font->FontSize * 0.7f || e % 2 == 0)
            dl->AddText(font, fs, ImVec2(g.o.x + px(ui, 7), y + (g.cellH - fs) * 0.5f),
                        ImGui::GetColorU32(ImGuiCol_Text), name);
        for (int t = g.tBegin; t < g.tEnd; ++t) {
            const ImVec2 a(g.x(t), y), b(a.x + g.cellW - 1, y + g.cellH - 1);
            dl->AddRectFilled(a, b, scoreColor((values(t, e) - lo) / std::max(hi - lo, 1e-12f)));
            if (ImGui::IsMouseHoveringRect(a, b)) {
                hovT = t;
                hovE = e;
            }
        }
    }
    return {hovT, hovE};
}

// Chosen cells outlined; dropped ones crossed; rerouted ones joined by an arrow from the
// full expert to the one that took the token; with A/B, cells chosen here but not
// there are framed in yellow.
void chosenCells(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, const GateBox& g) {
    const Routing& r = p.routing;
    const bool diff = comparable(p);
    const float thin = std::max(1.0f, px(ui, 1)), thick = px(ui, 2), top = g.top, cellH = g.cellH, cellW = g.cellW;
    for (int t = g.tBegin; t < g.tEnd; ++t) {
        const float x = g.x(t);
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (r.skipped(s)) continue;  // GShard random routing: never dispatched, so not chosen
            const int e = r.slotExpert[s];
            const ImVec2 a(x, top + e * cellH), b(x + cellW - 1, top + (e + 1) * cellH - 1);
            // A dark ring around a white one: visible on every score colour and on either theme.
            dl->AddRect(ImVec2(a.x - thin, a.y - thin), ImVec2(b.x + thin, b.y + thin), IM_COL32(0, 0, 0, 255), 0, 0,
                        thin);
            dl->AddRect(a, b, IM_COL32(255, 255, 255, 255), 0, 0, thick);
            if (!r.slotKept[s]) {
                dl->AddLine(a, b, kWarning, thick * 1.2f);
                dl->AddLine(ImVec2(a.x, b.y), ImVec2(b.x, a.y), kWarning, thick * 1.2f);
            } else if (r.rerouted(s)) {
                const int c = r.slotChoice[s];
                const ImVec2 ca(x, top + c * cellH), cb(x + cellW - 1, top + (c + 1) * cellH - 1);
                dl->AddRect(ca, cb, kWarning, 0, 0, thick);
                arrow(dl, ImVec2((ca.x + cb.x) * 0.5f, (ca.y + cb.y) * 0.5f),
                      ImVec2((a.x + b.x) * 0.5f, (a.y + b.y) * 0.5f), kWarning, thick);
            }
            if (diff && r.slotKept[s] && !keptBy(*p.other, t, e))
                dl->AddRect(ImVec2(a.x - thick, a.y - thick), ImVec2(b.x + thick, b.y + thick), kHighlight, 0, 0,
                            thick * 1.5f);
        }
        if (diff && assignmentsDiffer(r, *p.other, t))  // a mark over the changed column
            dl->AddTriangleFilled(ImVec2(x + cellW * 0.5f, top - 1), ImVec2(x + 1, top - px(ui, 6)),
                                  ImVec2(x + cellW - 1, top - px(ui, 6)), kHighlight);
    }
}

// Group-limited routing: a line between groups of experts.
void groupLines(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, const GateBox& g) {
    const int E = p.routing.experts;
    if (p.groups > 1 && E % p.groups == 0)
        for (int k = 1; k < p.groups; ++k) {
            const float y = g.top + k * (E / p.groups) * g.cellH - 1;
            dl->AddLine(ImVec2(g.o.x, y), ImVec2(g.o.x + g.mapW, y), ImGui::GetColorU32(ImGuiCol_Text), px(ui, 2));
        }
}

// The followed token's column, and the hovered token's.
void tokenColumns(ImDrawList* dl, const RoutingPicture& p, const Ui& ui, const GateBox& g, int T) {
    const int E = p.routing.experts;
    if (ui.pinnedToken >= 0 && ui.pinnedToken < T) {
        const float x = g.x(ui.pinnedToken);
        dl->AddRect(ImVec2(x - 2, g.top - 2), ImVec2(x + g.cellW + 1, g.top + E * g.cellH + 1), kHighlight, 0, 0,
                    px(ui, 2.5f));
    }
    if (ui.highlightToken >= 0 && ui.highlightToken < T) {
        const float x = g.x(ui.highlightToken);
        dl->AddRect(ImVec2(x - 1, g.top - 1), ImVec2(x + g.cellW, g.top + E * g.cellH),
                    ImGui::GetColorU32(ImGuiCol_Text), 0, 0, px(ui, 1.5f));
    }
}

}  // namespace

std::pair<int, int> drawGateMap(const RoutingPicture& p, Ui& ui, ImVec2 size, const char* id) {
    const Routing& r = p.routing;
    const int T = std::min(r.tokens, static_cast<int>(p.tokens.size())), E = r.experts;
    if (T == 0 || E == 0) return {-1, -1};
    const float labelW = ImGui::CalcTextSize("E000").x + px(ui, 8), headerH = ImGui::GetTextLineHeight() + px(ui, 4);
    const float minCell = std::max(kMinCell, px(ui, kMinCellScaled));
    const float cellH = std::clamp((size.y - headerH - ImGui::GetStyle().ScrollbarSize) / E, minCell, px(ui, kMaxCell));
    const float cellW = std::max(minCell, (size.x - labelW) / T);
    const float mapW = labelW + cellW * T, mapH = headerH + cellH * E;
    ui.measured["gate_cell_height"] = cellH;
    // At least a few rows tall: in a small window the window scrolls, not the map away.
    const float childH = std::max(std::min(size.y, mapH), std::min(mapH, headerH + 4 * cellH)) +
                         ImGui::GetStyle().ScrollbarSize + px(ui, 2);
    ImGui::BeginChild(id, ImVec2(size.x, childH), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const ImVec2 clipMin = ImGui::GetWindowPos(),
                 clipMax(clipMin.x + ImGui::GetWindowWidth(), clipMin.y + ImGui::GetWindowHeight());
    // Only the columns in the window are visited: a long text has tens of thousands.
    const int tBegin = std::clamp(int((clipMin.x - o.x - labelW) / cellW) - 1, 0, T);
    const int tEnd = std::clamp(int((clipMax.x - o.x - labelW) / cellW) + 2, tBegin, T);
    const GateBox g{o, o.y + headerH, labelW, cellW, cellH, mapW, tBegin, tEnd, clipMin, clipMax};
    columnLabels(dl, p, ui, g);
    const std::pair<int, int> hovered = gateCells(dl, p, ui, g);
    groupLines(dl, p, ui, g);
    chosenCells(dl, p, ui, g);
    tokenColumns(dl, p, ui, g, T);
    ImGui::Dummy(ImVec2(mapW, mapH));
    ImGui::EndChild();
    return hovered;
}

void scoreLegend(Ui& ui) {
    colourScale(ui);
    ImGui::TextDisabled("%s 0 \u2192 1", tr("score"));
}

std::pair<float, float> logitRange(const Routing& r) {
    if (r.logits.size() == 0) return {0.0f, 1.0f};
    return {r.logits.minCoeff(), r.logits.maxCoeff()};
}

void logitLegend(Ui& ui, const Routing& r) {
    const auto [lo, hi] = logitRange(r);
    colourScale(ui);
    ImGui::TextDisabled("%s %+.2f \u2192 %+.2f", tr("logit"), lo, hi);
}

int loadScaleTop(const Routing& r) {
    int top = std::max(1, r.capacity);
    for (int e = 0; e < r.experts; ++e) top = std::max({top, r.requested[e], r.kept[e]});
    return top;
}

namespace {
// A y axis for load bars: a line from base up to the top of the scale, ticks at 0, half and top.
float loadAxis(ImDrawList* dl, ImVec2 o, float base, float scale, int top, Ui& ui) {
    char label[16];
    std::snprintf(label, sizeof label, "%d", top);
    const float w = ImGui::CalcTextSize(label).x + px(ui, 6), faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    dl->AddLine(ImVec2(o.x + w - px(ui, 2), base), ImVec2(o.x + w - px(ui, 2), base - top * scale), faint, px(ui, 1));
    for (int v : {0, top / 2, top}) {
        std::snprintf(label, sizeof label, "%d", v);
        const ImVec2 ts = ImGui::CalcTextSize(label);
        const float y = base - v * scale;
        dl->AddText(ImVec2(o.x + w - px(ui, 4) - ts.x, y - ts.y * 0.5f), faint, label);
    }
    return w;
}
}  // namespace

int drawLoadBars(const Routing& r, Ui& ui, ImVec2 size, int yMax) {
    const int E = r.experts;
    if (E == 0) return -1;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 o = ImGui::GetCursorScreenPos();
    const ImVec2 whole = size;
    const float axisH = ImGui::GetTextLineHeight() + px(ui, 2);
    const int top = yMax > 0 ? yMax : loadScaleTop(r);
    const float scale = (size.y - axisH - px(ui, 14)) / top;
    if (yMax > 0) {  // the axis takes a gutter at the left
        const float w = loadAxis(dl, o, o.y + size.y - axisH, scale, top, ui);
        o.x += w;
        size.x -= w;
    }
    // The capacity label gets a gutter at the right, so it never covers a bar's overflow.
    char capLabel[48] = "";
    if (r.capacity >= 0) std::snprintf(capLabel, sizeof capLabel, "%s %d", tr("capacity"), r.capacity);
    const float gutter = r.capacity >= 0 ? ImGui::CalcTextSize(capLabel).x + px(ui, 6) : 0.0f;
    const float slot = (size.x - gutter) / E, bw = std::max(px(ui, 2), slot * 0.7f);
    const float base = o.y + size.y - axisH;
    int hovered = -1;
    for (int e = 0; e < E; ++e) {
        const float x = o.x + e * slot + (slot - bw) * 0.5f;
        const float req = r.requested[e] * scale, kept = r.kept[e] * scale;
        dl->AddRectFilled(ImVec2(x, base - kept), ImVec2(x + bw, base), expertColor(e));
        if (r.overflow[e] > 0) {
            // The part that found the expert full: vermillion with black-and-white hatching,
            // readable on every expert colour and either theme.
            const float ot = base - req, ob = base - std::min(req, float(std::max(r.capacity, 0)) * scale);
            dl->AddRectFilled(ImVec2(x, ot), ImVec2(x + bw, ob), kWarning);
            dl->PushClipRect(ImVec2(x, ot), ImVec2(x + bw, ob), true);
            const float step = std::max(px(ui, 8), 8.0f);
            for (float yy = ob + bw; yy > ot - step; yy -= step) {
                dl->AddLine(ImVec2(x, yy), ImVec2(x + bw, yy - bw), IM_COL32(0, 0, 0, 200), px(ui, 2));
                dl->AddLine(ImVec2(x, yy + px(ui, 2)), ImVec2(x + bw, yy - bw + px(ui, 2)),
                            IM_COL32(255, 255, 255, 200), px(ui, 1));
            }
            dl->PopClipRect();
        }
        dl->AddRect(ImVec2(x, base - req), ImVec2(x + bw, base), ImGui::GetColorU32(ImGuiCol_Text), 0, 0, px(ui, 1.5f));
        if (slot > ImGui::CalcTextSize("E00").x || e % 4 == 0) {
            char n[16];
            std::snprintf(n, sizeof n, "E%d", e);
            dl->AddText(ImVec2(x, base + px(ui, 1)), ImGui::GetColorU32(ImGuiCol_Text), n);
        }
        if (ImGui::IsMouseHoveringRect(ImVec2(o.x + e * slot, o.y), ImVec2(o.x + (e + 1) * slot, base))) hovered = e;
    }
    if (r.capacity >= 0) {
        const float y = base - r.capacity * scale;
        const ImVec2 ts = ImGui::CalcTextSize(capLabel), tp(o.x + size.x - ts.x, std::max(o.y, y - ts.y * 0.5f));
        dl->AddLine(ImVec2(o.x, y), ImVec2(tp.x - px(ui, 3), y), kWarning, px(ui, 2));
        dl->AddText(tp, kWarning, capLabel);
    }
    ImGui::Dummy(whole);
    return hovered;
}

void drawMetricsTable(const Metrics& m, const char* id) {
    constexpr int kRows = 7;
    char buf[kRows][48];
    std::snprintf(buf[0], 48, "%.1f%% (%d/%d)", 100 * m.dropRate, m.dropped, m.assignments);
    std::snprintf(buf[1], 48, "%.4f", m.auxLoss);
    std::snprintf(buf[2], 48, "%.4f", m.cv);
    std::snprintf(buf[3], 48, "%.3f", m.maxOverMean);
    std::snprintf(buf[4], 48, "%.4f", m.cvKept);
    std::snprintf(buf[5], 48, "%.4f", m.zLoss);
    std::snprintf(buf[6], 48, "%.4f", m.entropy);
    // Load CV, max/mean and aux loss count the requested load (before capacity); the kept
    // load's CV, next to them, is the one that moves with the capacity factor.
    const char* names[kRows] = {
        N_("Drop rate"), N_("Aux loss"), N_("Load CV (requested)"), N_("Max/mean (requested)"), N_("Load CV (kept)"),
        N_("Z-loss"),    N_("Entropy")};
    // Two pairs a row when they fit, else one.
    float nameW = 0, valueW = 0;
    for (int i = 0; i < kRows; ++i) {
        nameW = std::max(nameW, ImGui::CalcTextSize(tr(names[i])).x);
        valueW = std::max(valueW, ImGui::CalcTextSize(buf[i]).x);
    }
    const float pad = ImGui::GetStyle().CellPadding.x * 4 + ImGui::GetStyle().ItemSpacing.x;
    const int pairs = ImGui::GetContentRegionAvail().x >= 2 * (nameW + valueW + pad) ? 2 : 1;
    if (!ImGui::BeginTable(id, 2 * pairs, ImGuiTableFlags_SizingStretchProp)) return;
    for (int i = 0; i < kRows; ++i) {
        if (i % pairs == 0) ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", tr(names[i]));
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(buf[i]);
    }
    ImGui::EndTable();
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s",
                          tr("aux = E·Σ f_i·P_i, f_i = requested_i / (N·k), P_i = mean score (Switch; 1 = balanced)\n"
                             "z = mean over tokens of (logsumexp logits)² (ST-MoE)\n"
                             "CV = std / mean of the load per expert. Aux loss, load CV (requested) and max/mean "
                             "count the requested load, before capacity: they do not change with the capacity "
                             "factor. Load CV (kept) counts what the experts keep after capacity."));
}

}  // namespace moe::gui
