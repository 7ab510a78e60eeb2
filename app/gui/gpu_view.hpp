#pragma once
#include <vector>

#include "view.hpp"

namespace moe::gui {
// Each simulated GPU with its experts coloured by load, and the dispatch -> compute ->
// combine timeline per GPU with the straggler marked; between them the four placements
// side by side on the same routing.
class GpuView final : public View {
public:
    GpuView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    void gpuBoxes(const Traffic& t, const std::vector<int>& load);
    void timeline(const Traffic& t);
    void placementTable(const AppState& state);

    uint64_t m_outcomesVersion = ~uint64_t(0);  // the result the table was computed for
    std::vector<PlacementOutcome> m_outcomes;
};
}  // namespace moe::gui
