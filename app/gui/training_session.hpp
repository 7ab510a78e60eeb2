#pragma once
// Training on a worker thread, for the app: the window asks (play, pause, step,
// reset, new settings) and reads snapshots; the trainer itself is touched by the
// worker alone. Every request changes state under the mutex, so no wake-up is lost.
#include <array>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "train/history.hpp"
#include "train/trainer.hpp"

namespace moe::gui {

struct TrainingSnapshot {
    int step = 0;
    train::Series loss, heldOut = train::Series(256), cv, dropRate;  // bounded however long training runs
    std::deque<std::vector<int>> load;                               // per step, the last kLoadHistory steps
    std::vector<std::array<int, train::kByteClasses>> specialisation;
    double tokensPerSecond = 0;
    std::string error;
};

class TrainingSession {
public:
    static constexpr size_t kLoadHistory = 200;
    TrainingSession();
    ~TrainingSession();

    // (Re)starts from the seed's initialisation with these settings and corpus.
    void reset(const train::TrainConfig& cfg, const std::string& corpus);
    void play(bool on);
    // Plays until the trainer has taken `steps` steps, then pauses.
    void playUntil(int steps);
    bool playing() const;
    void stepOnce();
    // Learning rate, coefficients and batch size, applied before the next step.
    void tune(double lr, double aux, double z, double biasRate, int batch);

    // Copies the snapshot into `out` when it changed since `version` (then updated);
    // a frame that finds nothing new copies nothing.
    bool snapshotSince(uint64_t& version, TrainingSnapshot& out) const;
    // Without a worker thread (the browser): the steps asked for, for up to `budgetMs`.
    void stepOnWindowThread(double budgetMs);
    // The newest weights, when they changed since `version`.
    bool weightsSince(uint64_t& version, ModelWeights& out) const;

private:
    struct StepResults {
        train::StepLog log;
        bool report = false, evaluate = false;
        ModelWeights weights;
        std::vector<std::array<int, train::kByteClasses>> specialisation;
        double heldOut = 0;
        int tokens = 0;
    };
    void run();
    bool awaitStep(bool& playing);
    bool stepDue() const;  // under the lock
    StepResults takeStep(bool playing);
    void publish(StepResults& r);  // under the lock

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::unique_ptr<train::Trainer> m_trainer;  // worker only, once built
    std::unique_ptr<train::Trainer> m_pending;  // a reset waiting for the worker
    TrainingSnapshot m_snap;
    uint64_t m_snapVersion = 1;
    ModelWeights m_weights;
    uint64_t m_weightsVersion = 0;
    struct Tune {
        double lr, aux, z, bias;
        int batch;
    };
    std::optional<Tune> m_tune;
    bool m_playing = false;
    int m_stepsRequested = 0;
    int m_stepLimit = 0;  // pause when reached; 0: no limit
    bool m_quit = false;
    std::thread m_worker;
};

}  // namespace moe::gui
