#pragma once
#include <string>

#include "training_lab.hpp"
#include "view.hpp"

namespace moe::gui {
// Train the router live. Explore: play / pause / step / reset, learning rate and the
// balancing coefficients; loss, load CV and drop-rate curves, per-expert load over
// steps, and which experts take which kinds of bytes. Experiment: the lesson's
// load-balancing experiment, two runs side by side (no balancing, auxiliary loss).
// Sentiment: seed 002's claim that experts specialise in positive and negative reviews.
// The runs are the app's (AppState::training()); the view keeps which tab shows.
class TrainingView final : public View {
public:
    TrainingView(const ViewInfo& info, Ui& ui) : View(info, ui) {}
    // Starts an experiment and shows it: "balance" (the two runs of the load-balancing
    // experiment) or "sentiment" (seed 002's claim).
    void startExperiment(AppState& state, const std::string& kind);
    // A lesson chapter about an experiment opens on it: its tab, with the last run shown
    // or, the first time, a run started at once.
    void openExperiment(AppState& state, const std::string& kind);

protected:
    void drawContent(AppState& state) override;

private:
    void explore(AppState& state);
    void exploreButtons(AppState& state);
    void hyperparameters(TrainingLab& lab);
    void exploreCharts(const TrainingSnapshot& snap, const TrainingSnapshot* pinned);
    void experiment(AppState& state);

    bool m_showExperiment = false, m_selectExperimentTab = false, m_selectSentimentTab = false;
};
}  // namespace moe::gui
