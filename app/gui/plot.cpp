#include "plot.hpp"
#include "wrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "i18n.hpp"
#include "style.hpp"

namespace moe::gui {

std::vector<double> niceTicks(double lo, double hi, int maxTicks) {
    std::vector<double> out;
    if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
    if (!(hi > lo) || maxTicks < 2) return {lo};
    const double raw = (hi - lo) / (maxTicks - 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
        out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return out;
}

namespace {

std::string tickLabel(double v) {
    char b[32];
    const double a = std::abs(v);
    if (a >= 1000)
        std::snprintf(b, sizeof b, "%.0f", v);
    else if (a >= 10 || a == 0)
        std::snprintf(b, sizeof b, "%.0f", v);
    else if (a >= 1)
        std::snprintf(b, sizeof b, "%.1f", v);
    else
        std::snprintf(b, sizeof b, "%.2g", v);
    return b;
}

// The y range of every series' finite values, widened to the axes' wish or down to zero
// when the data is not far from it, and never empty.
std::pair<double, double> yRange(const std::vector<PlotSeries>& series, const ChartAxes& axes) {
    double lo = 1e300, hi = -1e300;
    for (const PlotSeries& s : series)
        for (float v : *s.y)
            if (std::isfinite(v)) {
                lo = std::min(lo, double(v));
                hi = std::max(hi, double(v));
            }
    if (lo > hi) {
        lo = 0;
        hi = 1;
    }
    if (axes.yTo > axes.yFrom) {
        lo = std::min(lo, axes.yFrom);
        hi = std::max(hi, axes.yTo);
    } else if (lo > 0 && lo < 0.3 * hi)
        lo = 0;  // start at zero when the data is not far from it
    if (hi - lo < 1e-9) hi = lo + 1;
    return {lo, hi};
}

// The legend at the right of the title row; returns its left edge.
float chartLegend(ImDrawList* dl, const std::vector<PlotSeries>& series, ImVec2 p, float right, float line) {
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    float lx = right;
    for (auto it = series.rbegin(); it != series.rend(); ++it) {
        if (!it->label) continue;
        char entry[96];
        std::snprintf(entry, sizeof entry, "%s %.3g", it->label, it->y->empty() ? 0.0 : double(it->y->back()));
        lx -= ImGui::CalcTextSize(entry).x + line * 1.6f;
        dl->AddRectFilled(ImVec2(lx, p.y + line * 0.35f), ImVec2(lx + line * 0.8f, p.y + line * 0.65f), it->colour);
        dl->AddText(ImVec2(lx + line, p.y), text, entry);
    }
    return lx;
}

}  // namespace

void lineChart(const char* title, const char* yUnit, const std::vector<PlotSeries>& series, ImVec2 size,
               const ChartAxes& axes) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float line = ImGui::GetTextLineHeight();
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const std::pair<double, double> range = yRange(series, axes);
    double lo = range.first;  // a lambda below captures them: no structured binding (clang 14)
    double hi = range.second;
    int last = 1;
    for (const PlotSeries& s : series)
        if (!s.x->empty()) last = std::max(last, s.x->back());
    std::vector<double> yt = niceTicks(lo, hi, std::max(2, int(size.y / (line * 2))));
    if (yt.empty()) yt = {lo, hi};
    lo = std::min(lo, yt.front());
    hi = std::max(hi, yt.back());
    // Plot area: room for the y labels on the left, the title above, the x labels below.
    float labelW = 0;
    for (double v : yt) labelW = std::max(labelW, ImGui::CalcTextSize(tickLabel(v).c_str()).x);
    const ImVec2 a(p.x + labelW + 6, p.y + line + 2), b(p.x + size.x - 4, p.y + size.y - line - 4);
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_FrameBg));
    const auto X = [&](double step) { return a.x + float(step / last) * (b.x - a.x); };
    const auto Y = [&](double v) { return b.y - float((v - lo) / (hi - lo)) * (b.y - a.y); };
    for (double v : yt) {
        const float y = Y(v);
        dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), ImGui::GetColorU32(ImGuiCol_Border));
        const std::string s = tickLabel(v);
        dl->AddText(ImVec2(a.x - 4 - ImGui::CalcTextSize(s.c_str()).x, y - line * 0.5f), faint, s.c_str());
    }
    for (double v : niceTicks(0, last, std::max(2, int((b.x - a.x) / (line * 4))))) {
        if (v != std::floor(v)) continue;  // steps are whole numbers
        const float x = X(v);
        dl->AddLine(ImVec2(x, b.y), ImVec2(x, b.y + 3), faint);
        char s[24];
        std::snprintf(s, sizeof s, "%.0f", v);
        const float w = ImGui::CalcTextSize(s).x;  // centred on its tick, but inside the plot's width
        dl->AddText(ImVec2(std::clamp(x - w * 0.5f, a.x, b.x - w), b.y + 2), faint, s);
    }
    dl->PushClipRect(a, b, true);
    for (const PlotSeries& s : series)
        for (size_t i = 1; i < s.y->size(); ++i)
            dl->AddLine(ImVec2(X((*s.x)[i - 1]), Y((*s.y)[i - 1])), ImVec2(X((*s.x)[i]), Y((*s.y)[i])), s.colour,
                        s.width);
    dl->PopClipRect();
    // The title with its unit in the room left of the legend (the unit goes first, then
    // the title is cut with an ellipsis, rather than overlap).
    const float lx = chartLegend(dl, series, p, b.x, line);
    std::string head = std::string(title) + (yUnit && *yUnit ? std::string(" · ") + yUnit : "");
    const float room = lx - p.x - line * 0.6f;
    if (ImGui::CalcTextSize(head.c_str()).x > room) head = ellipsized(title, room);
    dl->AddText(ImVec2(p.x, p.y), text, head.c_str());
    const std::string xLabel = std::string(axes.x ? axes.x : tr("step")) + " \u2192";
    dl->AddText(ImVec2(a.x + 3, b.y - line - 1), faint, xLabel.c_str());
    ImGui::Dummy(size);
}

void loadStrip(const std::deque<std::vector<int>>& loads, int lastStep, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float line = ImGui::GetTextLineHeight();
    const int E = loads.empty() ? 0 : static_cast<int>(loads.back().size());
    const float labelW = ImGui::CalcTextSize("E00").x + 6, legendH = line + 6;
    const ImVec2 a(p.x + labelW, p.y), b(p.x + size.x, p.y + size.y - legendH - line);
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_FrameBg));
    if (E > 0) {
        const float rowH = (b.y - a.y) / E, colW = (b.x - a.x) / std::max<size_t>(1, loads.size());
        for (size_t s = 0; s < loads.size(); ++s) {
            int total = 0;
            for (int v : loads[s]) total += v;
            for (int e = 0; e < E && e < int(loads[s].size()); ++e) {
                // Mid-scale is a fair share 1/E; the brightest is twice that or more.
                const float share = total ? std::min(1.0f, 0.5f * loads[s][e] * E / float(total)) : 0.0f;
                dl->AddRectFilled(ImVec2(a.x + s * colW, a.y + e * rowH),
                                  ImVec2(a.x + (s + 1) * colW, a.y + (e + 1) * rowH), scoreColor(share));
            }
        }
        for (int e = 0; e < E; ++e) {
            if (rowH < line * 0.6f && e % 2) continue;
            char name[16];
            std::snprintf(name, sizeof name, "E%d", e);
            const float y = a.y + (e + 0.5f) * rowH - line * 0.5f;
            dl->AddRectFilled(ImVec2(p.x, y + 2), ImVec2(p.x + 4, y + line - 2), expertColor(e));
            dl->AddText(ImVec2(p.x + 6, y), ImGui::GetColorU32(ImGuiCol_Text), name);
        }
    }
    // The step axis: the strip ends at the newest step.
    const ImU32 faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    char first[48], lastS[48];
    std::snprintf(first, sizeof first, "%s %d", tr("step"), std::max(0, lastStep - int(loads.size()) + 1));
    std::snprintf(lastS, sizeof lastS, "%d", lastStep);
    dl->AddText(ImVec2(a.x, b.y + 1), faint, first);
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(lastS).x, b.y + 1), faint, lastS);
    // Legend: the colour of no load, a fair share and twice a fair share.
    const float ly = b.y + line + 4, lw = std::min(size.x * 0.4f, line * 10);
    for (int i = 0; i < 40; ++i)
        dl->AddRectFilled(ImVec2(a.x + i * lw / 40, ly), ImVec2(a.x + (i + 1) * lw / 40, ly + line * 0.7f),
                          scoreColor(i / 39.0f));
    char legend[96];
    std::snprintf(legend, sizeof legend, "0  ·  1/E %s  ·  2/E+", tr("fair share"));
    dl->AddText(ImVec2(a.x + lw + 6, ly - line * 0.15f), faint, legend);
    ImGui::Dummy(size);
}

}  // namespace moe::gui
