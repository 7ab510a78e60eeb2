#pragma once
#include "view.hpp"

namespace moe::gui {
// The sentence as byte chips grouped under their characters, coloured by first-choice
// expert; hovering a chip shows the seeds' per-token view (every expert's score as a bar).
class TokenStripView final : public View {
public:
    TokenStripView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};

// The per-token tooltip: all experts' scores as bars, top-k marked, the weights'
// formula filled in. Shared with the heatmap.
void tokenTooltip(const AppState& state, int t);
}  // namespace moe::gui
