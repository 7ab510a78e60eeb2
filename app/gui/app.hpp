#pragma once
// The app's window contents: its views, pages, menus, status bar and file prompts.
// gui_main.cpp runs the frame loop around it.
#include <array>
#include <string>

#include "app_state.hpp"
#include "controls_view.hpp"
#include "dense_view.hpp"
#include "gpu_view.hpp"
#include "gui_options.hpp"
#include "heatmap_view.hpp"
#include "load_view.hpp"
#include "text_view.hpp"
#include "token_strip_view.hpp"
#include "traffic_view.hpp"
#include "training_view.hpp"

struct GLFWwindow;

namespace moe::gui {

// Every view, by name.
struct Views {
    explicit Views(Ui& ui)
        : controls(ui), text(ui), dense(ui), tokens(ui), heatmap(ui), load(ui), traffic(ui), gpus(ui), training(ui) {}
    ControlsView controls;
    TextView text;
    DenseView dense;
    TokenStripView tokens;
    HeatmapView heatmap;
    LoadView load;
    TrafficView traffic;
    GpuView gpus;
    TrainingView training;
    std::array<View*, 9> all() { return {&controls, &text, &dense, &tokens, &heatmap, &load, &traffic, &gpus, &training}; }
};

class App {
public:
    App(GLFWwindow* window, AppState& state, Ui& ui, Page page);

    void frame();
    void setPage(Page p);
    // Positions and sizes of the current page's views; force also moves views the
    // user has moved (View > Reset layout).
    void layout(bool force);

    Theme theme = Theme::Dark;
    bool quit = false;
    bool rebuildStyle = false;  // theme or scale changed: rebuild style and fonts before the next frame
    float newScale = 0;         // the scale to rebuild at, when the menu chose one
    std::string pendingPng;     // File > Export PNG: written after this frame renders

private:
    enum class PathAction { None, LoadText, LoadWeights, SaveSession, LoadSession, ExportPng };
    bool onPage(const View* v) const;
    void showPage();
    void shortcuts();
    void menu();
    void statusBar();
    void openPath(PathAction a, const std::string& suggestion);
    void pathPopup();
    void runPathAction();

    GLFWwindow* m_window;
    AppState& m_state;
    Ui& m_ui;
    Views m_views;
    Page m_page;
    PathAction m_action = PathAction::None;
    std::string m_path, m_message;
    bool m_openPopup = false;
    bool m_firstFrame = true;
};

} // namespace moe::gui
