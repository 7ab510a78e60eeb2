#pragma once
#include <functional>
#include <optional>

#include "lesson.hpp"
#include "view.hpp"

namespace moe::gui {

// A lesson in progress: which chapter, which try button, whether the answer shows.
struct LessonProgress {
    Lesson lesson;
    int chapter = 0;
    int activeTry = -1;
    bool revealed = false;
};

// The lesson panel: the chapter's title and text, its try buttons, goals ticked off
// live, the question with its hidden answer, and previous / next.
class LessonView final : public View {
public:
    struct Actions {
        std::function<void(int chapter, int tryIndex)> go;  // a chapter, or one of its tries
        std::function<void(const std::string&)> experiment;  // "balance" or "sentiment"
        std::function<void()> leave;
    };
    LessonView(Ui& ui, Actions actions) : View("Lesson", "lesson", ui), m_actions(std::move(actions)) {}
    std::optional<LessonProgress>& progress() { return m_progress; }
    bool exportable() const override { return false; }
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
    std::optional<LessonProgress> m_progress;
    float m_footerHeight = 0;  // last frame's: the text above gets the rest
    float m_footerBottom = 0;
};

} // namespace moe::gui
