// Lesson navigation: opening a lesson or a lesson code, turning chapters, leaving.
#include "app.hpp"
#include "gui_main.hpp"

#include <algorithm>

#include "atomic_file.hpp"
#include "lesson_code.hpp"
#include "share_code.hpp"

namespace moe::gui {

void App::openLesson(const std::string& path, int chapter, bool keepSettings) {
    try {
        const std::string file = lessonFile(path);
        LessonCheck check = checkLesson(readFile(file), file, lessonNames());
        if (check.hasErrors()) {
            std::vector<std::string> lines;
            for (const LessonProblem& problem : check.problems)
                if (!problem.warning) lines.push_back(problemLine(problem, file));
            for (const std::string& line : lines)  // its Chinese, if any, in the font (once, however often it opens)
                if (m_ui.glyphText.find(line) == std::string::npos) m_ui.glyphText += line;
            m_problems.open(N_("This lesson cannot be opened"),
                            N_("Fix these lines of the lesson file and open it again (moelab lesson check FILE lists "
                               "them too). The rest of the app works as usual."),
                            std::move(lines));
            return;
        }
        LessonProgress p;
        p.lesson = std::move(check.lesson);
        m_ui.glyphText = p.lesson.title.en + p.lesson.title.zh;
        for (const LessonChapter& c : p.lesson.chapters)
            for (const LessonText* t : {&c.title, &c.text, &c.question, &c.answer, &c.goalText})
                m_ui.glyphText += t->en + t->zh;
        m_state.lesson() = std::move(p);
        goChapter(std::clamp(chapter, 0, int(m_state.lesson()->lesson.chapters.size()) - 1), -1, !keepSettings);
    } catch (const std::exception& e) {
        m_problems.open(N_("This lesson cannot be opened"), N_("The app carries on without it."), {e.what()});
    }
}

void App::goChapter(int chapter, int tryIndex, bool applySettings) {
    LessonProgress& p = *m_state.lesson();
    const Lesson& lesson = p.lesson;
    if (chapter < 0 || chapter >= int(lesson.chapters.size())) return;
    const bool newChapter = chapter != p.chapter || !m_views.lesson.open();
    try {
        const std::string& model = lesson.chapters[chapter].model;
        if (applySettings && model.empty()) m_state.leaveLm();
        // A model chapter starts from the model's trained routing, so its settings apply
        // even when the command line's are already there.
        if (!model.empty() && m_state.lmName() != model) {
            useLm(model);
            applySettings = true;
        }
        const RouterConfig trained = m_state.lm() ? trainedRouting(m_state.lm()->config) : RouterConfig{};
        const Settings next =
            chapterSettings(lesson, chapter, tryIndex, m_state.settings(), m_state.lm() ? &trained : nullptr);
        // A shape the trained model does not have needs other weights: say so, or students
        // blame the setting for routing that changed with the weights.
        m_notice.clear();
        const bool leavesTrained = !m_state.settings().weightsPath.empty() && next.weightsPath.empty();
        if (applySettings) {
            if (const std::string e = m_state.replaceSettings(next, true); !e.empty())
                m_message = e;
            else if (leavesTrained)
                setNotice(tr("New, random weights: these settings do not fit the trained model."), false);
        }
    } catch (const std::exception& e) {
        m_message = e.what();
    }
    if (newChapter) m_grownHeight.clear();  // strips start from their usual height
    p.chapter = chapter;
    p.activeTry = tryIndex;
    if (newChapter) m_ui.heatmapLogits = lesson.chapters[chapter].heatmap == "logits";  // a Try keeps the user's choice
    if (newChapter) p.revealed = false;
    const std::string& page = lesson.chapters[chapter].page;
    const PageInfo* chapterPage = findPage(page);  // checked against the registry when the lesson was read
    m_page = chapterPage ? chapterPage->page : Page::Routing;
    m_maximized = nullptr;
    m_relayout = true;  // in the next frame, when the fonts' sizes are known
    // A chapter about an experiment opens on it, with a result on screen at once.
    if (const std::string& kind = lesson.chapters[chapter].experiment; !kind.empty() && newChapter)
        m_views.training.openExperiment(m_state, kind);
}

void App::leaveLesson() {
    m_state.lesson().reset();
    setPage(m_page);
}

// The layering rule (lesson_code.hpp): the chapter's settings, then the code's own; the
// device stays this machine's. A code or lesson that does not open gets the dialog.
void App::openCode(const std::string& text) {
    SharedState shared;
    try {
        shared = decodeShareCode(text, lessonNames());
    } catch (const std::exception& e) {
        m_problems.open(N_("This lesson code cannot be opened"),
                        N_("Copy the whole code again (it is one line) and open it once more. Nothing has changed."),
                        {e.what()});
        return;
    }
    std::optional<Lesson> lesson;
    try {
        if (!shared.lesson.empty()) lesson = loadLesson(lessonFile(shared.lesson));
    } catch (const std::exception&) {
        // openLesson below lists the file's problems
    }
    m_message.clear();
    showModel(shared.model, shared.layer);
    LessonRequest request;
    request.code = shared;
    request.lesson = shared.lesson;
    request.chapter = shared.chapter;
    const Settings next =
        layeredSettings(request, lesson ? &*lesson : nullptr, nullptr, Args({}, {}, {}), m_state.settings());
    keepProblem(m_state.replaceSettings(next));
    m_ui.hidden = std::set<std::string>(shared.hidden.begin(), shared.hidden.end());
    applySharedState(shared);
    if (!shared.lesson.empty()) openLesson(shared.lesson, shared.chapter, true);
}

}  // namespace moe::gui
