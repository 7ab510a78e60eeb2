#pragma once
// Lessons as data: a guided sequence of chapters, each with a short text in English and
// Chinese, the views to show and highlight, the settings it starts from, "try" buttons,
// a question with a hidden answer, and goals the app ticks off live. The format (a
// .lesson text file) is documented in docs/lessons.md; assets/lessons/ holds the
// built-in one.
#include <string>
#include <vector>

#include "lesson_names.hpp"
#include "metrics.hpp"
#include "settings.hpp"

namespace moe {

// A text in both languages; either falls back to the other when a file gives only one.
struct LessonText {
    std::string en, zh;
    const std::string& in(bool chinese) const { return (chinese ? zh.empty() : !en.empty()) ? en : zh; }
    bool empty() const { return en.empty() && zh.empty(); }
};

struct LessonTry {
    LessonText label;
    std::vector<std::string> flags;  // applied on top of the chapter's settings
    int line = 0;
};

// "drop_rate <= 0": a metric of the route or a numeric setting, compared with a number.
struct LessonGoal {
    std::string name, op;
    double value = 0;
};

struct LessonChapter {
    int line = 0;  // where it starts in the file
    LessonText title, text, question, answer, goalText;
    std::string page = "routing";        // a page of the app, by name (LessonNames)
    std::vector<std::string> show;       // views, by name (LessonNames)
    std::vector<std::string> highlight;  // views drawn with a marked frame
    std::vector<std::string> flags;      // settings, as command-line flags over the defaults
    int flagsLine = 0;
    std::vector<LessonTry> tries;
    std::vector<LessonGoal> goals;
    std::string experiment;          // "balance" or "sentiment": the experiment's button
    std::string heatmap = "scores";  // what the gate map colours: "scores" or "logits"
    std::string model;               // the language model the chapter runs ("tiny-lm"); empty: one layer
};

struct Lesson {
    std::string path;
    LessonText title;
    std::vector<std::string> flags;  // settings every chapter starts from
    std::vector<LessonChapter> chapters;
};

// The names goals may use besides numeric settings.
inline constexpr const char* kLessonMetrics[] = {"drop_rate", "dropped",       "aux_loss", "z_loss",
                                                 "cv",        "max_over_mean", "entropy",  "capacity"};

// One problem in a lesson file. An error makes the lesson unusable; a warning (a chapter
// without its Chinese or its English text) does not.
struct LessonProblem {
    int line = 0;       // 0: the file as a whole
    std::string field;  // the field at fault ("try", "settings"), or empty
    std::string message;
    bool warning = false;
};

// A whole file read, going on past problems where the format allows.
struct LessonCheck {
    Lesson lesson;                        // to be used only when there is no error
    std::vector<LessonProblem> problems;  // in line order
    bool hasErrors() const;
};
LessonCheck checkLesson(const std::string& text, const std::string& path, const LessonNames& names = {});
// "FILE:LINE: field: message", or "FILE:LINE: warning: message" (moelab lesson check).
std::string problemLine(const LessonProblem& p, const std::string& path);

// Parses a lesson; throws InputError("<path>:<line> <field>", what) for the first error.
// A UTF-8 byte order mark at the start is skipped.
Lesson parseLesson(const std::string& text, const std::string& path, const LessonNames& names = {});
Lesson loadLesson(const std::string& path, const LessonNames& names = {});
// The file a lesson name stands for: "builtin" is the shipped lesson, anything else a path.
std::string lessonFile(const std::string& name);

// The chapter's starting settings: the defaults, then the lesson's and the chapter's
// flags, then a try's (tryIndex < 0: none). The text stays `current`'s unless a flag
// sets it, and the shipped checkpoint is used unless a flag sets the model; the backend
// and device stay `current`'s unless a flag sets them. startRouter: the routing the flags
// start from instead of the defaults (a language model chapter's: the model's trained one).
Settings chapterSettings(const Lesson& lesson, int chapter, int tryIndex, const Settings& current,
                         const RouterConfig* startRouter = nullptr);

// Whether the goal holds for these settings and this routing's metrics.
bool goalMet(const LessonGoal& goal, const Settings& s, const Metrics& m, int capacity);
std::string goalText(const LessonGoal& goal);  // "drop_rate <= 0"

// Splits "--text \"a b\" --k 2" into words, honouring double quotes.
std::vector<std::string> splitFlags(const std::string& line);

}  // namespace moe
