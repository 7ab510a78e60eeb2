#include "sentiment_run.hpp"

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "platform.hpp"

namespace moe::gui {

SentimentRun::~SentimentRun() { stop(); }

void SentimentRun::stop() {
    m_cancel = true;
    if (m_worker.joinable()) m_worker.join();
    m_cancel = false;
}

void SentimentRun::loadReviews() {
    if (m_loaded) return;
    m_loaded = true;
    try {
        m_reviews = train::parseReviews(readFile(dataPath("corpus/reviews.tsv")));
    } catch (const std::exception& e) {
        m_progress.error = e.what();
    }
}

int SentimentRun::reviewCount() {
    loadReviews();
    return static_cast<int>(m_reviews.size());
}

SentimentProgress SentimentRun::progress() const {
    std::lock_guard lock(m_mutex);
    return m_progress;
}

void SentimentRun::start() {
    stop();
    loadReviews();
    if (m_reviews.empty()) return;
    {
        std::lock_guard lock(m_mutex);
        m_progress.epochs.clear();
        m_progress.accuracy.clear();
        m_progress.result.reset();
    }
    m_running = true;
    auto experiment = [this] {
        try {
            auto r = std::make_shared<const train::SentimentResult>(train::runSentimentExperiment(
                m_reviews, train::SentimentConfig{},
                [this](int epoch, double acc) {
                    std::lock_guard lock(m_mutex);
                    m_progress.epochs.push_back(epoch);
                    m_progress.accuracy.push_back(float(acc));
                },
                &m_cancel));
            std::lock_guard lock(m_mutex);
            if (!r->cancelled) m_progress.result = std::move(r);
        } catch (const std::exception& e) {
            std::lock_guard lock(m_mutex);
            m_progress.error = e.what();
        }
        m_running = false;
    };
    if (kWorkerThreads)
        m_worker = std::thread(experiment);
    else
        experiment();  // the browser: the page waits for it
}

}  // namespace moe::gui
