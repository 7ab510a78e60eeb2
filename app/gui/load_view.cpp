#include "load_view.hpp"

#include <algorithm>
#include <cstdio>

#include "routing_draw.hpp"

namespace moe::gui {
namespace {

void sparkline(const char* name, const std::deque<MetricSample>& h, float MetricSample::*field, float width,
               float height, const char* fmt) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    float lo = 0, hi = 1e-6f;
    for (const auto& s : h) hi = std::max(hi, s.*field);
    dl->AddRectFilled(p, ImVec2(p.x + width, p.y + height), ImGui::GetColorU32(ImGuiCol_FrameBg));
    const int n = static_cast<int>(h.size());
    for (int i = 1; i < n; ++i) {
        const auto at = [&](int j) {
            return ImVec2(p.x + width * j / std::max(1, n - 1),
                          p.y + height - (h[j].*field - lo) / (hi - lo) * (height - 2) - 1);
        };
        dl->AddLine(at(i - 1), at(i), ImGui::GetColorU32(ImGuiCol_PlotLines), 1.5f);
    }
    ImGui::Dummy(ImVec2(width, height));
    ImGui::SameLine();
    char value[32];
    std::snprintf(value, sizeof value, fmt, n ? h.back().*field : 0.0f);
    ImGui::Text("%s %s", tr(name), value);
}

}  // namespace

void LoadView::drawContent(AppState& state) {
    caption("Assignments per expert before (outline) and after (fill) capacity; the line is the capacity.");
    const Routing& r = state.result().routing;
    if (r.experts == 0) return;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // The bars take what the metrics and their history leave, but never less than a few
    // lines; a short window leaves the history out rather than cut the numbers.
    const float line = ImGui::GetTextLineHeightWithSpacing(), minBars = ImGui::GetTextLineHeight() * 5;
    const float metrics = line * 5 + px(8), history = line + (px(22) + ImGui::GetStyle().ItemSpacing.y) * 3;
    const bool withHistory = avail.y - metrics - history >= minBars;
    const float bars = std::max(minBars, avail.y - metrics - (withHistory ? history : 0));
    const int hovered = drawLoadBars(r, ui(), ImVec2(avail.x, bars));
    if (hovered >= 0) {
        ImGui::BeginTooltip();
        ImGui::Text("E%d: %s %d, %s %d, %s %d", hovered, tr("requested"), r.requested[hovered], tr("kept"),
                    r.kept[hovered], tr("dropped"), r.overflow[hovered]);
        if (r.capacity >= 0)
            ImGui::Text(
                tr("capacity = max(ceil(k·N/E·capacity factor), min capacity) = max(ceil(%d·%d/%d·%.2f), %d) = %d  "
                   "(N tokens)"),
                r.k, r.tokens, r.experts, state.settings().router.capacityFactor, state.settings().router.minCapacity,
                r.capacity);
        ImGui::EndTooltip();
    }
    ImGui::Separator();
    drawMetricsTable(state.result().metrics, "##metrics");
    if (!withHistory) return;
    ImGui::TextDisabled("%s", tr("History"));
    const float w = std::max(px(60), ImGui::GetContentRegionAvail().x * 0.5f - px(40)), h = px(22);
    sparkline(N_("Load CV (requested)"), state.history(), &MetricSample::cv, w, h, "%.3f");
    sparkline(N_("Aux loss"), state.history(), &MetricSample::auxLoss, w, h, "%.3f");
    sparkline(N_("Drop rate"), state.history(), &MetricSample::dropRate, w, h, "%.3f");
}

}  // namespace moe::gui
