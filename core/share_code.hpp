#pragma once
// Lesson codes: the whole state a teacher hands to a class — every setting that differs
// from the defaults, the text, the page and lesson chapter, the followed token, the
// hidden controls and views — as one copy-pastable line:
//     moe1-<base64url of zlib-deflated JSON>-<CRC-32 in hex>
// The version is in the prefix; the checksum makes a cut-off or mistyped code a clear
// error rather than a different state.
#include <optional>
#include <string>
#include <vector>

#include "lesson_names.hpp"
#include "settings.hpp"

namespace moe {

struct SharedState {
    Settings settings;
    std::string page;    // a page of the app, by name (LessonNames); empty: routing
    std::string lesson;  // "builtin" or a lesson file; empty: none
    int chapter = 0;     // 0-based
    int pinnedToken = 0;
    std::string maximized;             // a view's name, or empty
    std::vector<std::string> hidden;   // view names and setting keys students do not see
    std::optional<Settings> compareA;  // the pinned "A" of an A/B comparison
    std::vector<std::string> keys;     // decoded: the settings the code itself holds (lesson_code.hpp)
    std::string model;                 // the language model shown ("tiny-lm" or a path); empty: one layer
    int layer = 0;                     // the model's layer the routing views follow
};

// Writes every setting that differs from the defaults, and from `layeredOver` too when
// given (the settings of the chapter the code names: see encodeLessonCode).
std::string encodeShareCode(const SharedState& s, const Settings* layeredOver = nullptr);
// Throws InputError("--code", ...) naming what is wrong: the version, a cut-off or
// altered code (checksum), or a setting out of range.
SharedState decodeShareCode(const std::string& code, const LessonNames& names = {});
// The link form of a code for a hosted web build (README "In the browser"): the page's
// address (spaces around it and any #fragment dropped), '#', the code; "" without an address.
std::string shareLink(const std::string& webAddress, const std::string& code);

}  // namespace moe
