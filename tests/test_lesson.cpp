// Lessons as data: the built-in lesson parses in both languages, a malformed file is
// refused naming its line and field, and chapters set up the settings they promise.
#include <gtest/gtest.h>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "lesson.hpp"
#include "settings_schema.hpp"
#include "test_support.hpp"

namespace {

using namespace moe;

// The names an app would give (core knows none of its own).
const LessonNames kNames{{"text", "tokens", "heatmap"}, {"routing", "parallel"}};

const char* kSmall = R"(# a two-chapter lesson
lesson: Small
lesson.zh: 小

chapter: one
title: One
title.zh: 一
text: First line
  continues here.

  A new paragraph.
settings: --k 1 --text "hello world"
show: tokens, heatmap
try: Two | 二 | --k 2
try: Dropless | 不丢弃 | --capacity-factor 0
goal: drop_rate <= 0, k >= 2
goal.text: Drop nothing with k of at least 2.
question: Q?
answer: A.

chapter: two
title: Two
text: Second.
settings: --experts 4
)";

TEST(Lesson, ParsesFieldsContinuationsAndBothLanguages) {
    const Lesson l = parseLesson(kSmall, "small.lesson");
    ASSERT_EQ(l.chapters.size(), 2u);
    const LessonChapter& c = l.chapters[0];
    EXPECT_EQ(l.title.in(true), "小");
    EXPECT_EQ(c.title.in(true), "一");
    EXPECT_EQ(l.chapters[1].title.in(true), "Two");  // no Chinese: English
    EXPECT_EQ(c.text.en, "First line continues here.\n\nA new paragraph.");
    EXPECT_EQ(c.show, (std::vector<std::string>{"tokens", "heatmap"}));
    ASSERT_EQ(c.tries.size(), 2u);
    EXPECT_EQ(c.tries[1].label.zh, "不丢弃");
    EXPECT_EQ(c.tries[0].flags, (std::vector<std::string>{"--k", "2"}));
    ASSERT_EQ(c.goals.size(), 2u);
    EXPECT_EQ(goalText(c.goals[1]), "k >= 2");
    EXPECT_EQ(c.goalText.en, "Drop nothing with k of at least 2.");
    EXPECT_EQ(c.heatmap, "scores");  // the default
    EXPECT_EQ(parseLesson(std::string(kSmall) + "heatmap: logits\n", "small.lesson").chapters[1].heatmap, "logits");
    EXPECT_EQ(c.line, 5);
}

TEST(Lesson, ChaptersSetUpTheirSettings) {
    const Lesson l = parseLesson(kSmall, "small.lesson");
    Settings current;
    current.text = "the class's own sentence";
    const Settings one = chapterSettings(l, 0, -1, current);
    EXPECT_EQ(one.router.k, 1);
    EXPECT_EQ(one.text, "hello world");     // the chapter sets the text
    EXPECT_FALSE(one.weightsPath.empty());  // no model flag: the shipped checkpoint
    const Settings tried = chapterSettings(l, 0, 0, current);
    EXPECT_EQ(tried.router.k, 2);  // the try's flag wins over the chapter's
    EXPECT_EQ(tried.text, "hello world");
    const Settings two = chapterSettings(l, 1, -1, current);
    EXPECT_EQ(two.text, "the class's own sentence");  // kept
    EXPECT_EQ(two.shape.experts, 4);
    EXPECT_TRUE(two.weightsPath.empty());  // a model flag: random weights from the seed
    EXPECT_EQ(two.router.k, 2);            // chapter one's k does not leak
    // The device the app runs on is not the lesson's business.
    current.backend = BackendKind::Auto;
    current.device = "pocl";
    const Settings three = chapterSettings(l, 1, -1, current);
    EXPECT_EQ(three.backend, BackendKind::Auto);
    EXPECT_EQ(three.device, "pocl");
}

TEST(Lesson, GoalsAreCheckedAgainstMetricsAndSettings) {
    const Lesson l = parseLesson(kSmall, "small.lesson");
    Settings s;
    s.router.k = 2;
    Metrics m;
    m.dropRate = 0;
    EXPECT_TRUE(goalMet(l.chapters[0].goals[0], s, m, 9));
    EXPECT_TRUE(goalMet(l.chapters[0].goals[1], s, m, 9));
    m.dropRate = 0.05;
    s.router.k = 1;
    EXPECT_FALSE(goalMet(l.chapters[0].goals[0], s, m, 9));
    EXPECT_FALSE(goalMet(l.chapters[0].goals[1], s, m, 9));
}

TEST(Lesson, MalformedFilesNameTheLineAndField) {
    const auto field = [](const std::string& text) {
        return test::inputErrorField([&] { parseLesson(text, "bad.lesson", kNames); });
    };
    const std::string head = "lesson: X\nchapter: c\ntitle: T\ntext: body\n";
    EXPECT_EQ(field(head + "colour: red\n"), "bad.lesson:5 colour");
    EXPECT_EQ(field(head + "show: text, heat\n"), "bad.lesson:5 show");
    EXPECT_EQ(field(head + "try: only a label\n"), "bad.lesson:5 try");
    EXPECT_EQ(field(head + "try: a | b | --k two\n"), "bad.lesson:5 try");
    EXPECT_EQ(field(head + "try: a | b | --k 99\n"), "bad.lesson:5 try");  // out of range for E = 8
    EXPECT_EQ(field(head + "settings: --temperature -1\n"), "bad.lesson:5 settings");
    EXPECT_EQ(field(head + "goal: happiness >= 1\n"), "bad.lesson:5 goal");
    EXPECT_EQ(field(head + "page: kitchen\n"), "bad.lesson:5 page");
    EXPECT_EQ(field(head + "heatmap: probabilities\n"), "bad.lesson:5 heatmap");
    EXPECT_EQ(field(head + "goal: k >= 2\n"), "bad.lesson:2 chapter");    // a goal students cannot read
    EXPECT_EQ(field(head + "question: why?\n"), "bad.lesson:2 chapter");  // no answer
    EXPECT_EQ(field("  indented first\n"), "bad.lesson:1");
    EXPECT_EQ(field("title: before any chapter\n"), "bad.lesson:1 title");
    EXPECT_EQ(field("lesson: no chapters\n"), "bad.lesson");
    EXPECT_EQ(field("chapter: c\ntext: no title\n"), "bad.lesson:1 chapter");
}

// Two errors, on lines 9 and 13, and the file read on past the first: a check lists both,
// with their lines, and a warning for the chapter that has no Chinese.
const char* kTwoErrors = R"(lesson: Two errors
lesson.zh: 两个错误

chapter: one
title: One
title.zh: 一
text: First.
text.zh: 第一。
show: text, heat
settings: --k 2

chapter: two
colour: red
title: Two
text: Second.
)";

TEST(Lesson, ACheckListsEveryProblemWithItsLine) {
    const LessonCheck check = checkLesson(kTwoErrors, "two.lesson", kNames);
    EXPECT_TRUE(check.hasErrors());
    ASSERT_EQ(check.problems.size(), 3u);
    EXPECT_EQ(check.problems[0].line, 9);
    EXPECT_EQ(check.problems[0].field, "show");
    EXPECT_FALSE(check.problems[0].warning);
    EXPECT_EQ(check.problems[1].line, 12);  // chapter two: no title.zh, text.zh
    EXPECT_TRUE(check.problems[1].warning);
    EXPECT_EQ(check.problems[2].line, 13);
    EXPECT_EQ(check.problems[2].field, "colour");
    EXPECT_EQ(problemLine(check.problems[0], "two.lesson").rfind("two.lesson:9: show: unknown view 'heat'", 0), 0u)
        << problemLine(check.problems[0], "two.lesson");
    EXPECT_EQ(problemLine(check.problems[1], "two.lesson"),
              "two.lesson:12: warning: chapter without Chinese text (no title.zh, text.zh)");
    // parseLesson refuses the file at its first error.
    EXPECT_INPUT_ERROR(parseLesson(kTwoErrors, "two.lesson", kNames), "two.lesson:9 show");
}

// Core knows no view or page: the names come from the caller, and a caller that shows no
// view (route, code) gives none and has every name accepted.
TEST(Lesson, ViewAndPageNamesComeFromTheCaller) {
    const std::string text = "lesson: X\nchapter: c\ntitle: T\ntext: body\nshow: text, gauges\npage: kitchen\n";
    EXPECT_FALSE(checkLesson(text, "n.lesson").hasErrors());
    std::vector<std::string> errors;  // the file has no Chinese either: warnings, not counted here
    for (const LessonProblem& p : checkLesson(text, "n.lesson", kNames).problems)
        if (!p.warning) errors.push_back(problemLine(p, "n.lesson"));
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "n.lesson:5: show: unknown view 'gauges' (views: text, tokens, heatmap)");
    EXPECT_EQ(errors[1], "n.lesson:6: page: must be routing, parallel (got 'kitchen')");
    const LessonCheck other = checkLesson(text, "n.lesson", {{"gauges", "text"}, {"kitchen"}});
    EXPECT_FALSE(other.hasErrors());
}

TEST(Lesson, SettingsOutOfRangeAreReportedOnceWhereTheyAre) {
    // The chapter's k = 9 with E = 8 (line 6); its try on line 7 builds on it and is not
    // blamed; chapter two's try (line 13: k = 5 of 4 experts) is wrong on its own.
    const std::string text =
        "chapter: a\ntitle: A\ntitle.zh: 甲\ntext: x\ntext.zh: 乙\nsettings: --k 9\ntry: t | 试 | --temperature 2\n"
        "chapter: b\ntitle: B\ntitle.zh: 乙\ntext: y\ntext.zh: 乙\ntry: t | 试 | --experts 4 --k 5\n";
    const LessonCheck check = checkLesson(text, "r.lesson");
    ASSERT_EQ(check.problems.size(), 2u);
    EXPECT_EQ(problemLine(check.problems[0], "r.lesson"), "r.lesson:6: settings: --k: must be in 1..8 (got 9)");
    EXPECT_EQ(check.problems[1].line, 13);
    EXPECT_EQ(check.problems[1].field, "try");
}

TEST(Lesson, AChapterInOneLanguageIsAWarningAndFallsBackToIt) {
    const std::string text = "lesson: L\nlesson.zh: 课\nchapter: a\ntitle.zh: 只有中文\ntext.zh: 正文。\n";
    const LessonCheck check = checkLesson(text, "zh.lesson");
    EXPECT_FALSE(check.hasErrors());
    ASSERT_EQ(check.problems.size(), 1u);
    EXPECT_EQ(problemLine(check.problems[0], "zh.lesson"),
              "zh.lesson:3: warning: chapter without English text (no title, text)");
    const Lesson l = parseLesson(text, "zh.lesson");  // usable
    EXPECT_EQ(l.chapters[0].title.in(false), "只有中文");
    EXPECT_EQ(l.chapters[0].title.in(true), "只有中文");
}

TEST(Lesson, AByteOrderMarkAtTheStartIsSkipped) {
    const std::string text =
        "\xEF\xBB\xBFlesson: BOM\nlesson.zh: 字节顺序标记\nchapter: a\ntitle: A\ntitle.zh: 甲\ntext: x\ntext.zh: 乙\n";
    const LessonCheck check = checkLesson(text, "bom.lesson");
    EXPECT_TRUE(check.problems.empty()) << problemLine(check.problems[0], "bom.lesson");
    EXPECT_EQ(check.lesson.title.en, "BOM");
}

TEST(Lesson, FlagsSplitHonouringQuotes) {
    EXPECT_EQ(splitFlags(R"(--text "a b  c" --k 2)"), (std::vector<std::string>{"--text", "a b  c", "--k", "2"}));
    EXPECT_EQ(splitFlags(R"(--text "")"), (std::vector<std::string>{"--text", ""}));
}

TEST(Lesson, TheBuiltInLessonIsCompleteInBothLanguages) {
    const Lesson l = loadLesson(dataPath("lessons/moe-basics.lesson"));
    EXPECT_GE(l.chapters.size(), 10u);
    EXPECT_FALSE(l.title.zh.empty());
    int experiments = 0, questions = 0;
    for (const LessonChapter& c : l.chapters) {
        SCOPED_TRACE(c.title.en);
        EXPECT_FALSE(c.title.zh.empty());
        EXPECT_FALSE(c.text.zh.empty());
        EXPECT_FALSE(c.show.empty());
        if (!c.question.empty()) {
            ++questions;
            EXPECT_FALSE(c.question.zh.empty());
            EXPECT_FALSE(c.answer.zh.empty());
        }
        for (const LessonTry& t : c.tries) EXPECT_FALSE(t.label.zh.empty());
        if (!c.goals.empty()) {
            EXPECT_FALSE(c.goalText.zh.empty());
        }
        experiments += !c.experiment.empty();
    }
    EXPECT_EQ(experiments, 2);  // balance, sentiment
    EXPECT_GE(questions, 8);
    // moelab lesson check builtin: no error and no warning.
    const std::string path = dataPath("lessons/moe-basics.lesson");
    for (const LessonProblem& p : checkLesson(readFile(path), path).problems) ADD_FAILURE() << problemLine(p, path);
}

}  // namespace

// Chapter 3's "8 experts" names the trained model's own expert count: the trained weights
// stay. "16 experts" needs another shape, so random weights replace them.
TEST(Lesson, ATryThatKeepsTheShapeKeepsTheTrainedWeights) {
    const Lesson lesson = loadLesson(dataPath("lessons/moe-basics.lesson"));
    const int logits = 2;  // chapter 3
    ASSERT_EQ(lesson.chapters[logits].title.en, "The router scores every expert");
    const LessonChapter& ch = lesson.chapters[logits];
    const std::string shipped = dataPath("weights/lesson.safetensors");
    const Settings base = chapterSettings(lesson, logits, -1, Settings{});
    ASSERT_EQ(base.weightsPath, shipped);
    for (size_t t = 0; t < ch.tries.size(); ++t) {
        const Settings s = chapterSettings(lesson, logits, int(t), Settings{});
        SCOPED_TRACE(ch.tries[t].label.en);
        if (s.shape.experts == base.shape.experts)
            EXPECT_EQ(s.weightsPath, shipped);
        else
            EXPECT_TRUE(s.weightsPath.empty());
    }
}
