#include "training_lab.hpp"

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "platform.hpp"
#include "train/balance_experiment.hpp"
#include "train/train_model.hpp"

namespace moe::gui {
namespace {

// The browser trains between frames: about this much of each read of the snapshots.
constexpr double kBrowserStepMs = 6;

std::string lessonCorpus() {
    try {
        return readFile(dataPath("corpus/lesson.txt"));
    } catch (const std::exception&) {
        return {};  // the session reports the short corpus as its error
    }
}

}  // namespace

void TrainingLab::restart(const Settings& s) {
    if (!m_session) m_session = std::make_unique<TrainingSession>();
    train::TrainableModel trainable = train::trainableModel(s.shape, s.router);
    m_changes = std::move(trainable.changes);
    train::TrainConfig c;
    c.model = std::move(trainable.model);
    c.model.auxCoef = hyper.aux;
    c.model.zCoef = hyper.z;
    c.lr = hyper.lr;
    c.biasRate = hyper.bias;
    c.batch = hyper.batch;
    c.seed = s.seed;
    m_session->reset(c, lessonCorpus());
    m_weightsVersion = 0;
    m_snapVersion = 0;
}

bool TrainingLab::running() const {
    const auto playing = [](const std::unique_ptr<TrainingSession>& s) { return s && s->playing(); };
    return playing(m_session) || playing(m_runs[0]) || playing(m_runs[1]);
}

void TrainingLab::tune() {
    if (m_session) m_session->tune(hyper.lr, hyper.aux, hyper.z, hyper.bias, hyper.batch);
}

const TrainingSnapshot& TrainingLab::snapshot() {
    if (m_session && !kWorkerThreads) m_session->stepOnWindowThread(kBrowserStepMs);
    if (m_session) m_session->snapshotSince(m_snapVersion, m_snap);
    return m_snap;
}

bool TrainingLab::newWeights(ModelWeights& out) { return m_session && m_session->weightsSince(m_weightsVersion, out); }

void TrainingLab::startBalance() {
    const std::string corpus = lessonCorpus();
    for (int i = 0; i < 2; ++i) {
        if (!m_runs[i]) m_runs[i] = std::make_unique<TrainingSession>();
        m_runs[i]->reset(train::balanceExperimentConfig(i == 1), corpus);
        m_runs[i]->playUntil(train::kBalanceSteps);  // where the lesson's outcome is measured
        m_runVersions[i] = 0;
    }
    pauseExplore();
}

const std::array<TrainingSnapshot, 2>& TrainingLab::balanceSnapshots() {
    for (int i = 0; i < 2; ++i) {
        if (m_runs[i] && !kWorkerThreads) m_runs[i]->stepOnWindowThread(kBrowserStepMs / 2);
        if (m_runs[i]) m_runs[i]->snapshotSince(m_runVersions[i], m_runSnaps[i]);
    }
    return m_runSnaps;
}

void TrainingLab::pauseExplore() {
    if (m_session) m_session->play(false);
}

}  // namespace moe::gui
