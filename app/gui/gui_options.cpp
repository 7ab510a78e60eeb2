#include "gui_options.hpp"

#include <algorithm>
#include <filesystem>

#include "data_dir.hpp"
#include "errors.hpp"
#include "flags.hpp"
#include "settings_schema.hpp"

namespace moe::gui {

GuiOptions parseGuiOptions(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"screenshot", "frames", "width", "height", "theme", "scale", "lang", "page", "lesson", "chapter"});
    const Args args(argv, flags, {"frame-report", "train"});
    GuiOptions o;
    o.settings = settingsFromFlags(args);
    // Any model flag (or Back to random weights) means the seed's weights.
    if (!setsModel(args)) useShippedModel(o.settings);
    o.screenshot = args.str("screenshot", "");
    o.frames = static_cast<int>(args.integer("frames", 10, 1, 100000));
    o.width = static_cast<int>(args.integer("width", 1280, 320, 8192));
    o.height = static_cast<int>(args.integer("height", 800, 240, 8192));
    o.frameReport = args.has("frame-report");
    o.autoTrain = args.has("train");
    o.scale = args.number("scale", 0, 0, 3.0);
    if (o.scale != 0 && o.scale < 0.5) throw InputError("--scale", "must be in 0.5..3");
    o.theme = args.str("theme", "");
    if (!o.theme.empty() && o.theme != "dark" && o.theme != "light")
        throw InputError("--theme", "must be dark|light (got '" + o.theme + "')");
    o.language = args.str("lang", "");
    if (!o.language.empty() && o.language != "en" && o.language != "zh")
        throw InputError("--lang", "must be en|zh (got '" + o.language + "')");
    const std::string page = args.str("page", "routing");
    if (page == "parallel") o.page = Page::Parallel;
    else if (page == "training") o.page = Page::Training;
    else if (page == "journey") o.page = Page::Journey;
    else if (page != "routing") throw InputError("--page", "must be routing|journey|parallel|training (got '" + page + "')");
    o.lesson = args.str("lesson", "");
    o.chapter = static_cast<int>(args.integer("chapter", 1, 1, 1000)) - 1;
    if (args.has("chapter") && o.lesson.empty()) o.lesson = "builtin";
    return o;
}

} // namespace moe::gui
