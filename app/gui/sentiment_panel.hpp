#pragma once
// The seeds' sentiment claim, run in the app: a sentence-level MoE classifier trained
// on the bundled reviews on a worker thread, then the held-out routing counted by
// sentiment and by language, with the verdict the numbers give.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/sentiment.hpp"
#include "view.hpp"

namespace moe::gui {

class SentimentPanel {
public:
    SentimentPanel() = default;
    SentimentPanel(const SentimentPanel&) = delete;
    SentimentPanel& operator=(const SentimentPanel&) = delete;
    ~SentimentPanel();

    void start();  // (re)runs the experiment in the background
    bool started() const { return m_running || m_result; }
    void draw(const Ui& ui);

private:
    void stop();
    void loadReviews();  // once, on the window's thread

    std::vector<train::Review> m_reviews;  // read by the worker while it runs, written only before
    bool m_loaded = false;
    std::thread m_worker;
    std::atomic<bool> m_cancel{false}, m_running{false};
    mutable std::mutex m_mutex;  // guards what the worker writes below
    std::vector<int> m_epochs;
    std::vector<float> m_accuracy;
    std::shared_ptr<const train::SentimentResult> m_result;  // final once set: frames share it
    std::string m_error;
};

} // namespace moe::gui
