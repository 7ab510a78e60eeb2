#include "traffic_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

namespace moe::gui {
namespace {

std::string bytesText(double b) {
    char s[32];
    if (b >= 1 << 30)
        std::snprintf(s, sizeof s, "%.2f GiB", b / (1 << 30));
    else if (b >= 1 << 20)
        std::snprintf(s, sizeof s, "%.2f MiB", b / (1 << 20));
    else if (b >= 1 << 10)
        std::snprintf(s, sizeof s, "%.1f KiB", b / (1 << 10));
    else
        std::snprintf(s, sizeof s, "%.0f B", b);
    return s;
}

std::string usText(double us) {
    char s[32];
    std::snprintf(s, sizeof s, "%.1f µs", us);
    return s;
}

// Square-root colour scale, so that small flows stay visible beside the diagonal.
ImU32 bytesColor(int64_t v, int64_t peak) {
    return scoreColor(std::sqrt(float(v) / float(std::max<int64_t>(1, peak))));
}

void row(const char* name, const std::string& value) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", tr(name));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(value.c_str());
}

// Flat all-to-all beside Tutel's 2D hierarchical one (inside the node first, then one
// aggregated message per node pair): bytes, messages and time, the selected one marked.
void allToAllTable(const Traffic& t, AllToAll selected, float width) {
    ImGui::TextDisabled("%s", tr("all-to-all: flat vs 2D hierarchical"));
    ImGui::Spacing();
    if (!ImGui::BeginTable("##a2a", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV,
                           ImVec2(width, 0)))
        return;
    ImGui::TableSetupColumn("");
    ImGui::TableSetupColumn(selected == AllToAll::Flat ? tr("flat ✓") : tr("flat"));
    ImGui::TableSetupColumn(selected == AllToAll::Hierarchical ? tr("2D ✓") : tr("2D"));
    ImGui::TableHeadersRow();
    const auto line = [](const char* name, const std::string& a, const std::string& b) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", tr(name));
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(a.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(b.c_str());
    };
    line(N_("inside nodes"), bytesText(double(t.flat.intraNodeBytes)),
         bytesText(double(t.hierarchical.intraNodeBytes)));
    line(N_("between nodes"), bytesText(double(t.flat.interNodeBytes)),
         bytesText(double(t.hierarchical.interNodeBytes)));
    line(N_("messages"), std::to_string(t.flat.messages), std::to_string(t.hierarchical.messages));
    line(N_("dispatch"), usText(t.flat.dispatchUs), usText(t.hierarchical.dispatchUs));
    line(N_("combine"), usText(t.flat.combineUs), usText(t.hierarchical.combineUs));
    ImGui::EndTable();
}

// The matrix's sums: the largest cell, and what each GPU sends (rows) and receives (columns).
struct TrafficSums {
    int64_t peak = 1, sumPeak = 1;
    std::vector<int64_t> rowSum, colSum;
};

TrafficSums trafficSums(const Traffic& t) {
    const int G = t.gpus;
    TrafficSums s;
    s.rowSum.assign(G, 0);
    s.colSum.assign(G, 0);
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            s.peak = std::max(s.peak, t.dispatchBytes[a][b]);
            s.rowSum[a] += t.dispatchBytes[a][b];
            s.colSum[b] += t.dispatchBytes[a][b];
        }
    s.sumPeak = std::max<int64_t>(1, std::max(*std::max_element(s.rowSum.begin(), s.rowSum.end()),
                                              *std::max_element(s.colSum.begin(), s.colSum.end())));
    return s;
}

// Where the matrix sits: o the view's cursor, m the matrix's top left corner.
struct MatrixBox {
    ImVec2 o, m;
    float side, cell, labelW, barLen, line, scale;
    float px(float v) const { return v * scale; }
};

// The cells, node boundaries, GPU labels and the sum bars; returns the hovered cell (-1: none).
std::pair<int, int> drawMatrix(ImDrawList* dl, const Traffic& t, const TrafficSums& sums, const MatrixBox& b) {
    const int G = t.gpus, N = std::max(1, t.gpusPerNode);
    const ImVec2 m = b.m;
    const float cell = b.cell, side = b.side;
    int hovA = -1, hovB = -1;
    for (int a = 0; a < G; ++a)
        for (int c = 0; c < G; ++c) {
            const float gap = cell > 6 ? 1.0f : 0.0f;
            const ImVec2 p0(m.x + c * cell, m.y + a * cell), p1(p0.x + cell - gap, p0.y + cell - gap);
            const int64_t v = t.dispatchBytes[a][c];
            dl->AddRectFilled(p0, p1, v ? bytesColor(v, sums.peak) : ImGui::GetColorU32(ImGuiCol_FrameBg));
            if (a == c) dl->AddRectFilled(p0, p1, IM_COL32(255, 255, 255, 60));  // local: crosses no link
            if (ImGui::IsMouseHoveringRect(p0, p1)) {
                hovA = a;
                hovB = c;
            }
        }
    // Node boundaries.
    for (int n = 0; n <= (G + N - 1) / N; ++n) {
        const float x = m.x + std::min(G, n * N) * cell, y = m.y + std::min(G, n * N) * cell;
        dl->AddLine(ImVec2(x, m.y), ImVec2(x, m.y + side), ImGui::GetColorU32(ImGuiCol_Text), b.px(1.5f));
        dl->AddLine(ImVec2(m.x, y), ImVec2(m.x + side, y), ImGui::GetColorU32(ImGuiCol_Text), b.px(1.5f));
    }
    // GPU labels: every GPU when they fit, else every 2nd, 4th, ... so 16+ GPUs stay labelled.
    const float labelSpan = ImGui::CalcTextSize("00").x + b.px(4);
    int every = 1;
    while (every * cell < labelSpan && every < G) every *= 2;
    for (int g = 0; g < G; g += every) {
        char s[8];
        std::snprintf(s, sizeof s, "%d", g % 1000);
        dl->AddText(ImVec2(m.x + g * cell + b.px(1), b.o.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
        dl->AddText(ImVec2(b.o.x, m.y + g * cell + (std::min(cell, b.line) - b.line) * 0.5f),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
    // Row sums (sent) to the right, column sums (received) below.
    for (int g = 0; g < G; ++g) {
        const float r = b.barLen * sums.rowSum[g] / sums.sumPeak, c = b.barLen * sums.colSum[g] / sums.sumPeak;
        dl->AddRectFilled(ImVec2(m.x + side + b.px(4), m.y + g * cell),
                          ImVec2(m.x + side + b.px(4) + r, m.y + (g + 1) * cell - 1), expertColor(1));
        dl->AddRectFilled(ImVec2(m.x + g * cell, m.y + side + b.px(4)),
                          ImVec2(m.x + (g + 1) * cell - 1, m.y + side + b.px(4) + c), expertColor(0));
    }
    return {hovA, hovB};
}

// The byte scale of the cells, under the matrix, wrapped to it: it never runs into the totals.
void drawLegend(ImDrawList* dl, int64_t peak, const MatrixBox& b) {
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const float lw = std::min(b.side, b.px(180)), line = b.line;
    for (int i = 0; i < 40; ++i)
        dl->AddRectFilled(ImVec2(l.x + b.labelW + i * lw / 40, l.y + 2),
                          ImVec2(l.x + b.labelW + (i + 1) * lw / 40, l.y + line - 2), scoreColor(std::sqrt(i / 39.0f)));
    char legend[96];
    std::snprintf(legend, sizeof legend, "0 \u2026 %s  (%s)", bytesText(double(peak)).c_str(), tr("square-root scale"));
    const float wrap = b.side + b.barLen;
    ImFont* font = ImGui::GetFont();
    dl->AddText(font, font->FontSize, ImVec2(l.x + b.labelW, l.y + line), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                legend, nullptr, wrap);
    ImGui::Dummy(ImVec2(b.labelW + lw, line + font->CalcTextSizeA(font->FontSize, FLT_MAX, wrap, legend).y));
}

void cellTooltip(const Traffic& t, const TrafficSums& sums, int a, int b) {
    const int N = std::max(1, t.gpusPerNode);
    ImGui::BeginTooltip();
    ImGui::Text("GPU %d \u2192 GPU %d: %s, %d %s", a, b, bytesText(double(t.dispatchBytes[a][b])).c_str(),
                t.dispatchTokens[a][b], tr("tokens"));
    ImGui::TextDisabled("%s", tr(a == b           ? N_("local: no link")
                                 : a / N == b / N ? N_("inside a node (NVLink)")
                                                  : N_("between nodes (network)")));
    ImGui::Text(tr("row %d sends %s, column %d receives %s"), a, bytesText(double(sums.rowSum[a])).c_str(), b,
                bytesText(double(sums.colSum[b])).c_str());
    ImGui::EndTooltip();
}

// Local, inside-node and between-node bytes, the step's times and the bus bandwidth.
// ASTRA-sim's time for the step from a log of its run (gui --astra-log), beside moelab's:
// shown while the GPU count is the log's.
void astraRow(const AstraTimes* astra, const Traffic& t, Ui& ui) {
    if (!astra) return;
    if (int(astra->perGpuUs.size()) != t.gpus) {
        row(N_("ASTRA-sim (log)"), tr("for another GPU count"));
        return;
    }
    row(N_("ASTRA-sim (log)"), usText(astra->totalUs));
    ui.measured["astra_total_us"] = float(astra->totalUs);
}

void totalsTable(const Traffic& t, float width, const AstraTimes* astra, Ui& ui) {
    const double all = double(t.localBytes + t.intraNodeBytes + t.interNodeBytes);
    const auto share = [&](double v) {
        char s[64];
        std::snprintf(s, sizeof s, "%s (%.0f%%)", bytesText(v).c_str(), all > 0 ? 100 * v / all : 0.0);
        return std::string(s);
    };
    ImGui::TextDisabled("%s", tr("dispatch + combine"));
    ImGui::Spacing();
    if (ImGui::BeginTable("##totals", 2, ImGuiTableFlags_SizingFixedFit, ImVec2(width, 0))) {
        row(N_("local"), share(double(t.localBytes)));
        row(N_("inside nodes"), share(double(t.intraNodeBytes)));
        row(N_("between nodes"), share(double(t.interNodeBytes)));
        row(N_("dispatch"), usText(t.dispatchTimeUs));
        row(N_("compute"), usText(t.computeTimeUs));
        row(N_("combine"), usText(t.combineTimeUs));
        row(N_("total"), usText(t.totalTimeUs));
        astraRow(astra, t, ui);
        char bw[32];
        std::snprintf(bw, sizeof bw, "%.1f GB/s", t.dispatchBusBwGBps);
        row(N_("bus bandwidth"), bw);
        ImGui::EndTable();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("nccl-tests AlltoAll: algbw = bytes per rank / time; busbw = algbw · (n-1)/n"));
}

void balanceLine(const Traffic& t) {
    char balance[96];
    std::snprintf(balance, sizeof balance, "%s %.2f  ·  %s %.2f", tr("device balance"), t.deviceBalanceLoss,
                  tr("comm. balance"), t.commBalanceLoss);
    ImGui::TextDisabled("%s", balance);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("DeepSeek-V2's device- and communication-balance losses over the GPUs, without "
                                   "coefficient: 1 when balanced, higher when some GPUs compute or receive more"));
}

}  // namespace

void TrafficView::drawContent(AppState& state) {
    const Traffic& t = state.traffic();
    if (t.forwardedInNode)
        caption(
            "Dispatch bytes from sender (row) to receiver (column): another node gets a token once, on the GPU with "
            "its GPU's local index, which forwards it over NVLink; combine sends the same back.");
    else
        caption(
            "Dispatch bytes from each token's GPU (row) to its experts' GPUs (column); combine sends the same back.");
    const int G = t.gpus;
    if (G < 1 || t.dispatchBytes.empty()) return;
    const TrafficSums sums = trafficSums(t);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float line = ImGui::GetTextLineHeight();
    const float totalsW = std::min(px(260), avail.x * 0.38f), barLen = px(50);
    const float labelW = ImGui::CalcTextSize("000").x + px(4), legendH = line * 2.6f;
    const float side = std::max(
        px(60), std::min(avail.x - totalsW - barLen - labelW - px(24), avail.y - barLen - labelW - legendH - px(8)));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const MatrixBox box{o, ImVec2(o.x + labelW, o.y + line + px(2)), side, side / G, labelW, barLen, line, ui().scale};
    const auto [hovA, hovB] = drawMatrix(dl, t, sums, box);
    ImGui::Dummy(ImVec2(labelW + side + barLen + px(8), line + px(2) + side + barLen + px(8)));
    drawLegend(dl, sums.peak, box);
    if (hovA >= 0) cellTooltip(t, sums, hovA, hovB);

    // Totals beside the matrix; the all-to-all table beside them when there is room, else below.
    ImGui::SetCursorScreenPos(ImVec2(o.x + labelW + side + barLen + px(20), o.y));
    ImGui::BeginGroup();
    totalsTable(t, totalsW, state.astraTimes() ? &*state.astraTimes() : nullptr, ui());
    const float right = avail.x - (labelW + side + barLen + px(20));
    if (right >= 2 * totalsW + px(16)) {
        ImGui::EndGroup();
        ImGui::SameLine(0, px(16));
        ImGui::BeginGroup();
    }
    allToAllTable(t, state.settings().cluster.allToAll, totalsW);
    balanceLine(t);
    ImGui::EndGroup();
}

}  // namespace moe::gui
