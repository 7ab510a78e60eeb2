#pragma once
#include "view.hpp"

namespace moe::gui {
// Each simulated GPU with its experts coloured by load, and the dispatch -> compute ->
// combine timeline per GPU with the straggler marked.
class GpuView final : public View {
public:
    GpuView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    void gpuBoxes(const Traffic& t, const std::vector<int>& load);
    void timeline(const Traffic& t);
};
}  // namespace moe::gui
