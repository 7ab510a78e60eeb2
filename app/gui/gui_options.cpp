#include "gui_options.hpp"

#include "gui_main.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "data_dir.hpp"
#include "errors.hpp"
#include "atomic_file.hpp"
#include "flags.hpp"
#include "lesson.hpp"
#include "lesson_code.hpp"
#include "model_flags.hpp"
#include "settings_schema.hpp"
#include "trace.hpp"

namespace moe::gui {
namespace {

// The layering rule (lesson_code.hpp): the chapter's settings, a session's, a lesson
// code's own, then the flags given. Without a model flag the app opens on the shipped
// checkpoint, and it runs on OpenCL where there is a device (the CLI's default stays
// Eigen). A lesson that does not load adds nothing here: the app shows its problems.
Settings startSettings(const Args& args, const LessonRequest& request, const std::optional<Lesson>& lesson,
                       const std::optional<LoadedSession>& session) {
    Settings defaults;
    useShippedModel(defaults);
    defaults.backend = BackendKind::Auto;
    return layeredSettings(request, lesson ? &*lesson : nullptr, session ? &session->settings : nullptr, args,
                           defaults);
}

// --session FILE, its unknown keys said on stderr.
std::optional<LoadedSession> sessionFlag(const Args& args) {
    const auto path = args.str("session");
    if (!path) return std::nullopt;
    LoadedSession session = parseSession(readFile(*path), *path);
    for (const std::string& k : session.unknownKeys)
        std::cerr << "moelab: " << *path << ": ignored unknown key " << k << "\n";
    return session;
}

// The lesson asked for; one that does not load adds nothing here: the app shows its problems.
std::optional<Lesson> requestedLesson(const LessonRequest& request) {
    if (request.lesson.empty()) return std::nullopt;
    try {
        return loadLesson(lessonFile(request.lesson));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// As route --trace: the trace's own rule, then the routing flags given over it (a trace
// that does not load is said when the app opens it).
void traceRouting(const Args& args, GuiOptions& o) {
    o.traceRoutingGiven = routingFlagsGiven(args);
    if (!o.traceRoutingGiven) return;
    try {
        o.loadedTrace = std::make_shared<const RouterTrace>(loadTrace(o.trace));
        Settings s = o.settings;
        s.router = traceRouterConfig(*o.loadedTrace);
        applyFlags(s, args);
        o.settings.router = s.router;
    } catch (const InputError&) {
        o.traceRoutingGiven = false;
    }
}

// --model and --layer, else a code's or session's model and layer, whose saved routing is
// in the settings already.
void startModel(const Args& args, const LessonRequest& request, const Lesson* lesson,
                const std::optional<LoadedSession>& session, GuiOptions& o) {
    o.lmModel = args.str("model", "");
    if (args.has("model") && o.lmModel.empty())
        throw InputError("--model", "needs a name (tiny-lm) or a .safetensors path");
    o.lmRoutingGiven = routingFlagsGiven(args);
    if (!args.has("model")) {  // a code decides (no model: one layer), else a session
        const bool fromCode = request.code.has_value();
        const bool fromSession = !fromCode && session && !session->model.empty();
        o.lmModel = fromCode ? request.code->model : fromSession ? session->model : "";
        o.layer = fromCode ? request.code->layer : fromSession ? session->layer : 0;
        o.lmRoutingGiven = !o.lmModel.empty();  // the saved routing, not the trained one
    }
    o.trace = args.str("trace", "");
    if (!o.trace.empty()) traceRouting(args, o);
    if (args.has("trace") && o.trace.empty()) throw InputError("--trace", "needs a trace file (.safetensors)");
    if (!o.trace.empty() && args.has("model")) throw InputError("--trace", "and --model: one of them, not both");
    // A model chapter (lesson.hpp's model:) runs the model too: --layer goes with it.
    if (args.has("layer") && o.lmModel.empty() && o.trace.empty() && requestedModel(request, lesson).empty())
        throw InputError("--layer", "goes with --model or --trace (the language model's or the trace's layers)");
    o.layer = static_cast<int>(args.integer("layer", o.layer, 0, kMaxModelLayer));
}

}  // namespace

GuiOptions parseGuiOptions(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"screenshot", "frames", "width",   "height", "theme",     "scale",      "lang",
                  "page",       "lesson", "chapter", "code",   "session",   "hide",       "export-view",
                  "out",        "model",  "layer",   "trace",  "astra-log", "web-address"});
    const Args args(argv, flags, {"frame-report", "train", "layout-report", "layout-report-chapters"});
    GuiOptions o;
    const LessonRequest request = lessonRequest(args, lessonNames());
    const std::optional<LoadedSession> session = sessionFlag(args);
    const std::optional<Lesson> lesson = requestedLesson(request);
    o.settings = startSettings(args, request, lesson, session);
    o.screenshot = args.str("screenshot", "");
    startModel(args, request, lesson ? &*lesson : nullptr, session, o);
    o.astraLog = args.str("astra-log", "");
    o.webAddress = args.str("web-address", "");
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
    std::string page = args.str("page", "routing");
    o.lesson = request.lesson;
    o.chapter = request.chapter;
    if (request.code) {
        o.shared = *request.code;
        o.hasCode = true;
        if (!args.has("page") && !o.shared.page.empty()) page = o.shared.page;
        o.hidden = o.shared.hidden;
    }
    if (auto hide = args.str("hide"))
        for (const std::string& item : parseHideList(*hide, namedViews())) o.hidden.push_back(item);
    const PageInfo* pageRow = findPage(page);
    if (!pageRow) throw InputError("--page", "must be " + joinedNames(pageKeys(), "|") + " (got '" + page + "')");
    o.page = pageRow->page;
    if (auto view = args.str("export-view")) {
        const std::vector<std::string> views = exportableViews();
        if (std::find(views.begin(), views.end(), *view) == views.end())
            throw InputError("--export-view", "'" + *view + "' is not a view (" + joinedNames(views, ", ") + ")");
        o.exportView = *view;
        o.exportPath = args.str("out", "");
        const auto ext = std::filesystem::path(o.exportPath).extension();
        if (ext != ".png" && ext != ".svg") throw InputError("--out", "needs a file name ending in .png or .svg");
    } else if (args.has("out")) {
        throw InputError("--out", "goes with --export-view NAME");
    }
    return o;
}

}  // namespace moe::gui
