#include "lesson_code.hpp"

#include <algorithm>
#include <sstream>

#include "errors.hpp"
#include "settings_schema.hpp"

namespace moe {
namespace {

// The settings a code is laid over: its chapter's as they are with no state of the
// student's (a code's settings are written against the defaults and this base alike).
Settings codeBase(const Lesson* lesson, int chapter) {
    return lesson ? chapterSettings(*lesson, chapter, -1, Settings{}) : Settings{};
}

int clampedChapter(const Lesson& lesson, int chapter) {
    return std::clamp(chapter, 0, int(lesson.chapters.size()) - 1);
}

// The code's own settings over its base; the backend and device stay `machine`'s.
Settings codeSettings(const SharedState& code, const Lesson* lesson, const Settings& machine) {
    Settings s = codeBase(lesson, lesson ? clampedChapter(*lesson, code.chapter) : 0);
    nlohmann::json own = nlohmann::json::object();
    for (const std::string& key : code.keys)
        if (key != "backend" && key != "device") own[key] = settingValue(*findSetting(key), code.settings);
    applySettingsJson(s, own, "--code");
    s.backend = machine.backend;
    s.device = machine.device;
    resolveSettings(s);
    return s;
}

bool setsBackend(const Args& args) { return args.has("backend") || args.has("device"); }

}  // namespace

LessonRequest lessonRequest(const Args& args, const LessonNames& names) {
    LessonRequest r;
    if (auto code = args.str("code")) {
        r.code = decodeShareCode(*code, names);
        r.lesson = r.code->lesson;
        r.chapter = r.code->chapter;
    }
    if (auto lesson = args.str("lesson"); lesson && *lesson != r.lesson) {
        r.lesson = *lesson;
        r.chapter = 0;
    }
    r.chapterFlag = args.has("chapter");
    if (r.chapterFlag) r.chapter = static_cast<int>(args.integer("chapter", 1, 1, 1000)) - 1;
    if (r.chapterFlag && r.lesson.empty()) r.lesson = "builtin";
    return r;
}

std::string requestedModel(const LessonRequest& r, const Lesson* lesson) {
    if (r.code) return r.code->model;
    return lesson ? lesson->chapters[clampedChapter(*lesson, r.chapter)].model : "";
}

Settings layeredSettings(const LessonRequest& r, const Lesson* lesson, const Settings* session, const Args& args,
                         const Settings& defaults, const RouterConfig* startRouter) {
    if (lesson && r.chapterFlag && r.chapter >= int(lesson->chapters.size()))
        throw InputError("--chapter", "must be in 1.." + std::to_string(lesson->chapters.size()) +
                                          " (the chapters of " + lesson->path + ")");
    const int chapter = lesson ? clampedChapter(*lesson, r.chapter) : 0;
    Settings s = lesson ? chapterSettings(*lesson, chapter, -1, defaults, startRouter) : defaults;
    if (session) s = *session;
    if (r.code) {
        // The code's lesson may differ from --lesson's: a code is laid over its own chapter
        // only when --lesson did not name another lesson.
        const bool sameLesson = r.code->lesson == r.lesson;
        SharedState code = *r.code;
        if (sameLesson) code.chapter = chapter;
        s = codeSettings(code, sameLesson ? lesson : nullptr, s);
    }
    const Settings before = s;
    applyFlags(s, args);
    // A model flag asks for the seed's weights, unless it is --weights itself.
    if (setsModel(args) && !args.has("weights")) s.weightsPath.clear();
    if (!setsBackend(args)) {
        s.backend = before.backend;
        s.device = before.device;
    }
    resolveSettings(s);
    if (s.weightsPath.empty()) validateSettings(s);  // a weights file fixes E first: its loader checks
    return s;
}

std::string encodeLessonCode(const SharedState& state, const Lesson* lesson) {
    if (!lesson || state.lesson.empty()) return encodeShareCode(state);
    const Settings base = codeBase(lesson, clampedChapter(*lesson, state.chapter));
    return encodeShareCode(state, &base);
}

void checkPageName(const std::string& page, const LessonNames& names, const std::string& flag) {
    if (page.empty() || names.pages.empty()) return;
    if (std::find(names.pages.begin(), names.pages.end(), page) != names.pages.end()) return;
    std::string known;
    for (const std::string& p : names.pages) known += (known.empty() ? "" : "|") + p;
    throw InputError(flag, "names the page '" + page + "', which is not " + known);
}

std::vector<std::string> parseHideList(const std::string& list, const std::vector<std::string>& views) {
    std::vector<std::string> out;
    std::stringstream ss(list);
    for (std::string item; std::getline(ss, item, ',');) {
        const bool view = views.empty() || std::find(views.begin(), views.end(), item) != views.end();
        if (!view && !findSetting(item) && item != "presets") {
            std::string names;
            for (const std::string& v : views) names += v + ", ";
            throw InputError("--hide", "'" + item + "' is neither a view nor a setting key (views: " + names +
                                           "presets; settings by their key, as in moelab route --json's config)");
        }
        out.push_back(item);
    }
    return out;
}

}  // namespace moe
