#pragma once
#include "view.hpp"

namespace moe::gui {
// Tokens x experts, colour = score; chosen cells outlined, dropped ones crossed.
class HeatmapView final : public View {
public:
    HeatmapView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
