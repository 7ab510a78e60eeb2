#include "dense_view.hpp"
#include "wrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "presets.hpp"

namespace moe::gui {
namespace {

// Two stacked bars: total (outline) and active (filled), to scale.
void ratioBar(double total, double active, float width, ImU32 color) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight() * 0.8f;
    const float f = total > 0 ? static_cast<float>(std::clamp(active / total, 0.0, 1.0)) : 0.0f;
    dl->AddRectFilled(p, ImVec2(p.x + width * f, p.y + h), color);
    dl->AddRect(p, ImVec2(p.x + width, p.y + h), ImGui::GetColorU32(ImGuiCol_Text));
    ImGui::Dummy(ImVec2(width, h));
}

std::string human(double v) {
    char b[32];
    if (v >= 1e9)
        std::snprintf(b, sizeof b, "%.1fB", v / 1e9);
    else if (v >= 1e6)
        std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        std::snprintf(b, sizeof b, "%.1fK", v / 1e3);
    else
        std::snprintf(b, sizeof b, "%.0f", v);
    return b;
}

}  // namespace

void DenseView::drawContent(AppState& state) {
    caption("Parameters stored vs used per token, and compute per token.");
    const Metrics& m = state.result().metrics;
    const float barW = std::max(px(40), ImGui::GetContentRegionAvail().x * 0.2f);
    // Scrolls under a frozen header when the rows do not fit; headers keep their width.
    const float summaryH = ImGui::GetTextLineHeightWithSpacing() * 2.2f;
    const ImVec2 tableSize(0, std::max(ImGui::GetFrameHeight() * 3, ImGui::GetContentRegionAvail().y - summaryH));
    if (ImGui::BeginTable(
            "##dense", 4,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX,
            tableSize)) {
        ImGui::TableSetupScrollFreeze(1, 1);
        ImGui::TableSetupColumn(tr("model"));
        ImGui::TableSetupColumn(tr("total"));
        ImGui::TableSetupColumn(tr("active"));
        ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, barW);
        ImGui::TableHeadersRow();
        const auto row = [&](const char* name, double total, double active, const char* tip) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(name);
            if (tip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(std::isnan(total) ? tr("not published") : human(total).c_str());
            ImGui::TableNextColumn();
            if (std::isnan(active))
                ImGui::TextDisabled("%s", tr(std::isnan(total) ? "not published" : "not given"));
            else
                ImGui::Text("%s (%.0f%%)", human(active).c_str(), total > 0 ? 100 * active / total : 0.0);
            ImGui::TableNextColumn();
            if (!std::isnan(total) && !std::isnan(active)) ratioBar(total, active, barW, expertColor(1));
        };
        row(tr("This layer"), double(m.totalParams), double(m.activeParams),
            tr("total: router E·D+E + (E+S) experts; active: router + (k+S) experts"));
        row(tr("FLOPs per token"), m.flopsPerTokenDense, m.flopsPerTokenMoe,
            tr("dense: an FFN as large as all experts; MoE: router + (k+S) experts"));
        for (const PublishedModel& p : publishedModels())
            row(tr(p.name),  // "Mistral 7B (dense)" has a translation; model names do not need one
                p.totalParamsB * 1e9, p.activeParamsB * 1e9, p.source);
        ImGui::EndTable();
    }
    if (m.flopsPerTokenMoe > 0)
        textWrappedf(tr("MoE: %.1fx the parameters of its active path, at %.0f%% of a same-size dense FFN's FLOPs."),
                     m.activeParams > 0 ? double(m.totalParams) / m.activeParams : 0.0,
                     100 * m.flopsPerTokenMoe / std::max(1.0, m.flopsPerTokenDense));
}

}  // namespace moe::gui
