#pragma once
// The training page's model: the explore run (its session, hyperparameters, a run pinned
// as A), the load-balancing experiment's two runs and the sentiment experiment. Their
// threads live here, beside the app's state, not in a view: the training view draws them
// and asks.
#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "sentiment_run.hpp"
#include "settings.hpp"
#include "training_session.hpp"

namespace moe::gui {

struct TrainingHyper {
    float lr = 3e-3f, aux = 0.01f, z = 0.001f, bias = 0.0f;
    int batch = 16;
};

class TrainingLab {
public:
    TrainingHyper hyper;                        // the explore run's, as its sliders set them
    std::optional<TrainingSnapshot> pinnedRun;  // A: a run kept to overlay on the next
    bool live = true;                           // the other views show the explore run's weights

    // (Re)starts the explore run from the seed's initialisation, with the model and routing
    // settings core can train (train::trainableModel); changes() says what it changed.
    void restart(const Settings& s);
    bool started() const { return m_session != nullptr; }
    bool running() const;  // the explore run or an experiment's run is training
    TrainingSession& explore() { return *m_session; }
    const std::vector<const char*>& changes() const { return m_changes; }
    void tune();  // hands `hyper` to the explore run
    // The explore run's newest snapshot (copied only when it changed).
    const TrainingSnapshot& snapshot();
    // The explore run's newest weights, when they changed since the last call.
    bool newWeights(ModelWeights& out);

    // The balance experiment: [0] without balancing, [1] with the auxiliary loss. Starting
    // it pauses the explore run: two cores, and the experiment gets them.
    void startBalance();
    bool balanceStarted() const { return m_runs[0] != nullptr; }
    const std::array<TrainingSnapshot, 2>& balanceSnapshots();  // the newest of both runs
    void pauseExplore();
    SentimentRun& sentiment() { return m_sentiment; }

private:
    std::unique_ptr<TrainingSession> m_session;
    uint64_t m_weightsVersion = 0, m_snapVersion = 0;
    TrainingSnapshot m_snap;
    std::vector<const char*> m_changes;
    std::array<std::unique_ptr<TrainingSession>, 2> m_runs;
    std::array<TrainingSnapshot, 2> m_runSnaps;
    std::array<uint64_t, 2> m_runVersions{};
    SentimentRun m_sentiment;
};

}  // namespace moe::gui
