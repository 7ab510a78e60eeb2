#pragma once
#include <memory>

#include "training_session.hpp"
#include "view.hpp"

namespace moe::gui {
// Train the router live: play / pause / step / reset, learning rate and the balancing
// coefficients; loss, load CV and drop-rate curves, per-expert load over steps, and
// which experts take which kinds of bytes.
class TrainingView final : public View {
public:
    explicit TrainingView(Ui& ui) : View("Training", "training", ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    void restart(AppState& state);
    std::unique_ptr<TrainingSession> m_session;
    uint64_t m_weightsVersion = 0, m_snapVersion = 0;
    bool m_live = true;
    float m_lr = 3e-3f, m_aux = 0.01f, m_z = 0.001f, m_bias = 0.0f;
    int m_batch = 16;
    TrainingSnapshot m_snap;
};
} // namespace moe::gui
