// The app's start with lessons, codes and flags (the layering rule), and a lesson's
// problems listed in a dialog while the app opens.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "gui/gui_options.hpp"
#include "lesson_code.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

const Lesson& builtin() {
    static const Lesson l = loadLesson(dataPath("lessons/moe-basics.lesson"));
    return l;
}

// The code File > Share makes for a lecturer at a chapter (0-based) with T changed.
std::string codeAtChapter(int chapter, float temperature) {
    SharedState s;
    s.lesson = "builtin";
    s.chapter = chapter;
    s.settings = chapterSettings(builtin(), chapter, -1, Settings{});
    s.settings.router.temperature = temperature;
    return encodeLessonCode(s, &builtin());
}

gui::GuiOptions options(const std::vector<std::string>& argv) { return gui::parseGuiOptions(argv); }

}  // namespace

using moe::test::haveXvfb;
const auto runApp = moe::test::runAppLayoutReport;

TEST(GuiOptions, AChaptersSettingsComeFirstThenTheFlags) {
    const gui::GuiOptions plain = options({"--lesson", "builtin", "--chapter", "4"});
    EXPECT_EQ(plain.lesson, "builtin");
    EXPECT_EQ(plain.chapter, 3);
    EXPECT_FLOAT_EQ(plain.settings.router.temperature, 1.0f);  // chapter 4 leaves T at its default
    EXPECT_FLOAT_EQ(
        options({"--lesson", "builtin", "--chapter", "4", "--temperature", "0.1"}).settings.router.temperature, 0.1f);
    // Chapter 6 sets C = 1 (default 1.25); a flag wins over it.
    EXPECT_DOUBLE_EQ(options({"--chapter", "6"}).settings.router.capacityFactor, 1.0);
    EXPECT_DOUBLE_EQ(options({"--chapter", "6", "--capacity-factor", "2"}).settings.router.capacityFactor, 2.0);
    EXPECT_EQ(options({"--chapter", "6"}).settings.backend, BackendKind::Auto);  // the app's device choice
    EXPECT_INPUT_ERROR(options({"--chapter", "99"}), "--chapter");
}

TEST(GuiOptions, ACodeSharedInAChapterOpensThereWithItsSettings) {
    const gui::GuiOptions four = options({"--code", codeAtChapter(3, 0.1f)});
    EXPECT_EQ(four.lesson, "builtin");
    EXPECT_EQ(four.chapter, 3);
    EXPECT_FLOAT_EQ(four.settings.router.temperature, 0.1f);
    const gui::GuiOptions six = options({"--code", codeAtChapter(5, 0.1f), "--k", "1"});
    EXPECT_EQ(six.chapter, 5);
    EXPECT_FLOAT_EQ(six.settings.router.temperature, 0.1f);
    EXPECT_DOUBLE_EQ(six.settings.router.capacityFactor, 1.0);  // the chapter's, under the code's
    EXPECT_EQ(six.settings.router.k, 1);                        // the flag, over both
}

TEST(GuiOptions, HideRefusesAnUnknownName) {
    EXPECT_INPUT_ERROR(options({"--hide", "heatmap,nosuchview"}), "--hide");
    EXPECT_EQ(options({"--hide", "heatmap,temperature"}).hidden, (std::vector<std::string>{"heatmap", "temperature"}));
}

TEST(Gui, TheAppStartsAtTheChapterWithTheCodesAndTheFlagsSettings) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const auto [status, report] = runApp("--code " + codeAtChapter(3, 0.1f));
    ASSERT_EQ(status, 0);
    ASSERT_FALSE(report.is_discarded());
    EXPECT_NEAR(report["settings"]["temperature"].get<double>(), 0.1, 1e-6);
    const SharedState shared = decodeShareCode(report["code"]);  // the state the app is in, shared again
    EXPECT_EQ(shared.lesson, "builtin");
    EXPECT_EQ(shared.chapter, 3);
    const auto [flagStatus, flagged] = runApp("--lesson builtin --chapter 4 --temperature 0.1");
    ASSERT_EQ(flagStatus, 0);
    EXPECT_NEAR(flagged["settings"]["temperature"].get<double>(), 0.1, 1e-6);
    EXPECT_EQ(decodeShareCode(flagged["code"]).chapter, 3);
}

TEST(Gui, ALessonsErrorsAreListedAndTheAppStillOpens) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const std::string path =
        (std::filesystem::temp_directory_path() / ("two_errors_" + std::to_string(::getpid()) + ".lesson")).string();
    writeFileAtomic(path,
                    "lesson: L\nlesson.zh: 课\nchapter: a\ntitle: A\ntitle.zh: 甲\ntext: x\ntext.zh: 乙\n"
                    "show: heat\nsettings: --k 99\n");
    const auto [status, report] = runApp("--lesson '" + path + "'");
    std::filesystem::remove(path);
    ASSERT_EQ(status, 0);
    ASSERT_FALSE(report.is_discarded());
    ASSERT_EQ(report["problems"].size(), 2u) << report["problems"];
    EXPECT_EQ(report["problems"][0].get<std::string>().rfind(path + ":8: show: unknown view 'heat'", 0), 0u);
    EXPECT_EQ(report["problems"][1].get<std::string>(), path + ":9: settings: --k: must be in 1..8 (got 99)");
    EXPECT_GE(report["views"].size(), 4u);  // the routing page, without the lesson
}
