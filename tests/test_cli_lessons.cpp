// The command line with lessons and lesson codes: chapters, codes, lesson checks, --hide.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "cli_support.hpp"

using namespace moe::test;

TEST(Cli, RouteTakesALessonChapterAndFlagsOnTop) {
    const auto config = [](std::vector<std::string> args) { return routeJson(args)["config"]; };
    EXPECT_DOUBLE_EQ(config({"--lesson", "builtin", "--chapter", "4"})["temperature"].get<double>(),
                     1.0);  // chapter 4 keeps T
    EXPECT_NEAR(config({"--lesson", "builtin", "--chapter", "4", "--temperature", "0.1"})["temperature"].get<double>(),
                0.1, 1e-7);
    EXPECT_DOUBLE_EQ(config({"--lesson", "builtin", "--chapter", "6"})["capacity_factor"].get<double>(),
                     1.0);  // the chapter's C
    EXPECT_DOUBLE_EQ(
        config({"--lesson", "builtin", "--chapter", "6", "--capacity-factor", "2"})["capacity_factor"].get<double>(),
        2.0);
    const auto ch10 = config({"--lesson", "builtin", "--chapter", "10", "--gpus", "4"});
    EXPECT_EQ(ch10["experts"], 16);  // the chapter's
    EXPECT_EQ(ch10["gpus"], 4);      // the flag's
    EXPECT_EQ(ch10["backend"], "eigen");
    const RunResult bad = run({"route", "--lesson", "builtin", "--chapter", "13"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_EQ(bad.err.rfind("moelab: --chapter: must be in 1..12", 0), 0u) << bad.err;
}

TEST(Cli, RouteOfACodeMadeInAChapterShowsItsOwnSettingsOverTheChapters) {
    const RunResult made = run({"code", "--lesson", "builtin", "--chapter", "6", "--temperature", "0.1"});
    ASSERT_EQ(made.code, 0) << made.err;
    const std::string code = made.out.substr(0, made.out.find('\n'));
    const auto config = routeJson({"--code", code})["config"];
    EXPECT_NEAR(config["temperature"].get<double>(), 0.1, 1e-7);
    EXPECT_DOUBLE_EQ(config["capacity_factor"].get<double>(), 1.0);  // chapter 6's
    EXPECT_NE(config["weights"].get<std::string>().find("lesson.safetensors"), std::string::npos);
    const auto flagged = routeJson({"--code", code, "--temperature", "2"})["config"];
    EXPECT_DOUBLE_EQ(flagged["temperature"].get<double>(), 2.0);
}

namespace {

// stderr's lines.
std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

}  // namespace

TEST(Cli, LessonCheckListsEveryProblemWithItsLine) {
    const std::string path = tempPath("two_errors.lesson");
    // Errors on lines 9 (a view) and 13 (a field); chapter two (line 12) has no Chinese.
    moe::writeFileAtomic(path,
                         "lesson: Two errors\nlesson.zh: 两个错误\n\nchapter: one\ntitle: One\ntitle.zh: 一\n"
                         "text: First.\ntext.zh: 第一。\nshow: text, heat\nsettings: --k 2\n\n"
                         "chapter: two\ncolour: red\ntitle: Two\ntext: Second.\n");
    const RunResult r = run({"lesson", "check", path});
    EXPECT_EQ(r.code, 2);
    const auto got = lines(r.err);
    ASSERT_EQ(got.size(), 3u) << r.err;
    EXPECT_EQ(got[0].rfind(path + ":9: show: unknown view 'heat'", 0), 0u) << got[0];
    EXPECT_EQ(got[1], path + ":12: warning: chapter without Chinese text (no title.zh, text.zh)");
    EXPECT_EQ(got[2].rfind(path + ":13: colour: unknown field", 0), 0u) << got[2];
    std::filesystem::remove(path);
}

TEST(Cli, LessonCheckWarnsOfAChapterWithoutChineseAndPasses) {
    const std::string path = tempPath("english_only.lesson");
    moe::writeFileAtomic(path, "\xEF\xBB\xBFlesson: L\nlesson.zh: 课\nchapter: a\ntitle: A\ntitle.zh: 甲\ntext: x\n");
    const RunResult r = run({"lesson", "check", path});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, path + ":3: warning: chapter without Chinese text (no text.zh)\n");
    std::filesystem::remove(path);
    const RunResult builtin = run({"lesson", "check", "builtin"});
    EXPECT_EQ(builtin.code, 0);
    EXPECT_EQ(builtin.err, "");  // no error, no warning
    EXPECT_EQ(run({"lesson", "check", tempPath("no_such.lesson")}).code, 2);
    EXPECT_EQ(run({"lesson", "lint", "builtin"}).code, 2);
}

TEST(Cli, HideRefusesAnUnknownViewNamingIt) {
    for (const char* cmd : {"code", "gui"}) {
        SCOPED_TRACE(cmd);
        const RunResult r = run({cmd, "--hide", "heatmap,nosuchview"});
        EXPECT_EQ(r.code, 2);
        EXPECT_EQ(r.err.rfind("moelab: --hide: 'nosuchview' is neither a view nor a setting key", 0), 0u) << r.err;
    }
    EXPECT_EQ(run({"code", "--hide", "heatmap,temperature,compare"}).code, 0);
}
