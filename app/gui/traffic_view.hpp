#pragma once
#include "view.hpp"

namespace moe::gui {
// The all-to-all: GPU x GPU dispatch bytes (rows send, columns receive), local traffic
// on the shaded diagonal, node boundaries drawn, row and column sums as bars, totals.
class TrafficView final : public View {
public:
    TrafficView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
