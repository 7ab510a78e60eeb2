#pragma once
// The app's command line, parsed and checked before any window opens.
#include <memory>
#include <string>
#include <vector>

#include "settings.hpp"
#include "share_code.hpp"
#include "trace.hpp"
#include "view_registry.hpp"

namespace moe::gui {

struct GuiOptions {
    Settings settings;
    std::string screenshot;  // headless: render `frames` frames, write this PNG, exit
    int frames = 10, width = 1280, height = 800;
    bool frameReport = false;
    bool autoTrain = false;  // --train: the training page starts playing at once
    std::string theme;       // "dark" or "light"; empty: the saved preference
    double scale = 0;        // UI scale; 0: the saved preference
    std::string language;    // "en" or "zh"; empty: saved, else from LANG
    Page page = Page::Routing;
    std::string lesson;         // a lesson file, or "builtin"; empty: none (the first start shows the built-in one)
    int chapter = 0;            // 0-based
    bool fitToWindow = false;   // --scale fit: the UI scale follows the window size
    bool layoutReport = false;  // print every open view's place and size at exit (JSON)
    bool layoutReportChapters = false;  // headless, in a lesson: the report of every chapter, a line each
    std::vector<std::string> hidden;    // views and settings students do not see (--hide; unknown names refused)
    SharedState shared;                 // --code: page, pinned token, maximised view, A/B (settings above)
    bool hasCode = false;
    // --export-view NAME --out FILE: headless, write one view alone as PNG (2x) or SVG, exit.
    std::string exportView, exportPath;
    // --model: the language model (tiny-lm or a .safetensors path); --layer N (0-based) the
    // layer the routing views show. Without a routing flag it runs as trained.
    std::string lmModel;
    bool lmRoutingGiven = false;
    int layer = 0;
    std::string trace;               // --trace FILE: a router trace in place of the model (--layer steps it)
    bool traceRoutingGiven = false;  // routing flags replay it; else its own rule
    std::shared_ptr<const RouterTrace> loadedTrace;  // read for its rule under routing flags: not read again
    std::string astraLog;                            // --astra-log FILE: ASTRA-sim's times on the GPUs page
    std::string webAddress;                          // --web-address URL: a hosted web build; Share gives links to it
    bool headless() const { return !screenshot.empty() || !exportView.empty(); }
};

// Every flag of `moelab gui`: the model and routing flags plus the app's own. Without a
// model flag the app opens on the shipped lesson checkpoint. The settings follow the
// layering rule (lesson_code.hpp): a lesson chapter's, a session's or code's, then the
// flags given. Throws InputError.
GuiOptions parseGuiOptions(const std::vector<std::string>& argv);

}  // namespace moe::gui
