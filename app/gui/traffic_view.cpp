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

} // namespace

void TrafficView::drawContent(AppState& state) {
    caption("Dispatch bytes from each token's GPU (row) to its experts' GPUs (column); combine sends the same back.");
    const Traffic& t = state.traffic();
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
    const float totalsW = px(250), barLen = px(60), labelW = px(30);
    const float side = std::max(px(60), std::min(avail.x - totalsW - barLen - labelW - px(20), avail.y - barLen - labelW - px(10)));
    const float cell = side / G;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const ImVec2 m(o.x + labelW, o.y + labelW);  // matrix origin
    int hovA = -1, hovB = -1;
    for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b) {
            const ImVec2 p0(m.x + b * cell, m.y + a * cell), p1(p0.x + cell - (cell > 6 ? 1 : 0), p0.y + cell - (cell > 6 ? 1 : 0));
            const int64_t v = t.dispatchBytes[a][b];
            // Square-root scale so small flows stay visible beside the diagonal.
            dl->AddRectFilled(p0, p1, v ? scoreColor(std::sqrt(float(v) / peak)) : ImGui::GetColorU32(ImGuiCol_FrameBg));
            if (a == b) dl->AddRectFilled(p0, p1, IM_COL32(255, 255, 255, 60));  // local: crosses no link
            if (ImGui::IsMouseHoveringRect(p0, p1)) hovA = a, hovB = b;
        }
    // Node boundaries.
    for (int n = 0; n <= (G + N - 1) / N; ++n) {
        const float x = m.x + std::min(G, n * N) * cell, y = m.y + std::min(G, n * N) * cell;
        dl->AddLine(ImVec2(x, m.y), ImVec2(x, m.y + side), ImGui::GetColorU32(ImGuiCol_Text), px(1.5f));
        dl->AddLine(ImVec2(m.x, y), ImVec2(m.x + side, y), ImGui::GetColorU32(ImGuiCol_Text), px(1.5f));
    }
    // GPU labels, when they fit.
    if (cell >= px(14))
        for (int g = 0; g < G; ++g) {
            char s[8];
            std::snprintf(s, sizeof s, "%d", g % 1000);
            dl->AddText(ImVec2(m.x + g * cell + px(2), o.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
            dl->AddText(ImVec2(o.x, m.y + g * cell + px(1)), ImGui::GetColorU32(ImGuiCol_TextDisabled), s);
        }
    // Row sums (sent) to the right, column sums (received) below.
    for (int g = 0; g < G; ++g) {
        const float r = barLen * rowSum[g] / sumPeak, c = barLen * colSum[g] / sumPeak;
        dl->AddRectFilled(ImVec2(m.x + side + px(4), m.y + g * cell), ImVec2(m.x + side + px(4) + r, m.y + (g + 1) * cell - 1),
                          expertColor(1));
        dl->AddRectFilled(ImVec2(m.x + g * cell, m.y + side + px(4)), ImVec2(m.x + (g + 1) * cell - 1, m.y + side + px(4) + c),
                          expertColor(0));
    }
    ImGui::Dummy(ImVec2(labelW + side + barLen + px(8), labelW + side + barLen + px(8)));
    if (hovA >= 0) {
        ImGui::BeginTooltip();
        ImGui::Text("GPU %d -> GPU %d: %s, %d %s", hovA, hovB, bytesText(double(t.dispatchBytes[hovA][hovB])).c_str(),
                    t.dispatchTokens[hovA][hovB], tr("tokens"));
        ImGui::TextDisabled("%s", hovA == hovB ? "local: no link" : hovA / N == hovB / N ? "inside a node (NVLink)" : "between nodes (network)");
        ImGui::Text("row %d sends %s, column %d receives %s", hovA, bytesText(double(rowSum[hovA])).c_str(), hovB,
                    bytesText(double(colSum[hovB])).c_str());
        ImGui::EndTooltip();
    }

    // Totals beside the matrix.
    ImGui::SetCursorScreenPos(ImVec2(o.x + labelW + side + barLen + px(20), o.y));
    ImGui::BeginGroup();
    const double all = double(t.localBytes + t.intraNodeBytes + t.interNodeBytes);
    const auto line = [&](const char* name, double v) {
        ImGui::Text("%-11s %s (%.0f%%)", name, bytesText(v).c_str(), all > 0 ? 100 * v / all : 0.0);
    };
    ImGui::TextDisabled("dispatch + combine");
    line("local", double(t.localBytes));
    line("intra-node", double(t.intraNodeBytes));
    line("inter-node", double(t.interNodeBytes));
    ImGui::Separator();
    ImGui::Text("dispatch   %.1f us", t.dispatchTimeUs);
    ImGui::Text("compute    %.1f us", t.computeTimeUs);
    ImGui::Text("combine    %.1f us", t.combineTimeUs);
    ImGui::Text("total      %.1f us", t.totalTimeUs);
    ImGui::Text("bus bw     %.1f GB/s", t.dispatchBusBwGBps);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("nccl-tests AlltoAll: algbw = bytes per rank / time; busbw = algbw * (n-1)/n");
    ImGui::EndGroup();
}

} // namespace moe::gui
