#include "gpu_view.hpp"

#include <algorithm>
#include <cstdio>

namespace moe::gui {

// GPUs as boxes in rows of one node; experts as coloured squares inside, brighter with
// more kept tokens (`load`).
void GpuView::gpuBoxes(const Traffic& t, const std::vector<int>& load) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int G = t.gpus, N = std::max(1, t.gpusPerNode);
    const int maxLoad = std::max(1, *std::max_element(load.begin(), load.end()));
    const float width = ImGui::GetContentRegionAvail().x;
    const int perRow = std::min(G, N);
    const float boxW = std::max(px(40), (width - px(6) * perRow) / perRow);
    int maxExperts = 1;
    for (const auto& g : t.perGpu) maxExperts = std::max(maxExperts, static_cast<int>(g.experts.size()));
    const int cols = std::max(1, static_cast<int>(boxW / px(16)));
    const float sq = std::min(px(14), (boxW - px(6)) / cols - px(2));
    const float boxH = ImGui::GetTextLineHeight() + px(6) + ((maxExperts + cols - 1) / cols) * (sq + px(2));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    int hovExpert = -1, hovGpu = -1;
    for (int g = 0; g < G; ++g) {
        const ImVec2 a(o.x + (g % perRow) * (boxW + px(6)), o.y + (g / perRow) * (boxH + px(6)));
        const ImVec2 b(a.x + boxW, a.y + boxH);
        const bool straggler = g == t.straggler && G > 1;
        dl->AddRect(a, b, straggler ? kWarning : ImGui::GetColorU32(ImGuiCol_Border), px(3), 0,
                    straggler ? px(2.5f) : 1.0f);
        char title[48];
        std::snprintf(title, sizeof title, tr("GPU %d  %d tokens"), g, t.perGpu[g].tokensComputed);
        dl->AddText(ImVec2(a.x + px(4), a.y + px(2)), ImGui::GetColorU32(ImGuiCol_Text), title);
        const auto& ex = t.perGpu[g].experts;
        for (size_t i = 0; i < ex.size(); ++i) {
            const ImVec2 p(a.x + px(4) + (i % cols) * (sq + px(2)),
                           a.y + ImGui::GetTextLineHeight() + px(4) + (i / cols) * (sq + px(2)));
            const float heat = 0.25f + 0.75f * float(load[ex[i]]) / maxLoad;
            dl->AddRectFilled(p, ImVec2(p.x + sq, p.y + sq), expertColor(ex[i], heat));
            if (ImGui::IsMouseHoveringRect(p, ImVec2(p.x + sq, p.y + sq))) {
                hovExpert = ex[i];
                hovGpu = g;
            }
        }
    }
    const int rows = (G + perRow - 1) / perRow;
    ImGui::Dummy(ImVec2(width, rows * (boxH + px(6))));
    if (hovExpert >= 0)
        ImGui::SetTooltip(tr("E%d on GPU %d: %d kept tokens, %zu copies"), hovExpert, hovGpu, load[hovExpert],
                          t.expertGpus[hovExpert].size());
}

// Timeline: the dispatch phase ends when its slowest GPU ends, and so on.
void GpuView::timeline(const Traffic& t) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int G = t.gpus;
    const float tw = ImGui::GetContentRegionAvail().x - px(60);
    const double total = std::max(1e-9, t.totalTimeUs);
    const float rowH = std::clamp((ImGui::GetContentRegionAvail().y - px(30)) / G, px(3), px(18));
    const ImVec2 l = ImGui::GetCursorScreenPos();
    const auto x = [&](double us) { return l.x + px(60) + float(us / total) * tw; };
    for (int g = 0; g < G; ++g) {
        const GpuTraffic& p = t.perGpu[g];
        const float y = l.y + g * rowH;
        if (rowH >= px(10)) {
            char s[16];
            std::snprintf(s, sizeof s, "GPU %d", g);
            dl->AddText(ImVec2(l.x, y), g == t.straggler ? kWarning : ImGui::GetColorU32(ImGuiCol_Text), s);
        }
        const float y1 = y + rowH - 1;
        dl->AddRectFilled(ImVec2(x(0), y), ImVec2(x(p.dispatchUs), y1), expertColor(1));
        dl->AddRectFilled(ImVec2(x(t.dispatchTimeUs), y), ImVec2(x(t.dispatchTimeUs + p.computeUs), y1),
                          g == t.straggler ? kWarning : expertColor(2));
        dl->AddRectFilled(ImVec2(x(t.dispatchTimeUs + t.computeTimeUs), y),
                          ImVec2(x(t.dispatchTimeUs + t.computeTimeUs + p.combineUs), y1), expertColor(0));
        if (ImGui::IsMouseHoveringRect(ImVec2(l.x, y), ImVec2(l.x + tw + px(60), y1)))
            ImGui::SetTooltip(
                tr("GPU %d: dispatch %.1f µs, compute %.1f µs, combine %.1f µs; sends %.2f MiB, receives %.2f MiB%s"),
                g, p.dispatchUs, p.computeUs, p.combineUs, p.sendBytes / 1048576.0, p.recvBytes / 1048576.0,
                g == t.straggler ? tr(" (straggler)") : "");
    }
    ImGui::Dummy(ImVec2(tw, G * rowH + px(4)));
    ImGui::TextDisabled(tr("dispatch | compute (vermillion: the straggler, GPU %d) | combine = %.1f µs"), t.straggler,
                        t.totalTimeUs);
}

// Every placement on this routing with the same replicas: the busiest GPU against the
// mean, the bytes over each link class and the step's time; the one in use ticked.
void GpuView::placementTable(const AppState& state) {
    if (m_outcomesVersion != state.resultVersion()) {
        m_outcomes = comparePlacements(state.result().routing, state.settings().cluster, deviceLimit(state.settings()));
        m_outcomesVersion = state.resultVersion();
    }
    ImGui::TextDisabled("%s", tr("every placement on this routing, with the same --replicate"));
    const ImGuiTableFlags flags = ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV;
    if (!ImGui::BeginTable("##placements", 6, flags)) return;
    for (const char* h : {N_("Placement"), N_("busiest GPU (max/mean)"), N_("inside nodes"), N_("between nodes"),
                          N_("dispatch"), N_("step")})
        ImGui::TableSetupColumn(tr(h));
    ImGui::TableHeadersRow();
    const auto kib = [](int64_t b) {
        char s[32];
        std::snprintf(s, sizeof s, "%.1f KiB", b / 1024.0);
        return std::string(s);
    };
    for (const PlacementOutcome& o : m_outcomes) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        const bool used = o.placement == state.settings().cluster.placement;
        ImGui::Text("%s%s", tr(toString(o.placement).data()), used ? " ✓" : "");
        ImGui::TableNextColumn();
        if (!o.error.empty()) {
            ImGui::TextDisabled("%s", tr("needs E + R (--replicate) to be a multiple of the GPUs"));
            continue;
        }
        ImGui::Text(tr("%d tokens (%.2f)"), o.maxGpuLoad, o.maxOverMean);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(kib(o.intraNodeBytes).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(kib(o.interNodeBytes).c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%.1f µs", o.dispatchTimeUs);
        ImGui::TableNextColumn();
        ImGui::Text("%.1f µs", o.totalTimeUs);
    }
    ImGui::EndTable();
}

void GpuView::drawContent(AppState& state) {
    caption("Experts inside their GPUs (brighter = more tokens); below, each GPU's dispatch, compute and combine.");
    const Traffic& t = state.traffic();
    const Routing& r = state.result().routing;
    if (t.perGpu.empty()) return;
    std::vector<int> load(r.experts, 0);
    for (int s = 0; s < r.slotCount(); ++s)
        if (r.slotKept[s]) ++load[r.slotExpert[s]];
    gpuBoxes(t, load);
    if (t.gpus > 1) {
        ImGui::Separator();
        placementTable(state);
    }
    ImGui::Separator();
    timeline(t);
}

}  // namespace moe::gui
