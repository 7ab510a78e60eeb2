#pragma once
// The app's window contents: its views, pages, lesson mode, menus, status bar and file
// prompts, split by feature over app.cpp (views, pages, layout, the frame),
// app_menus.cpp, app_lesson.cpp, app_share.cpp and app_files.cpp. What it shows is the
// model's (AppState); gui_main.cpp runs the frame loop around it.
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app_state.hpp"
#include "controls_view.hpp"
#include "gui_options.hpp"
#include "layout.hpp"
#include "lesson_view.hpp"
#include "problem_dialog.hpp"
#include "training_view.hpp"

struct GLFWwindow;

namespace moe::gui {

class App;

// One of each registered view (view_registry.hpp), in drawing order; the app talks to
// three of them by type.
class Views {
public:
    explicit Views(Ui& ui);
    const std::vector<View*>& all() const { return m_all; }
    View* byName(std::string_view id) const;  // nullptr when no view has that id

private:
    std::vector<std::unique_ptr<View>> m_owned;
    std::vector<View*> m_all;

public:
    LessonView& lesson;
    ControlsView& controls;
    TrainingView& training;
};

class App {
public:
    App(GLFWwindow* window, AppState& state, Ui& ui, Page page);

    void frame();
    void setPage(Page p);
    // Positions and sizes of the shown views; force also moves views the user moved.
    void layout(bool force);
    // Opens a lesson file ("builtin" for the shipped one) at a chapter (0-based); a bad
    // file's problems are listed in a dialog and the app carries on. keepSettings: the
    // settings are already the chapter's with more on top (the layering rule).
    void openLesson(const std::string& path, int chapter, bool keepSettings = false);
    bool inLesson() { return m_state.lesson().has_value(); }
    int chapterCount() { return inLesson() ? int(m_state.lesson()->lesson.chapters.size()) : 0; }
    void showChapter(int chapter) { goChapter(chapter, -1); }
    // Starts as a lesson code says: the followed token, the maximised view, A of A/B.
    void applySharedState(const SharedState& s);
    // Every open view's place and size, and what the checks of a layout need (JSON).
    std::string layoutReport();
    bool viewsOverlap();  // two open views share more than an edge

    Theme theme = Theme::Dark;
    bool quit = false;
    bool rebuildStyle = false;  // theme or scale changed: rebuild style and fonts before the next frame
    float newScale = 0;         // the scale to rebuild at, when the menu chose one
    std::string pendingPng;     // File > Export PNG: written after this frame renders
    // A view's Export PNG / SVG: the view is drawn alone and written after this frame.
    struct ViewExport {
        std::string view, path;
    };
    std::optional<ViewExport> pendingExport;
    View* viewByName(const std::string& name) { return m_views.byName(name); }
    void setNotice(const std::string& notice, bool problem);  // the status bar's last word
    // The language model on or off (Model menu, --model, a lesson chapter's model:); a
    // file that does not load leaves the one-layer mode on with a message.
    void useLm(const std::string& nameOrPath, bool asTrained = true);
    void leaveLm();  // and the trace: back to the one-layer model
    void openTrace(const std::string& path);
    void showModel(const std::string& model, int layer);
    void keepProblem(const std::string& problem);
    AppState& state() { return m_state; }
    // The browser: the file the page uploaded for chooseUpload's action, opened at the
    // start of the next frame as the path prompt would open it.
    void uploaded(int action, const std::string& path);
    // Something changes without input (training, a recompute, a pending export or layout):
    // the browser draws a frame for input, and otherwise only while this holds.
    bool wantsFrames();

private:
    enum class PathAction {
        None,
        LoadText,
        LoadWeights,
        SaveSession,
        LoadSession,
        ExportPng,
        ExportView,
        OpenLesson,
        OpenCode,
        OpenTrace
    };
    std::vector<View*> shownViews();  // right of the left column, in layout order, less hidden ones
    std::vector<View*> pageViews();   // the page's or chapter's views
    View* leftView();                 // the lesson panel, the controls, or none (hidden)
    void setPageSettings(Page p);     // what a page changes on entry (8 GPUs for expert parallel)
    void showViews();
    void goChapter(int chapter, int tryIndex, bool applySettings = true);
    void openCode(const std::string& code);  // File > Open a lesson code
    void leaveLesson();
    void keys();
    void menu();
    void fileMenu();
    void exportViewMenu();
    void viewMenu();
    void scaleMenu();
    void lessonMenu();
    void modelMenu();
    void statusBar();
    std::string statusLine();
    void growStrips();
    void openPath(PathAction a, const std::string& suggestion);
    void pathPopup();
    void sharePopup();
    void copyField(const char* id, std::string& text);
    void shareLinkRows();
    SharedState sharedState();
    std::string shareCode();
    void toggleFullScreen();
    void runPathAction();
    bool openInBrowser(PathAction a, const std::string& suggestion);
    void openUploaded();

    GLFWwindow* m_window;
    AppState& m_state;
    Ui& m_ui;
    Views m_views;
    Page m_page;
    View* m_maximized = nullptr;
    PathAction m_action = PathAction::None;
    std::string m_path, m_message, m_notice;
    std::string m_exportView;                                      // the view the path prompt exports
    std::optional<std::pair<PathAction, std::string>> m_uploaded;  // the browser's upload, for the next frame
    bool m_openPopup = false;
    bool m_firstFrame = true;
    bool m_relayout = false;  // show and place the views again at the start of the next frame
    bool m_openShare = false;
    std::string m_code, m_link;                                  // the lesson code the share window shows, as a link
    ProblemDialog m_problems;                                    // a lesson's errors, a code that does not open
    int m_windowW = 0, m_windowH = 0;                            // relayout when the window's size changes
    std::map<View*, float> m_grownHeight;                        // strips grown to fit their rows (growStrips)
    int m_savedX = 0, m_savedY = 0, m_savedW = 0, m_savedH = 0;  // the window before full screen
};

}  // namespace moe::gui
