#include "gui_options.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "data_dir.hpp"
#include "errors.hpp"
#include "atomic_file.hpp"
#include "flags.hpp"
#include "lesson.hpp"
#include "settings_schema.hpp"

namespace moe::gui {

GuiOptions parseGuiOptions(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"screenshot", "frames", "width", "height", "theme", "scale", "lang", "page", "lesson", "chapter", "code",
                  "session", "hide", "export-view", "out"});
    const Args args(argv, flags, {"frame-report", "train", "layout-report", "layout-report-chapters"});
    GuiOptions o;
    o.settings = settingsFromFlags(args);
    // Any model flag (or Back to random weights) means the seed's weights.
    if (!setsModel(args)) useShippedModel(o.settings);
    // The app runs on OpenCL where there is a device (the CLI's default stays Eigen).
    if (!args.str("backend")) o.settings.backend = BackendKind::Auto;
    o.screenshot = args.str("screenshot", "");
    o.frames = static_cast<int>(args.integer("frames", 10, 1, 100000));
    o.width = static_cast<int>(args.integer("width", 1280, 320, 8192));
    o.height = static_cast<int>(args.integer("height", 800, 240, 8192));
    o.frameReport = args.has("frame-report");
    o.autoTrain = args.has("train");
    o.fitToWindow = args.str("scale", "") == "fit";
    o.scale = o.fitToWindow ? 0 : args.number("scale", 0, 0, 3.0);
    if (o.scale != 0 && o.scale < 0.5) throw InputError("--scale", "must be in 0.5..3, or fit");
    o.layoutReport = args.has("layout-report");
    o.layoutReportChapters = args.has("layout-report-chapters");
    o.theme = args.str("theme", "");
    if (!o.theme.empty() && o.theme != "dark" && o.theme != "light")
        throw InputError("--theme", "must be dark|light (got '" + o.theme + "')");
    o.language = args.str("lang", "");
    if (!o.language.empty() && o.language != "en" && o.language != "zh")
        throw InputError("--lang", "must be en|zh (got '" + o.language + "')");
    // A session file, then a lesson code, replace the settings the flags gave.
    if (auto path = args.str("session")) {
        LoadedSession loaded = parseSession(readFile(*path), *path);
        for (const std::string& k : loaded.unknownKeys) std::cerr << "moelab: " << *path << ": ignored unknown key " << k << "\n";
        o.settings = std::move(loaded.settings);
    }
    std::string page = args.str("page", "routing");
    if (auto code = args.str("code")) {
        o.shared = decodeShareCode(*code);
        o.hasCode = true;
        o.settings = o.shared.settings;
        if (!args.has("page") && !o.shared.page.empty()) page = o.shared.page;
        if (!args.has("lesson") && !o.shared.lesson.empty()) o.lesson = o.shared.lesson, o.chapter = o.shared.chapter;
        o.hidden = o.shared.hidden;
    }
    if (auto hide = args.str("hide")) {
        std::stringstream ss(*hide);
        for (std::string item; std::getline(ss, item, ',');) {
            const bool known = findSetting(item) || item == "presets" ||
                               std::any_of(std::begin(kLessonViews), std::end(kLessonViews), [&](const char* v) { return item == v; });
            if (!known) throw InputError("--hide", "'" + item + "' is neither a view nor a setting key");
            o.hidden.push_back(item);
        }
    }
    if (page == "parallel") o.page = Page::Parallel;
    else if (page == "training") o.page = Page::Training;
    else if (page == "journey") o.page = Page::Journey;
    else if (page == "compare") o.page = Page::Compare;
    else if (page != "routing") throw InputError("--page", "must be routing|journey|parallel|training|compare (got '" + page + "')");
    if (auto view = args.str("export-view")) {
        const bool known = *view == "compare" ||
                           std::any_of(std::begin(kLessonViews), std::end(kLessonViews), [&](const char* v) { return *view == v; });
        if (!known) throw InputError("--export-view", "'" + *view + "' is not a view (heatmap, load, tokens, traffic, gpus, training, ...)");
        o.exportView = *view;
        o.exportPath = args.str("out", "");
        const auto ext = std::filesystem::path(o.exportPath).extension();
        if (ext != ".png" && ext != ".svg") throw InputError("--out", "needs a file name ending in .png or .svg");
    } else if (args.has("out")) {
        throw InputError("--out", "goes with --export-view NAME");
    }
    if (args.has("lesson")) o.lesson = args.str("lesson", "");
    if (args.has("chapter")) o.chapter = static_cast<int>(args.integer("chapter", 1, 1, 1000)) - 1;
    if (args.has("chapter") && o.lesson.empty()) o.lesson = "builtin";
    return o;
}

} // namespace moe::gui
