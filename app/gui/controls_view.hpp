#pragma once
#include <string>

#include "view.hpp"

namespace moe::gui {
// Every setting of the command line as a control, built from the settings schema:
// its range, its help (on hover, with the flag) and what a change makes the app redo.
class ControlsView final : public View {
public:
    ControlsView(const ViewInfo& info, Ui& ui) : View(info, ui) {}
    // Opens (or closes) the expert-parallel section once, on a page switch.
    void showParallel(bool open) {
        m_parallelOpen = open;
        m_applyOpen = true;
    }

protected:
    void drawContent(AppState& state) override;

private:
    void settingsSection(AppState& state, SettingGroup group);
    void presetList(AppState& state);
    void topologyButtons(AppState& state);
    void computeStatus(AppState& state);
    bool m_parallelOpen = false, m_applyOpen = false;
    std::string m_message;  // why a preset could not be applied
};
}  // namespace moe::gui
