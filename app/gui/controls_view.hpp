#pragma once
#include "view.hpp"

namespace moe::gui {
// Every routing flag of the command line as a widget, with ranges that make bad states impossible.
class ControlsView final : public View {
public:
    explicit ControlsView(Ui& ui) : View("Controls", "controls", ui) {}
    // Opens (or closes) the expert-parallel section once, on a page switch.
    void showParallel(bool open) { m_parallelOpen = open, m_applyOpen = true; }

protected:
    void drawContent(AppState& state) override;

private:
    bool m_parallelOpen = false, m_applyOpen = false;
};
} // namespace moe::gui
