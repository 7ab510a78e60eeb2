// The layering rule: a lesson chapter's settings first, then a lesson code's own, then
// the flags given; a code made at a chapter gives back what the lecturer saw.
#include <gtest/gtest.h>

#include "data_dir.hpp"
#include "lesson_code.hpp"
#include "settings_schema.hpp"
#include "test_support.hpp"

namespace {

using namespace moe;

const Lesson& builtin() {
    static const Lesson l = loadLesson(dataPath("lessons/moe-basics.lesson"));
    return l;
}

// What a student's app starts from when it opens `code` with these flags.
Settings opened(const std::string& code, std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--code", code});
    auto names = settingFlags();
    names.insert({"code", "lesson", "chapter"});
    const Args args(flags, names, {});
    const LessonRequest r = lessonRequest(args);
    return layeredSettings(r, r.lesson == "builtin" ? &builtin() : nullptr, nullptr, args, Settings{});
}

// The lecturer at a chapter (0-based) of the built-in lesson, as File > Share sees it.
SharedState atChapter(int chapter) {
    SharedState s;
    s.lesson = "builtin";
    s.chapter = chapter;
    s.settings = chapterSettings(builtin(), chapter, -1, Settings{});
    return s;
}

TEST(LessonCode, ALinkIsThePagesAddressThenTheCode) {
    EXPECT_EQ(shareLink("https://example.edu/moelab/", "moe1-abc-1"), "https://example.edu/moelab/#moe1-abc-1");
    EXPECT_EQ(shareLink("  http://localhost:8000/index.html#moe1-old\n", "moe1-new"),
              "http://localhost:8000/index.html#moe1-new");
    EXPECT_EQ(shareLink("file:///srv/moelab/index.html?lang=zh", "c"), "file:///srv/moelab/index.html?lang=zh#c");
    EXPECT_EQ(shareLink(" \t", "c"), "");
    EXPECT_EQ(shareLink("", "c"), "");
}

TEST(LessonCode, ACodeMadeInAChapterKeepsItsOwnSettings) {
    // Chapter 4 (softmax and temperature) with T lowered to 0.1 by the lecturer.
    SharedState lecturer = atChapter(3);
    lecturer.settings.router.temperature = 0.1;
    const std::string code = encodeLessonCode(lecturer, &builtin());
    const SharedState decoded = decodeShareCode(code);
    EXPECT_EQ(decoded.lesson, "builtin");
    EXPECT_EQ(decoded.chapter, 3);
    EXPECT_FLOAT_EQ(opened(code).router.temperature, 0.1);
}

TEST(LessonCode, TheChaptersSettingsLieUnderTheCodesOwn) {
    // Chapter 6 sets the capacity factor to 1 (the default is 1.25).
    ASSERT_DOUBLE_EQ(Settings{}.router.capacityFactor, 1.25);
    SharedState lecturer = atChapter(5);
    ASSERT_DOUBLE_EQ(lecturer.settings.router.capacityFactor, 1.0);
    lecturer.settings.router.temperature = 0.1;
    Settings got = opened(encodeLessonCode(lecturer, &builtin()));
    EXPECT_FLOAT_EQ(got.router.temperature, 0.1);
    EXPECT_DOUBLE_EQ(got.router.capacityFactor, 1.0);           // the chapter's
    EXPECT_EQ(got.weightsPath, lecturer.settings.weightsPath);  // the shipped checkpoint
    // Moved back to the default by the lecturer: the student sees the default too, not the chapter's 1.
    lecturer.settings.router.capacityFactor = 1.25;
    got = opened(encodeLessonCode(lecturer, &builtin()));
    EXPECT_DOUBLE_EQ(got.router.capacityFactor, 1.25);
    // Flags given go on top of both.
    got = opened(encodeLessonCode(lecturer, &builtin()), {"--temperature", "2", "--k", "1"});
    EXPECT_FLOAT_EQ(got.router.temperature, 2.0);
    EXPECT_EQ(got.router.k, 1);
    EXPECT_DOUBLE_EQ(got.router.capacityFactor, 1.25);
}

TEST(LessonCode, RandomWeightsInAChapterOfTheShippedModelStayRandom) {
    // Chapter 4 runs the shipped checkpoint; the lecturer went back to random weights
    // (File > Back to random weights), which is the default and so not written against
    // the defaults alone: against the chapter it is.
    SharedState lecturer = atChapter(3);
    ASSERT_FALSE(lecturer.settings.weightsPath.empty());
    lecturer.settings.weightsPath.clear();
    EXPECT_TRUE(opened(encodeLessonCode(lecturer, &builtin())).weightsPath.empty());
    EXPECT_FALSE(opened(encodeShareCode(lecturer)).weightsPath.empty());  // what a code without its chapter gave
}

TEST(LessonCode, TheDeviceStaysTheStudents) {
    SharedState lecturer = atChapter(0);
    lecturer.settings.backend = BackendKind::OpenCL;
    lecturer.settings.device = "the lecturer's GPU";
    const Settings got = opened(encodeLessonCode(lecturer, &builtin()));
    EXPECT_EQ(got.backend, BackendKind::Eigen);
    EXPECT_EQ(got.device, "");
}

TEST(LessonCode, AChapterAndFlagsLayerWithoutACode) {
    const auto withFlags = [](std::vector<std::string> flags) {
        auto names = settingFlags();
        names.insert({"code", "lesson", "chapter"});
        const Args args(flags, names, {});
        return layeredSettings(lessonRequest(args), &builtin(), nullptr, args, Settings{});
    };
    const Settings ch6 = withFlags({"--chapter", "6"});
    EXPECT_DOUBLE_EQ(ch6.router.capacityFactor, 1.0);
    const Settings ch6Flag = withFlags({"--chapter", "6", "--capacity-factor", "2", "--temperature", "0.1"});
    EXPECT_DOUBLE_EQ(ch6Flag.router.capacityFactor, 2.0);
    EXPECT_FLOAT_EQ(ch6Flag.router.temperature, 0.1);
    // Chapter 10 sets 16 experts (random weights from the seed) and 8 GPUs; --gpus 4 wins.
    const Settings ch10 = withFlags({"--chapter", "10", "--gpus", "4"});
    EXPECT_EQ(ch10.shape.experts, 16);
    EXPECT_EQ(ch10.cluster.gpus, 4);
    EXPECT_TRUE(ch10.weightsPath.empty());
    EXPECT_INPUT_ERROR(withFlags({"--chapter", "13"}), "--chapter");  // 12 chapters
}

TEST(LessonCode, HideRefusesUnknownNames) {
    const std::vector<std::string> views{"heatmap", "compare"};  // the app's names (core knows none)
    EXPECT_EQ(parseHideList("heatmap,k,presets,compare", views),
              (std::vector<std::string>{"heatmap", "k", "presets", "compare"}));
    EXPECT_INPUT_ERROR(parseHideList("heatmap,nosuchview", views), "--hide");
    EXPECT_INPUT_ERROR(parseHideList("tokens", views), "--hide");  // a view of another app
    try {
        parseHideList("nosuchview", views);
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("'nosuchview'"), std::string::npos) << e.what();
    }
}

}  // namespace
