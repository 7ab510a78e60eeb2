#pragma once
#include "view.hpp"

namespace moe::gui {
// Each simulated GPU with its experts coloured by load, and the dispatch -> compute ->
// combine timeline per GPU with the straggler marked.
class GpuView final : public View {
public:
    explicit GpuView(Ui& ui) : View("GPUs and timeline", "gpus", ui) {}

protected:
    void drawContent(AppState& state) override;
};
} // namespace moe::gui
