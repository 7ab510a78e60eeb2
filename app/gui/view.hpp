#pragma once
// A window of the app. draw() handles the frame (position on first use or after
// "reset layout", open flag, Begin/End); each view fills drawContent() and keeps its
// own UI state (hover, selection) and nothing else.
#include <imgui.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "app_state.hpp"
#include "i18n.hpp"
#include "style.hpp"
#include "view_registry.hpp"

namespace moe::gui {

struct Ui {
    Fonts fonts;
    float scale = 1.0f;
    float wantedScale = 1.0f;  // the scale asked for; `scale` is at most what the window holds
    // Hover shared between views: set while drawing this frame, shown from last frame's.
    int hoveredToken = -1, highlightToken = -1;
    // The token the journey follows: clicked in the token strip or the gate scores.
    int pinnedToken = 0;
    bool autoTrain = false;        // --train: the training view starts playing at once
    bool heatmapLogits = false;    // the gate map colours the raw logits, not the scores (a lesson chapter may ask)
    std::string glyphText;         // text beyond the input that the font atlas must cover (a lesson's)
    std::set<std::string> hidden;  // views (by name) and settings (by key) students do not see
    bool fitToWindow = false;      // the UI scale follows the window size
    std::string webAddress;        // a hosted web build: File > Share gives the link form too
    // On a projector (in a lesson, or View > Presentation mode): no paths, devices or
    // timings meant for engineers.
    bool presentationMode = false;          // the menu's choice
    bool presenting = false;                // this frame: the menu's choice, or a lesson is open
    std::map<std::string, float> measured;  // sizes the views drew this frame, for --layout-report
    // False while no two open views overlap (the layout tiles them): their backgrounds are
    // then the clear colour, not a second full-screen fill for a software rasteriser.
    bool opaqueWindows = true;
};

class View {
public:
    View(const ViewInfo& info, Ui& ui) : m_info(info), m_ui(ui) {}
    virtual ~View() = default;
    void draw(AppState& state);
    void setLayout(ImVec2 pos, ImVec2 size, bool force);
    bool& open() { return m_open; }
    const ViewInfo& info() const { return m_info; }
    const char* title() const { return m_info.title; }
    const char* id() const { return m_info.id; }
    // A lesson's highlight: a thick coloured frame around the window.
    void setHighlighted(bool on) { m_highlighted = on; }
    bool highlighted() const { return m_highlighted; }
    // True once after the user double-clicked the title bar (the app maximises the view).
    bool takeMaximizeRequest() { return std::exchange(m_maximizeRequest, false); }
    // ".png" or ".svg" once after the user chose Export in the view's right-click menu.
    std::string takeExportRequest() { return std::exchange(m_exportRequest, {}); }
    // The lesson panel is no figure (its text is the lesson file's); a view that shows an
    // image has no SVG (it would have to embed it as pixels).
    bool exportable() const { return m_info.exports != ViewExport::None; }
    bool hasSvg() const { return m_info.exports == ViewExport::PngAndSvg; }
    // Where the window was last drawn (zero size when closed).
    ImVec2 lastPos() const { return m_lastPos; }
    ImVec2 lastSize() const { return m_open ? m_lastSize : ImVec2(0, 0); }
    // False when last frame's content (of the window or a child) reached past what shows:
    // cut off, or only seen by scrolling.
    bool contentFits() const { return m_contentFits; }
    // How much taller than its window last frame's content was (the deepest child's overflow).
    float overflowHeight() const { return m_overflowHeight; }

protected:
    virtual void drawContent(AppState& state) = 0;
    // The one-line "what this shows" under the title.
    void caption(const char* english);
    Ui& ui() { return m_ui; }
    float px(float v) const { return v * m_ui.scale; }

private:
    const ViewInfo& m_info;
    Ui& m_ui;
    bool m_open = true;
    ImVec2 m_pos{0, 0}, m_size{400, 300};
    bool m_forceLayout = false;
    bool m_highlighted = false, m_maximizeRequest = false;
    std::string m_exportRequest;
    ImVec2 m_lastPos{0, 0}, m_lastSize{0, 0};
    bool m_contentFits = true;
    float m_overflowHeight = 0;
};

}  // namespace moe::gui
