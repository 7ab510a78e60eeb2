#pragma once
#include <string>
#include <vector>

namespace moe {

// The views and pages a lesson or a lesson code may name. Core knows no view: the app
// gives its own (app/gui/view_registry.hpp). An empty list accepts any name: a reader
// that shows no view (moelab route, moelab code) checks only the rest.
struct LessonNames {
    std::vector<std::string> views, pages;
};

// Throws InputError naming `flag` when `page` is neither empty nor one of `names.pages`.
void checkPageName(const std::string& page, const LessonNames& names, const std::string& flag);

}  // namespace moe
