#pragma once
// Training on a worker thread, for the app: the window asks (play, pause, step,
// reset, new settings) and reads snapshots; the trainer itself is touched by the
// worker alone.
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "train/trainer.hpp"

namespace moe::gui {

struct TrainingSnapshot {
    int step = 0;
    std::vector<float> loss, heldOut, cv, dropRate;  // per logged step (held-out every 20 steps)
    std::vector<int> heldOutSteps;
    std::deque<std::vector<int>> load;               // per step, the last kLoadHistory steps
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
    bool playing() const { return m_playing; }
    void stepOnce();
    // Learning rate, coefficients and batch size, applied before the next step.
    void tune(double lr, double aux, double z, double biasRate, int batch);

    TrainingSnapshot snapshot() const;
    // The newest weights, when they changed since `version`.
    bool weightsSince(uint64_t& version, ModelWeights& out) const;

private:
    void run();

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::unique_ptr<train::Trainer> m_trainer;  // worker only, once built
    std::unique_ptr<train::Trainer> m_pending;  // a reset waiting for the worker
    TrainingSnapshot m_snap;
    ModelWeights m_weights;
    uint64_t m_weightsVersion = 0;
    struct Tune {
        double lr, aux, z, bias;
        int batch;
    };
    std::optional<Tune> m_tune;
    std::atomic<bool> m_playing{false};
    int m_stepsRequested = 0;
    bool m_quit = false;
    std::thread m_worker;
};

} // namespace moe::gui
