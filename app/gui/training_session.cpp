#include "training_session.hpp"

#include <chrono>
#include <omp.h>

#include "errors.hpp"
#include "platform.hpp"

namespace moe::gui {

TrainingSession::TrainingSession() {
    if (kWorkerThreads) m_worker = std::thread([this] { run(); });
}

TrainingSession::~TrainingSession() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    if (m_worker.joinable()) m_worker.join();
}

void TrainingSession::reset(const train::TrainConfig& cfg, const std::string& corpus) {
    std::unique_ptr<train::Trainer> t;
    std::string error;
    try {
        t = std::make_unique<train::Trainer>(cfg, corpus);
    } catch (const std::exception& e) {
        error = errorText(e);
    }
    std::lock_guard lock(m_mutex);
    m_snap = TrainingSnapshot{};
    ++m_snapVersion;
    m_snap.error = error;
    m_playing = false;
    m_stepsRequested = 0;
    if (t) {
        m_weights = t->weights();
        m_snap.specialisation = t->specialisation();
        m_snap.heldOut.add(0, static_cast<float>(t->heldOutLoss()));
        ++m_weightsVersion;
        m_pending = std::move(t);
    }
    m_wake.notify_all();
}

void TrainingSession::play(bool on) {
    std::lock_guard lock(m_mutex);
    m_playing = on;
    m_stepLimit = 0;
    m_wake.notify_all();
}

void TrainingSession::playUntil(int steps) {
    std::lock_guard lock(m_mutex);
    m_playing = true;
    m_stepLimit = steps;
    m_wake.notify_all();
}

bool TrainingSession::playing() const {
    std::lock_guard lock(m_mutex);
    return m_playing;
}

void TrainingSession::stepOnce() {
    std::lock_guard lock(m_mutex);
    ++m_stepsRequested;
    m_wake.notify_all();
}

void TrainingSession::tune(double lr, double aux, double z, double biasRate, int batch) {
    std::lock_guard lock(m_mutex);
    m_tune = Tune{lr, aux, z, biasRate, batch};
}

bool TrainingSession::snapshotSince(uint64_t& version, TrainingSnapshot& out) const {
    std::lock_guard lock(m_mutex);
    if (version == m_snapVersion) return false;
    version = m_snapVersion;
    out = m_snap;
    return true;
}

bool TrainingSession::weightsSince(uint64_t& version, ModelWeights& out) const {
    std::lock_guard lock(m_mutex);
    if (version == m_weightsVersion || m_weights.experts.empty()) return false;
    version = m_weightsVersion;
    out = m_weights;
    return true;
}

// Waits under the lock for a step to take; false when the session ends.
bool TrainingSession::awaitStep(bool& playing) {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [&] { return m_quit || m_pending || stepDue(); });
        if (m_quit) return false;
        if (m_pending) m_trainer = std::move(m_pending);
        if (m_playing || m_stepsRequested > 0) break;
    }
    if (m_stepsRequested > 0) --m_stepsRequested;
    playing = m_playing;
    if (m_tune) {
        train::TrainConfig& c = m_trainer->config();
        c.lr = m_tune->lr;
        c.model.auxCoef = m_tune->aux;
        c.model.zCoef = m_tune->z;
        c.biasRate = m_tune->bias;
        c.batch = m_tune->batch;
        m_tune.reset();
    }
    return true;
}

// Runs unlocked: the window keeps drawing meanwhile. Weights every 10 steps, the
// held-out measures every 20, both after a single step.
TrainingSession::StepResults TrainingSession::takeStep(bool playing) {
    StepResults r;
    r.log = m_trainer->step();
    r.report = r.log.step % 10 == 0 || !playing;
    r.evaluate = r.log.step % 20 == 0 || !playing;
    if (r.report) r.weights = m_trainer->weights();
    if (r.evaluate) {
        r.specialisation = m_trainer->specialisation();
        r.heldOut = m_trainer->heldOutLoss();
    }
    r.tokens = m_trainer->config().batch * m_trainer->config().seqLen;
    return r;
}

void TrainingSession::publish(StepResults& r) {
    const train::StepLog& l = r.log;
    ++m_snapVersion;
    m_snap.step = l.step;
    if (m_stepLimit > 0 && l.step >= m_stepLimit) {
        m_playing = false;
        m_stepLimit = 0;
    }
    m_snap.loss.add(l.step, static_cast<float>(l.ce));
    m_snap.cv.add(l.step, static_cast<float>(l.cv));
    m_snap.dropRate.add(l.step, static_cast<float>(l.dropRate));
    m_snap.load.push_back(l.load);
    if (m_snap.load.size() > kLoadHistory) m_snap.load.pop_front();
    if (r.evaluate) {
        m_snap.heldOut.add(l.step, static_cast<float>(r.heldOut));
        m_snap.specialisation = std::move(r.specialisation);
    }
    if (r.report) {
        m_weights = std::move(r.weights);
        ++m_weightsVersion;
    }
}

bool TrainingSession::stepDue() const { return (m_playing || m_stepsRequested > 0) && m_trainer; }

void TrainingSession::stepOnWindowThread(double budgetMs) {
    const auto start = std::chrono::steady_clock::now();
    do {
        bool playing = false;
        {
            std::lock_guard lock(m_mutex);
            if (m_pending) m_trainer = std::move(m_pending);
            if (!stepDue()) return;
        }
        awaitStep(playing);  // returns at once: a step is due
        StepResults r = takeStep(playing);
        std::lock_guard lock(m_mutex);
        publish(r);
    } while (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < budgetMs);
}

void TrainingSession::run() {
    // One thread per session: OpenMP teams inside two sessions and the renderer would
    // oversubscribe two cores and spin (measured: 40x slower).
    omp_set_num_threads(1);
    using Clock = std::chrono::steady_clock;
    auto windowStart = Clock::now();
    int windowTokens = 0;
    bool playing = false;
    while (awaitStep(playing)) {
        StepResults r = takeStep(playing);
        windowTokens += r.tokens;
        const double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
        std::lock_guard lock(m_mutex);
        if (m_pending) continue;  // a reset arrived mid-step: this step's results are stale
        publish(r);
        if (secs > 1.0) {
            m_snap.tokensPerSecond = windowTokens / secs;
            windowTokens = 0;
            windowStart = Clock::now();
        }
    }
}

}  // namespace moe::gui
