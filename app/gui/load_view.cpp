#include "load_view.hpp"

#include <algorithm>
#include <cstdio>

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

} // namespace

void LoadView::drawContent(AppState& state) {
    caption("Assignments per expert before (outline) and after (fill) capacity; the line is the capacity.");
    const Routing& r = state.result().routing;
    const Metrics& m = state.result().metrics;
    const int E = r.experts;
    if (E == 0) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float chartH = std::max(px(80), ImGui::GetContentRegionAvail().y - px(200));
    const float chartW = ImGui::GetContentRegionAvail().x;
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float axisH = ImGui::GetTextLineHeight() + px(2);
    int top = std::max(1, r.capacity);
    for (int e = 0; e < E; ++e) top = std::max({top, r.requested[e], r.kept[e]});
    const float scale = (chartH - axisH - px(14)) / top;
    const float slot = chartW / E, bw = std::max(px(2), slot * 0.7f);
    const float base = o.y + chartH - axisH;
    int hovered = -1;
    for (int e = 0; e < E; ++e) {
        const float x = o.x + e * slot + (slot - bw) * 0.5f;
        const float req = r.requested[e] * scale, kept = r.kept[e] * scale;
        dl->AddRectFilled(ImVec2(x, base - kept), ImVec2(x + bw, base), expertColor(e));
        if (r.overflow[e] > 0) {
            // The part that found the expert full, in the warning colour, hatched.
            const float ot = base - req, ob = base - std::min(req, float(std::max(r.capacity, 0)) * scale);
            dl->AddRectFilled(ImVec2(x, ot), ImVec2(x + bw, ob), kWarning & IM_COL32(255, 255, 255, 110));
            for (float yy = ob; yy > ot; yy -= px(6))
                dl->AddLine(ImVec2(x, yy), ImVec2(x + bw, std::max(ot, yy - px(6))), kWarning, 1.5f);
        }
        dl->AddRect(ImVec2(x, base - req), ImVec2(x + bw, base), ImGui::GetColorU32(ImGuiCol_Text), 0, 0, px(1.5f));
        if (slot > px(18)) {
            char n[16];
            std::snprintf(n, sizeof n, "E%d", e);
            dl->AddText(ImVec2(x, base + px(1)), ImGui::GetColorU32(ImGuiCol_Text), n);
        }
        if (ImGui::IsMouseHoveringRect(ImVec2(o.x + e * slot, o.y), ImVec2(o.x + (e + 1) * slot, base))) hovered = e;
    }
    if (r.capacity >= 0) {
        const float y = base - r.capacity * scale;
        dl->AddLine(ImVec2(o.x, y), ImVec2(o.x + chartW, y), kWarning, px(2));
        char c[48];
        std::snprintf(c, sizeof c, "%s %d", tr("capacity"), r.capacity);
        const ImVec2 ts = ImGui::CalcTextSize(c), tp(o.x + chartW - ts.x - px(4), y - ts.y - px(1));
        dl->AddRectFilled(tp, ImVec2(tp.x + ts.x, tp.y + ts.y), ImGui::GetColorU32(ImGuiCol_WindowBg));
        dl->AddText(tp, kWarning, c);
    }
    ImGui::Dummy(ImVec2(chartW, chartH));
    if (hovered >= 0) {
        ImGui::BeginTooltip();
        ImGui::Text("E%d: %s %d, %s %d, %s %d", hovered, tr("requested"), r.requested[hovered], tr("kept"),
                    r.kept[hovered], tr("dropped"), r.overflow[hovered]);
        if (r.capacity >= 0)
            ImGui::Text("%s = max(ceil(k*T/E*C), min) = max(ceil(%d*%d/%d*%.2f), %d) = %d", tr("capacity"), r.k,
                        r.tokens, E, state.settings().router.capacityFactor, state.settings().router.minCapacity, r.capacity);
        ImGui::EndTooltip();
    }

    ImGui::Separator();
    const float half = ImGui::GetContentRegionAvail().x * 0.5f;
    if (ImGui::BeginTable("##metrics", 4, ImGuiTableFlags_SizingStretchProp)) {
        const auto row = [&](const char* a, const std::string& av, const char* b, const std::string& bv) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextDisabled("%s", tr(a));
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(av.c_str());
            ImGui::TableNextColumn();
            ImGui::TextDisabled("%s", tr(b));
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(bv.c_str());
        };
        char buf[6][48];
        std::snprintf(buf[0], 48, "%.1f%% (%d/%d)", 100 * m.dropRate, m.dropped, m.assignments);
        std::snprintf(buf[1], 48, "%.4f", m.auxLoss);
        std::snprintf(buf[2], 48, "%.4f", m.cv);
        std::snprintf(buf[3], 48, "%.3f", m.maxOverMean);
        std::snprintf(buf[4], 48, "%.4f", m.zLoss);
        std::snprintf(buf[5], 48, "%.4f", m.entropy);
        row("Drop rate", buf[0], "Aux loss", buf[1]);
        row("Load CV", buf[2], "Max/mean", buf[3]);
        row("Z-loss", buf[4], "Entropy", buf[5]);
        ImGui::EndTable();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("aux = E * sum_i f_i P_i (Switch; 1 = balanced)\nz = mean (logsumexp logits)^2 (ST-MoE)\n"
                          "CV = std/mean of requested");
    ImGui::TextDisabled("%s", tr("History"));
    const float w = std::max(px(60), half - px(40)), h = px(22);
    sparkline("Load CV", state.history(), &MetricSample::cv, w, h, "%.3f");
    sparkline("Aux loss", state.history(), &MetricSample::auxLoss, w, h, "%.3f");
    sparkline("Drop rate", state.history(), &MetricSample::dropRate, w, h, "%.3f");
}

} // namespace moe::gui
