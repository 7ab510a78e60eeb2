#pragma once
#include "view.hpp"

namespace moe::gui {
// Per-expert assignments before and after capacity, the capacity line, the balance
// metrics and their recent history.
class LoadView final : public View {
public:
    explicit LoadView(Ui& ui) : View("Expert load", "load", ui) {}

protected:
    void drawContent(AppState& state) override;
};
} // namespace moe::gui
