#pragma once
#include "view.hpp"

namespace moe::gui {
// Per-expert assignments before and after capacity, the capacity line, the balance
// metrics and their recent history.
class LoadView final : public View {
public:
    LoadView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
