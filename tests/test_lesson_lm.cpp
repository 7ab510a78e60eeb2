// The built-in lesson's language-model chapter ("Through the layers"): it checks clean,
// starts from the model's trained routing, and its numbers are what the model computes on
// the chapter's text: the as-trained bits per byte, and what capacity factor 1 and k = 1 cost.
#include <gtest/gtest.h>

#include <algorithm>

#include "atomic_file.hpp"
#include "backends/eigen_backend.hpp"
#include "data_dir.hpp"
#include "lesson.hpp"
#include "lm/lm_forward.hpp"

namespace {

using namespace moe;

struct LmChapter {
    Lesson lesson;
    int chapter = -1;
};

const LmChapter& lmChapter() {
    static const LmChapter c = [] {
        LmChapter out;
        out.lesson = loadLesson(dataPath("lessons/moe-basics.lesson"));
        for (size_t i = 0; i < out.lesson.chapters.size(); ++i)
            if (out.lesson.chapters[i].title.en == "Through the layers") out.chapter = int(i);
        return out;
    }();
    return c;
}

const LmModel& model() {
    static const LmModel m = loadLm("tiny-lm");
    return m;
}

// The bits per byte the app shows at the chapter (with a try: tryIndex >= 0).
double bitsPerByte(int tryIndex) {
    const RouterConfig trained = trainedRouting(model().config);
    const Settings s = chapterSettings(lmChapter().lesson, lmChapter().chapter, tryIndex, Settings{}, &trained);
    EigenBackend backend;
    return runLm(backend, model(), s.router, s.text).bitsPerByte;
}

int tryLabelled(const std::string& label) {
    const auto& tries = lmChapter().lesson.chapters.at(lmChapter().chapter).tries;
    for (size_t t = 0; t < tries.size(); ++t)
        if (tries[t].label.en == label) return int(t);
    ADD_FAILURE() << "no try '" << label << "'";
    return -1;
}

}  // namespace

TEST(LessonLm, TheChapterChecksCleanAndRunsTheModel) {
    const LessonCheck check = checkLesson(readFile(dataPath("lessons/moe-basics.lesson")), "moe-basics.lesson");
    for (const LessonProblem& p : check.problems) ADD_FAILURE() << problemLine(p, "moe-basics.lesson");
    ASSERT_GE(lmChapter().chapter, 0);
    const LessonChapter& ch = lmChapter().lesson.chapters[lmChapter().chapter];
    EXPECT_EQ(ch.model, "tiny-lm");
    EXPECT_NE(std::find(ch.show.begin(), ch.show.end(), "layers"), ch.show.end());
    // A model chapter's settings start from the trained routing: top-2, dropless.
    const RouterConfig trained = trainedRouting(model().config);
    const Settings s = chapterSettings(lmChapter().lesson, lmChapter().chapter, -1, Settings{}, &trained);
    EXPECT_EQ(s.router.k, 2);
    EXPECT_EQ(s.router.capacityFactor, 0.0);
}

TEST(LessonLm, AModelThatIsNotThereIsAProblem) {
    const std::string text = "lesson: x\nchapter: a\ntitle: A\ntext: a\nmodel: /nonexistent/lm.safetensors\n";
    const LessonCheck check = checkLesson(text, "x.lesson");
    ASSERT_TRUE(check.hasErrors());
    int named = 0;
    for (const LessonProblem& p : check.problems)
        named += !p.warning && p.line == 5 && p.field == "model" &&
                 p.message.find("/nonexistent/lm.safetensors") != std::string::npos;
    EXPECT_EQ(named, 1);
}

// The answer quotes 2.332 -> 2.453 with capacity factor 1 and 2.418 with k = 1.
TEST(LessonLm, TheTriesCostBitsPerByteAsTheAnswerSays) {
    ASSERT_GE(lmChapter().chapter, 0);
    const double trained = bitsPerByte(-1);
    const double drops = bitsPerByte(tryLabelled("capacity 1"));
    const double k1 = bitsPerByte(tryLabelled("k = 1"));
    const double back = bitsPerByte(tryLabelled("as trained"));
    EXPECT_NEAR(trained, 2.332, 5e-4);
    EXPECT_NEAR(drops, 2.453, 5e-4);
    EXPECT_NEAR(k1, 2.418, 5e-4);
    EXPECT_GT(drops - trained, 0.1);
    EXPECT_NEAR(back, trained, 1e-12);
}
