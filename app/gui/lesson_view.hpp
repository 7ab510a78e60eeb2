#pragma once
#include <functional>
#include <optional>

#include "lesson.hpp"
#include "view.hpp"

namespace moe::gui {

// The lesson panel: the chapter's title and text, its try buttons, goals ticked off
// live, the question with its hidden answer, and previous / next. The progress is the
// app's (AppState::lesson()); the panel shows it and asks the app to move.
class LessonView final : public View {
public:
    struct Actions {
        std::function<void(int chapter, int tryIndex)> go;   // a chapter, or one of its tries
        std::function<void(const std::string&)> experiment;  // "balance" or "sentiment"
        std::function<void()> leave;
    };
    LessonView(const ViewInfo& info, Ui& ui) : View(info, ui) {}
    void connect(std::optional<LessonProgress>& progress, Actions actions) {
        m_progress = &progress;
        m_actions = std::move(actions);
    }
    // The keys of a clicker or keyboard: Try button `index` (0-based), the answer.
    void pressTry(int index);
    void revealAnswer();
    // False when the Try buttons, the question or previous / next fell below the panel.
    bool footerVisible() const;

protected:
    void drawContent(AppState& state) override;

private:
    void drawHeader();
    void drawTries();
    void drawGoals(AppState& state);
    void drawQuestion();
    void drawNavigation();

    Actions m_actions;
    std::optional<LessonProgress>* m_progress = nullptr;  // the app's
    float m_footerHeight = 0;                             // last frame's: the text above gets the rest
    float m_footerBottom = 0;
};

}  // namespace moe::gui
