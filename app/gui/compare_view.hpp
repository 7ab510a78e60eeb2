#pragma once
#include "view.hpp"

namespace moe::gui {
// A/B: the pinned state A beside the current state B — gate scores, token chips, expert
// load and metrics — with the assignments that changed outlined in yellow, and which
// settings differ.
class CompareView final : public View {
public:
    CompareView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
