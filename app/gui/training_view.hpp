#pragma once
#include <array>
#include <memory>
#include <optional>

#include "sentiment_panel.hpp"
#include "training_session.hpp"
#include "view.hpp"

namespace moe::gui {
// Train the router live. Explore: play / pause / step / reset, learning rate and the
// balancing coefficients; loss, load CV and drop-rate curves, per-expert load over
// steps, and which experts take which kinds of bytes. Experiment: the lesson's
// load-balancing experiment, two runs side by side (no balancing, auxiliary loss).
// Sentiment: seed 002's claim that experts specialise in positive and negative reviews.
class TrainingView final : public View {
public:
    explicit TrainingView(Ui& ui) : View("Training", "training", ui) {}
    // Starts an experiment and shows it: "balance" (the two runs of the load-balancing
    // experiment) or "sentiment" (seed 002's claim).
    void startExperiment(const std::string& kind);
    // A lesson chapter about an experiment opens on it: its tab, with the last run shown
    // or, the first time, a run started at once.
    void openExperiment(const std::string& kind);

protected:
    void drawContent(AppState& state) override;

private:
    void restart(AppState& state);
    void explore(AppState& state);
    void experiment();

    std::unique_ptr<TrainingSession> m_session;
    uint64_t m_weightsVersion = 0, m_snapVersion = 0;
    bool m_live = true;
    float m_lr = 3e-3f, m_aux = 0.01f, m_z = 0.001f, m_bias = 0.0f;
    int m_batch = 16;
    TrainingSnapshot m_snap;
    std::optional<TrainingSnapshot> m_pinnedRun;  // A: a run kept to overlay on the next

    // The experiment: [0] without balancing, [1] with the auxiliary loss.
    std::array<std::unique_ptr<TrainingSession>, 2> m_runs;
    std::array<TrainingSnapshot, 2> m_runSnaps;
    std::array<uint64_t, 2> m_runVersions{};
    bool m_showExperiment = false, m_selectExperimentTab = false, m_selectSentimentTab = false;
    SentimentPanel m_sentiment;
};
} // namespace moe::gui
