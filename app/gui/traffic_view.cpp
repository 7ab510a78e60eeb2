#include "traffic_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moe::gui {
namespace {

std::string bytesText(double b) {
    char s[32];
    if (b >= 1 << 30) std::snprintf(s, sizeof s, "%.2f GiB", b / (1 << 30));
    else if (b >= 1 << 20) std::snprintf(s, sizeof s, "%.2f MiB", b / (1 << 20));
    else if (b >= 1 << 10) std::snprintf(s, sizeof s, "%.1f KiB", b / (1 << 10));
    else std::snprintf(s, sizeof s, "%.0f B", b);
    return s;
}

std::string usText(double us) {
    char s[32];
    std::snprintf(s, sizeof s, "%.1f µs", us);
    return s;
}

// Square-root colour scale, so that small flows stay visible beside the diagonal.
ImU32 bytesColor(int64_t v, int64_t peak) { return scoreColor(std::sqrt(float(v) / float(std::max<int64_t>(1, peak)))); }

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
    if (!ImGui::BeginTable("##a2a", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV, ImVec2(width, 0)))
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
    line(N_("inside nodes"), bytesText(double(t.flat.intraNodeBytes)), bytesText(double(t.hierarchical.intraNodeBytes)));
    line(N_("between nodes"), bytesText(double(t.flat.interNodeBytes)), bytesText(double(t.hierarchical.interNodeBytes)));
    line(N_("messages"), std::to_string(t.flat.messages), std::to_string(t.hierarchical.messages));
    line(N_("dispatch"), usText(t.flat.dispatchUs), usText(t.hierarchical.dispatchUs));
    line(N_("combine"), usText(t.flat.combineUs), usText(t.hierarchical.combineUs));
    ImGui::EndTable();
}

} // namespace

void TrafficView::drawContent(AppState& state) {
    const Traffic& t = state.traffic();
    if (t.forwardedInNode)
        caption("Dispatch bytes from sender (row) to receiver (column): another node gets a token once, on the GPU with "
                "its GPU's local index, which forwards it over NVLink; combine sends the same back.");
    else
        caption("Dispatch bytes from each token's GPU (row) to its experts' GPUs (column); combine sends the same back.");
    const int G = t.gpus, N = std::max(1, t.gpusPerNode);
    if (G < 1 || t.dispatchBytes.empty()) return;
    int64_t peak = 1;
    std::vector<int64_t> rowSum(G, 0), colSum(G, 0);
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            peak = std::max(peak, t.dispatchBytes[a][b]);
            rowSum[a] += t.dispatchBytes[a][b];
            colSum[b] += t.dispatchBytes[a][b];
        }
    const int64_t sumPeak = std::max<int64_t>(1, std::max(*std::max_element(rowSum.begin(), rowSum.end()),
                                                          *std::max_element(colSum.begin(), colSum.end())));
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float line = ImGui::GetTextLineHeight();
    const float totalsW = std::min(px(260), avail.x * 0.38f), barLen = px(50);
    const float labelW = ImGui::CalcTextSize("000").x + px(4), legendH = line * 2.6f;
    const float side = std::max(px(60), std::min(avail.x - totalsW - barLen - labelW - px(24), avail.y - barLen - labelW - legendH - px(8)));
    const float cell = side / G;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const ImVec2 m(o.x + labelW, o.y + line + px(2));  // matrix origin
    int hovA = -1, hovB = -1;
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            const float gap = cell > 6 ? 1.0f : 0.0f;
            const ImVec2 p0(m.x + b * cell, m.y + a * cell), p1(p0.x + cell - gap, p0.y + cell - gap);
            const int64_t v = t.dispatchBytes[a][b];
            dl->AddRectFilled(p0, p1, v ? bytesColor(v, peak) : ImGui::GetColorU32(ImGuiCol_FrameBg));
            if (a == b) dl->AddRectFilled(p0, p1, IM_COL32(255, 255, 255, 60));  // local: crosses no link
            if (ImGui::IsMouseHoveringRect(p0, p1)) hovA = a, hovB = b;
        }
    // Node boundaries.
    for (int n = 0; n <= (G + N - 1) / N; ++n) {
        const float x = m.x + std::min(G, n * N) * cell, y = m.y + std::min(G, n * N) * cell;
        dl->AddLine(ImVec2(x, m.y), ImVec2(x, m.y + side), ImGui::GetColorU32(ImGuiCol_Text), px(1.5f));
        dl->AddLine(ImVec2(m.x, y), ImVec2(m.x + side, y), ImGui::GetColorU32(ImGuiCol_Text), px(1.5f));
    }
    // GPU labels: every GPU when they fit, else every 2nd, 4th, ... so 16+ GPUs stay labelled.
    const float labelSpan = ImGui::CalcTextSize("00").x + px(4);
    int every = 1;
    while (every * cell < labelSpan && every < G) every *= 2;
    for (int g = 0; g < G; g += every) {
        char s[8];
        std::snprintf(s, sizeof s, "%d", g % 1000);
        dl->AddText(ImVec2(m.x + g * cell + px(1), o.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
        dl->AddText(ImVec2(o.x, m.y + g * cell + (std::min(cell, line) - line) * 0.5f), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
    }
    // Row sums (sent) to the right, column sums (received) below.
    for (int g = 0; g < G; ++g) {
        const float r = barLen * rowSum[g] / sumPeak, c = barLen * colSum[g] / sumPeak;
        dl->AddRectFilled(ImVec2(m.x + side + px(4), m.y + g * cell), ImVec2(m.x + side + px(4) + r, m.y + (g + 1) * cell - 1),
                          expertColor(1));
        dl->AddRectFilled(ImVec2(m.x + g * cell, m.y + side + px(4)), ImVec2(m.x + (g + 1) * cell - 1, m.y + side + px(4) + c),
                          expertColor(0));
    }
    ImGui::Dummy(ImVec2(labelW + side + barLen + px(8), line + px(2) + side + barLen + px(8)));
    // Legend: the byte scale of the cells.
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const float lw = std::min(side, px(180));
    for (int i = 0; i < 40; ++i)
        dl->AddRectFilled(ImVec2(l.x + labelW + i * lw / 40, l.y + 2), ImVec2(l.x + labelW + (i + 1) * lw / 40, l.y + line - 2),
                          scoreColor(std::sqrt(i / 39.0f)));
    char legend[96];
    std::snprintf(legend, sizeof legend, "0 \u2026 %s  (%s)", bytesText(double(peak)).c_str(), tr("square-root scale"));
    // Under the colour bar, wrapped to the matrix: it never runs into the totals.
    const float wrap = side + barLen;
    ImFont* font = ImGui::GetFont();
    dl->AddText(font, font->FontSize, ImVec2(l.x + labelW, l.y + line), ImGui::GetColorU32(ImGuiCol_TextDisabled), legend,
                nullptr, wrap);
    ImGui::Dummy(ImVec2(labelW + lw, line + font->CalcTextSizeA(font->FontSize, FLT_MAX, wrap, legend).y));
    if (hovA >= 0) {
        ImGui::BeginTooltip();
        ImGui::Text("GPU %d \u2192 GPU %d: %s, %d %s", hovA, hovB, bytesText(double(t.dispatchBytes[hovA][hovB])).c_str(),
                    t.dispatchTokens[hovA][hovB], tr("tokens"));
        ImGui::TextDisabled("%s", tr(hovA == hovB ? N_("local: no link") : hovA / N == hovB / N ? N_("inside a node (NVLink)") : N_("between nodes (network)")));
        ImGui::Text(tr("row %d sends %s, column %d receives %s"), hovA, bytesText(double(rowSum[hovA])).c_str(), hovB,
                    bytesText(double(colSum[hovB])).c_str());
        ImGui::EndTooltip();
    }

    // Totals beside the matrix.
    ImGui::SetCursorScreenPos(ImVec2(o.x + labelW + side + barLen + px(20), o.y));
    ImGui::BeginGroup();
    const double all = double(t.localBytes + t.intraNodeBytes + t.interNodeBytes);
    const auto share = [&](double v) {
        char s[64];
        std::snprintf(s, sizeof s, "%s (%.0f%%)", bytesText(v).c_str(), all > 0 ? 100 * v / all : 0.0);
        return std::string(s);
    };
    ImGui::TextDisabled("%s", tr("dispatch + combine"));
    ImGui::Spacing();
    if (ImGui::BeginTable("##totals", 2, ImGuiTableFlags_SizingFixedFit, ImVec2(totalsW, 0))) {
        row(N_("local"), share(double(t.localBytes)));
        row(N_("inside nodes"), share(double(t.intraNodeBytes)));
        row(N_("between nodes"), share(double(t.interNodeBytes)));
        row(N_("dispatch"), usText(t.dispatchTimeUs));
        row(N_("compute"), usText(t.computeTimeUs));
        row(N_("combine"), usText(t.combineTimeUs));
        row(N_("total"), usText(t.totalTimeUs));
        char bw[32];
        std::snprintf(bw, sizeof bw, "%.1f GB/s", t.dispatchBusBwGBps);
        row(N_("bus bandwidth"), bw);
        ImGui::EndTable();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("nccl-tests AlltoAll: algbw = bytes per rank / time; busbw = algbw · (n-1)/n"));
    // Beside the totals when there is room, else below them.
    const float right = avail.x - (labelW + side + barLen + px(20));
    if (right >= 2 * totalsW + px(16)) {
        ImGui::EndGroup();
        ImGui::SameLine(0, px(16));
        ImGui::BeginGroup();
    }
    allToAllTable(t, state.settings().cluster.allToAll, totalsW);
    char balance[96];
    std::snprintf(balance, sizeof balance, "%s %.2f  ·  %s %.2f", tr("device balance"), t.deviceBalanceLoss,
                  tr("comm. balance"), t.commBalanceLoss);
    ImGui::TextDisabled("%s", balance);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", tr("DeepSeek-V2's device- and communication-balance losses over the GPUs, without "
                                   "coefficient: 1 when balanced, higher when some GPUs compute or receive more"));
    ImGui::EndGroup();
}

} // namespace moe::gui
