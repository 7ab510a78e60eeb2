#pragma once
// The seeds' sentiment claim, run for the app: a sentence-level MoE classifier trained on
// the bundled reviews on a worker thread. The training page's model (TrainingLab) owns
// it; the sentiment panel draws what it reports.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/sentiment.hpp"

namespace moe::gui {

// What a run has reported so far: the held-out accuracy per epoch, then the result.
struct SentimentProgress {
    std::vector<int> epochs;
    std::vector<float> accuracy;
    std::shared_ptr<const train::SentimentResult> result;  // final once set: frames share it
    std::string error;
};

class SentimentRun {
public:
    SentimentRun() = default;
    SentimentRun(const SentimentRun&) = delete;
    SentimentRun& operator=(const SentimentRun&) = delete;
    ~SentimentRun();

    void start();  // (re)runs the experiment in the background
    bool started() const { return m_running || m_progress.result; }
    bool running() const { return m_running; }
    int reviewCount();  // the bundled reviews (read once, on the window's thread)
    SentimentProgress progress() const;

private:
    void stop();
    void loadReviews();

    std::vector<train::Review> m_reviews;  // read by the worker while it runs, written only before
    bool m_loaded = false;
    std::thread m_worker;
    std::atomic<bool> m_cancel{false}, m_running{false};
    mutable std::mutex m_mutex;  // guards what the worker writes
    SentimentProgress m_progress;
};

}  // namespace moe::gui
