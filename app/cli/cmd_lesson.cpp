// moelab lesson check FILE|builtin: every problem of a lesson file, one line each.
#include <iostream>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "lesson.hpp"

namespace moe::cli {

int cmdLesson(const std::vector<std::string>& argv, const LessonNames& appNames) {
    if (argv.empty() || argv[0] != "check")
        throw InputError("moelab lesson", "expected 'check FILE' (or 'check builtin')");
    if (argv.size() != 2) throw InputError("moelab lesson check", "expected one lesson file (or builtin)");
    const std::string path = lessonFile(argv[1]);
    const LessonCheck check = checkLesson(readFile(path), path, appNames);
    for (const LessonProblem& p : check.problems) std::cerr << problemLine(p, path) << "\n";
    return check.hasErrors() ? 2 : 0;
}

}  // namespace moe::cli
