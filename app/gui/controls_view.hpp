#pragma once
#include "view.hpp"

namespace moe::gui {
// Every routing flag of the command line as a widget, with ranges that make bad states impossible.
class ControlsView final : public View {
public:
    explicit ControlsView(Ui& ui) : View("Controls", "controls", ui) {}

protected:
    void drawContent(AppState& state) override;
};
} // namespace moe::gui
