#pragma once
#include "journey.hpp"
#include "view.hpp"

namespace moe::gui {
// One token's whole way through the layer, stage under stage: its byte, its embedding
// row, the logits, the scores with the top-k marked, the weights' formula with its
// numbers, its place in capacity, each chosen expert's output and the weighted sum.
class JourneyView final : public View {
public:
    JourneyView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    TokenJourney m_journey;
    uint64_t m_version = 0;
    int m_token = -1;
    float m_squeeze = 1;  // bars and strips at this share of their height, so that every stage fits
    void fitNextFrame(float graphics);
};
}  // namespace moe::gui
