#pragma once
#include "view.hpp"

namespace moe::gui {
// Total vs active parameters and FLOPs per token, for this layer and published models.
class DenseView final : public View {
public:
    DenseView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
