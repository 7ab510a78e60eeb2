#pragma once
// Lessons, lesson codes and flags together. The layering rule (docs/lessons.md): a
// chapter's settings first, then a lesson code's own settings on top (what the lecturer
// saw when sharing), then the flags given. `moelab route` and the app start the same
// way, and the codes File → Share makes come back as they were on screen.
#include <optional>
#include <string>
#include <vector>

#include "flags.hpp"
#include "lesson.hpp"
#include "share_code.hpp"

namespace moe {

// What --lesson, --chapter and --code ask for.
struct LessonRequest {
    std::optional<SharedState> code;  // --code, decoded
    std::string lesson;               // --lesson, else the code's; "builtin" when only --chapter is given; empty: none
    int chapter = 0;                  // 0-based: --chapter, else the code's
    bool chapterFlag = false;         // --chapter was given (checked against the lesson's chapters)
};
// Throws InputError naming --code or --chapter.
LessonRequest lessonRequest(const Args& args, const LessonNames& names = {});
// The language model a request runs: a code's own (empty: one layer), else the chapter's.
std::string requestedModel(const LessonRequest& r, const Lesson* lesson);

// The settings by the layering rule: the chapter's over `defaults` (without a lesson,
// `defaults` themselves), then a session's (a whole state), then the code's own settings,
// then the setting flags in `args`. `lesson` is the request's, loaded, or nullptr. The
// backend and device stay `defaults`' unless a flag sets them: the machine is the
// student's. Throws InputError naming --chapter when the lesson has no such chapter.
// startRouter: the routing a chapter's flags start from (a language model's trained one).
Settings layeredSettings(const LessonRequest& request, const Lesson* lesson, const Settings* session, const Args& args,
                         const Settings& defaults, const RouterConfig* startRouter = nullptr);

// The code File → Share with students makes of `state`. When it names a chapter of
// `lesson`, every setting that differs from that chapter's is written too (one moved back
// to its default included), so that opening it gives back exactly what was on screen.
std::string encodeLessonCode(const SharedState& state, const Lesson* lesson);

// --hide's list: names of `views` (the app's: core knows no view; empty: any name) and
// setting keys. Throws InputError("--hide") naming an unknown one.
std::vector<std::string> parseHideList(const std::string& list, const std::vector<std::string>& views);

}  // namespace moe
