// The desktop app: its GUI-free state, session files, and a real render under Xvfb.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stb_image.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.hpp"
#include "gui/app_state.hpp"
#include "gui/preferences.hpp"
#include "gui/training_session.hpp"
#include "gui/wrap.hpp"

#include <chrono>
#include <thread>
#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"
#include "share_code.hpp"

using namespace moe;

TEST(AppState, MatchesTheCommandLineNumbers) {
    Settings o;
    gui::AppState s(o);
    ASSERT_TRUE(s.error().empty()) << s.error();
    // The default sentence, as `moelab route` computes it (same engine, same seed).
    EXPECT_EQ(s.result().routing.tokens, 27);
    EXPECT_EQ(s.result().routing.capacity, 9);  // ceil(2*27/8*1.25)
    EXPECT_EQ(s.tokens()[3].text, "是");
}

TEST(AppState, ErrorsKeepTheLastResult) {
    Settings o;
    gui::AppState s(o);
    const double aux = s.result().metrics.auxLoss;
    s.loadWeights("/nonexistent/weights.safetensors");
    EXPECT_NE(s.error().find("/nonexistent/weights.safetensors"), std::string::npos);
    EXPECT_FALSE(s.weightsFromFile());
    EXPECT_EQ(s.result().metrics.auxLoss, aux);
    // k above E is clamped, not an error; an empty text gives zero tokens.
    s.settings().router.k = 50;
    s.settings().text.clear();
    s.changed(SettingEffect::Route);
    s.update();
    EXPECT_TRUE(s.error().empty()) << s.error();
    EXPECT_EQ(s.settings().router.k, 8);
    EXPECT_EQ(s.result().routing.tokens, 0);
}

TEST(TrainingSession, StepsOnItsThreadAndPublishesWeights) {
    train::TrainConfig c;
    c.model.shape.dim = 8;
    c.model.shape.hidden = 16;
    c.model.shape.experts = 4;
    c.batch = 2;
    c.seqLen = 16;
    gui::TrainingSession s;
    s.reset(c, readFile(dataPath("corpus/lesson.txt")));
    for (int i = 0; i < 3; ++i) s.stepOnce();
    gui::TrainingSnapshot snap;
    uint64_t snapVersion = 0;
    for (int wait = 0; wait < 500 && snap.step < 3; ++wait) {
        s.snapshotSince(snapVersion, snap);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(s.snapshotSince(snapVersion, snap));  // nothing new: nothing copied
    EXPECT_EQ(snap.step, 3);
    EXPECT_EQ(snap.loss.size(), 3u);
    EXPECT_EQ(snap.specialisation.size(), 4u);
    uint64_t version = 0;
    ModelWeights w;
    EXPECT_TRUE(s.weightsSince(version, w));
    EXPECT_EQ(w.shape.experts, 4);
    EXPECT_FALSE(s.weightsSince(version, w));  // nothing newer
    // A bad corpus is an error in the snapshot, not a crash.
    s.reset(c, "short");
    EXPECT_TRUE(s.snapshotSince(snapVersion, snap));
    EXPECT_FALSE(snap.error.empty());
}

TEST(Gui, ScreenshotUnderXvfbIsARealRender) {
    if (std::system("command -v xvfb-run >/dev/null 2>&1") != 0) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const auto dir = std::filesystem::temp_directory_path();
    const std::string png = (dir / ("moelab_gui_" + std::to_string(::getpid()) + ".png")).string();
    const std::string report = png + ".json";
    const std::string cmd = std::string("xvfb-run -a -s '-screen 0 1280x800x24' '") + MOELAB_BIN +
                            "' gui --text '专家混合模型 MoE routes bytes.' --frames 5 --width 1280 --height 800 "
                            "--screenshot '" +
                            png + "' --frame-report > '" + report + "' 2>/dev/null";
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
    const auto stats = nlohmann::json::parse(readFile(report));
    EXPECT_EQ(stats["frames"], 5);
    EXPECT_GT(stats["median_ms"].get<double>(), 0.0);
    int w = 0, h = 0, n = 0;
    unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
    ASSERT_NE(px, nullptr);
    EXPECT_EQ(w, 1280);
    EXPECT_EQ(h, 800);
    // A real render has many colours, and the experts' palette colours on the chips and bars.
    std::set<int> colours;
    int orange = 0, sky = 0;
    for (int i = 0; i < w * h; ++i) {
        const unsigned char* p = px + 3 * i;
        colours.insert(p[0] << 16 | p[1] << 8 | p[2]);
        orange += p[0] == 230 && p[1] == 159 && p[2] == 0;
        sky += p[0] == 86 && p[1] == 180 && p[2] == 233;
    }
    stbi_image_free(px);
    EXPECT_GT(colours.size(), 200u);
    EXPECT_GT(orange + sky, 500);
    std::filesystem::remove(png);
    std::filesystem::remove(report);
}

namespace {

// Runs the app headless; returns the exit status and the last line it printed.
std::pair<int, std::string> runGui(const std::string& flags, int width, int height) {
    const auto out = std::filesystem::temp_directory_path() / ("moelab_gui_layout_" + std::to_string(::getpid()));
    const std::string png = out.string() + ".png";
    const std::string cmd = "xvfb-run -a -s '-screen 0 " + std::to_string(width) + "x" + std::to_string(height) +
                            "x24' '" + MOELAB_BIN + "' gui --frames 4 --width " + std::to_string(width) + " --height " +
                            std::to_string(height) + " --screenshot '" + png + "' --layout-report " + flags + " > '" +
                            out.string() + "' 2>/dev/null";
    const int status = std::system(cmd.c_str());
    std::string text = readFile(out.string()), last;
    std::filesystem::remove(out);
    std::filesystem::remove(png);
    for (size_t a = 0, b; a < text.size(); a = b + 1) {
        b = text.find('\n', a);
        if (b == std::string::npos) b = text.size();
        if (b > a) last = text.substr(a, b - a);
    }
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, last};
}

}  // namespace

using moe::test::haveXvfb;

TEST(Gui, LayoutHoldsAtEverySizeScaleAndLanguage) {
    // 1280x800 and 1920x1080, UI scale 100, 150 and 200 %, English and Chinese: every
    // view inside the window and at least its minimum size; gate-score cells at least
    // 12 px tall (and 10 px times the scale); expert tags at least 20 px at 200 %.
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    for (auto [w, h] : {std::pair{1280, 800}, std::pair{1920, 1080}})
        for (double scale : {1.0, 1.5, 2.0})
            for (const char* lang : {"en", "zh"}) {
                SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h) + " scale " + std::to_string(scale) + " " +
                             lang);
                const auto [code, line] = runGui("--scale " + std::to_string(scale) + " --lang " + lang, w, h);
                ASSERT_EQ(code, 0);
                const auto j = nlohmann::json::parse(line);
                const double top = j["top"], bottom = j["bottom"], minW = j["min_view"][0], minH = j["min_view"][1];
                ASSERT_GE(j["views"].size(), 4u);
                for (const auto& v : j["views"]) {
                    const double x = v["x"], y = v["y"], vw = v["w"], vh = v["h"];
                    EXPECT_GE(x, -1) << v["name"];
                    EXPECT_GE(y, top - 1) << v["name"];
                    EXPECT_LE(x + vw, w + 1) << v["name"];
                    EXPECT_LE(y + vh, bottom + 1) << v["name"];
                    EXPECT_GE(vw, minW) << v["name"];
                    EXPECT_GE(vh, minH) << v["name"];
                }
                // 200 % on 1280 x 800 is held to what the window holds (960 x 540 logical).
                const double shown = j["scale"];
                EXPECT_NEAR(shown, w == 1280 ? std::min(scale, 1.3) : scale, 1e-6);
                EXPECT_GE(j["measured"]["gate_cell_height"].get<double>(), std::max(12.0, 10 * shown));
                if (shown > 1.99) {
                    EXPECT_GE(j["measured"]["expert_tag_height"].get<double>(), 20.0);
                }
            }
}

TEST(Gui, ALessonCodeMadeInEnglishOpensTheSameStateInChinese) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    SharedState shared;
    shared.settings.text = "共享 shared state";
    shared.settings.router.k = 3;
    shared.settings.router.capacityFactor = 0.75;
    shared.settings.cluster.gpus = 4;
    shared.page = "parallel";
    shared.hidden = {"temperature"};
    const std::string code = encodeShareCode(shared);
    const auto [enStatus, en] = runGui("--lang en --code " + code, 1280, 800);
    const auto [zhStatus, zh] = runGui("--lang zh --code " + code, 1280, 800);
    ASSERT_EQ(enStatus, 0);
    ASSERT_EQ(zhStatus, 0);
    const auto a = nlohmann::json::parse(en), b = nlohmann::json::parse(zh);
    EXPECT_EQ(a["settings"], b["settings"]);
    EXPECT_EQ(a["code"], b["code"]);
    EXPECT_EQ(a["settings"]["k"], 3);
    EXPECT_EQ(a["settings"]["gpus"], 4);
    EXPECT_EQ(a["settings"]["text"], "共享 shared state");
    std::set<std::string> views;
    for (const auto& v : a["views"]) views.insert(v["name"]);
    EXPECT_TRUE(views.count("traffic"));  // the page the code named
    // A cut-off code is refused with a message, exit code 2, no window.
    EXPECT_EQ(runGui("--code " + code.substr(0, code.size() - 5), 1280, 800).first, 2);
}

TEST(Gui, PreferencesKeepTheWebAddress) {
    gui::Preferences p;
    p.webAddress = "https://example.edu/moelab/";
    EXPECT_EQ(gui::parsePreferences(gui::preferencesJson(p), "settings.json").webAddress, p.webAddress);
    EXPECT_EQ(gui::parsePreferences(R"({"theme": "light"})", "settings.json").webAddress, "");  // older files
    EXPECT_EQ(gui::parsePreferences(R"({"web_address": 3})", "settings.json").webAddress, "");  // wrong kind: defaults
}

TEST(Gui, ShareGivesTheCodeAsALinkToAConfiguredWebPage) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const auto [status, line] =
        runGui("--text 'link 链接' --web-address ' https://example.edu/moelab/index.html#old '", 1280, 800);
    ASSERT_EQ(status, 0);
    const auto report = nlohmann::json::parse(line);
    const std::string code = report["code"];
    EXPECT_EQ(report["link"], "https://example.edu/moelab/index.html#" + code);
    EXPECT_EQ(decodeShareCode(code).settings.text, "link 链接");
    EXPECT_EQ(nlohmann::json::parse(runGui("", 1280, 800).second)["link"], "");  // no address: no link
}

// Word wrap with Chinese: Latin letters 1 wide, CJK characters and their punctuation 2.
namespace {
std::vector<std::string> wrapped(std::string_view text, float width) {
    const auto advance = [](unsigned c) { return c < 0x80 ? 1.0f : 2.0f; };
    std::vector<std::string> out;
    for (std::string_view line : gui::wrapLines(text, width, advance)) out.emplace_back(line);
    return out;
}
using Lines = std::vector<std::string>;
}  // namespace

TEST(WordWrap, BreaksLatinAtSpaces) {
    EXPECT_EQ(wrapped("hello world foo", 11), (Lines{"hello world", "foo"}));
    EXPECT_EQ(wrapped("hello world foo", 10), (Lines{"hello", "world foo"}));
    EXPECT_EQ(wrapped("abcdefghij", 4), (Lines{"abcd", "efgh", "ij"}));  // a word wider than the line is cut
    EXPECT_EQ(wrapped("a\nb c", 80), (Lines{"a", "b c"}));
    EXPECT_EQ(wrapped("", 10), (Lines{""}));
}

TEST(WordWrap, BreaksChineseBetweenCharactersButNotBeforeClosingPunctuation) {
    // Three characters per line: ImGui's own wrap would keep the run whole.
    EXPECT_EQ(wrapped("我们来看路由器", 6), (Lines{"我们来", "看路由", "器"}));
    // 。 may not start a line, so 好 goes down with it.
    EXPECT_EQ(wrapped("路由器好。", 8), (Lines{"路由器", "好。"}));
    // （ may not end a line, ） may not start one.
    EXPECT_EQ(wrapped("看看（专家）", 6), (Lines{"看看", "（专", "家）"}));
    // Mixed: a space or a CJK boundary are both break points.
    EXPECT_EQ(wrapped("top-k 专家", 7), (Lines{"top-k", "专家"}));
    EXPECT_EQ(wrapped("选 top-k 专家", 9), (Lines{"选 top-k", "专家"}));
}

TEST(AppState, AutoBackendCompilesOnAWorkerAndSwitchesWithTheSameRouting) {
    Settings eigen;
    gui::AppState reference(eigen);
    Settings o;
    o.backend = BackendKind::Auto;
    gui::AppState s(o);
    // Until the kernels are built, Eigen computes what is shown.
    EXPECT_TRUE(s.compilingBackend() || s.backendName() == "opencl");
    if (s.compilingBackend()) {
        EXPECT_EQ(s.backendName(), "eigen");
    }
    ASSERT_EQ(s.result().routing.slotExpert, reference.result().routing.slotExpert);
    s.waitForBackend();
    EXPECT_FALSE(s.compilingBackend());
    if (!s.fallbackReason().empty()) GTEST_SKIP() << "no OpenCL device: " << s.fallbackReason();
    EXPECT_EQ(s.backendName(), "opencl");
    EXPECT_EQ(s.result().routing.slotExpert, reference.result().routing.slotExpert);
    EXPECT_EQ(s.result().routing.slotKept, reference.result().routing.slotKept);
    EXPECT_EQ(s.result().routing.kept, reference.result().routing.kept);
}

TEST(WordWrap, PathsBreakAfterASlash) {
    EXPECT_EQ(wrapped("/work/build/lesson.safetensors", 20), (Lines{"/work/build/", "lesson.safetensors"}));
}

// A recompute slower than a frame moves to a worker: update() returns at once, the
// views keep the last result, and the worker's result is the one computed inline.
TEST(AppState, ASlowRecomputeRunsOnAWorkerAndKeepsTheLastResultMeanwhile) {
    Settings o;
    o.text = std::string(300'000, 'a');
    for (size_t i = 0; i < o.text.size(); i += 7) o.text[i] = char('a' + i % 26);
    gui::AppState s(o);  // the first pass, inline, is measured: far over a frame's 8 ms
    ASSERT_TRUE(s.error().empty()) << s.error();
    ASSERT_GT(s.lastComputeMs(), 8.0) << "this machine computes 300 KB in under a frame; the test needs a slower pass";
    const uint64_t before = s.resultVersion();
    const int keptBefore = s.result().routing.kept[0];
    s.settings().router.capacityFactor = 0.5;
    s.changed(SettingEffect::Route);
    const auto t0 = std::chrono::steady_clock::now();
    s.update();
    const double updateMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_TRUE(s.computing());
    EXPECT_LT(updateMs, s.lastComputeMs() / 2) << "update() waited for the pass";
    EXPECT_EQ(s.resultVersion(), before);  // the last result stays on screen
    EXPECT_EQ(s.result().routing.kept[0], keptBefore);
    s.waitForResult();
    EXPECT_FALSE(s.computing());
    EXPECT_EQ(s.resultVersion(), before + 1);
    // The same numbers as an inline pass with the same settings.
    gui::AppState inlineState(s.settings());
    EXPECT_EQ(s.result().routing.kept, inlineState.result().routing.kept);
    EXPECT_EQ(s.result().routing.capacity, inlineState.result().routing.capacity);
    EXPECT_TRUE(s.result().outputs == inlineState.result().outputs);
}

// Every chapter of the built-in lesson, where a lecturer projects it (1920 x 1080 at 200 %,
// 1280 x 800 fitted), in both languages: the views the chapter frames show all their
// content without scrolling or cutting, and the Try buttons, the question and previous /
// next stay in view.
TEST(Gui, EveryChapterShowsItsFramedViewsWholeAndItsQuestion) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const std::pair<int, int> sizes[] = {{1920, 1080}, {1280, 800}};
    for (const auto& [w, h] : sizes)
        for (const char* lang : {"en", "zh"}) {
            const std::string scale = w == 1920 ? "2" : "fit";
            SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h) + " scale " + scale + " " + lang);
            const auto out = std::filesystem::temp_directory_path() / ("moelab_chapters_" + std::to_string(::getpid()));
            const std::string cmd = "xvfb-run -a -s '-screen 0 " + std::to_string(w) + "x" + std::to_string(h) +
                                    "x24' '" + MOELAB_BIN + "' gui --lesson builtin --frames 2 --width " +
                                    std::to_string(w) + " --height " + std::to_string(h) + " --scale " + scale +
                                    " --lang " + lang + " --screenshot '" + out.string() +
                                    ".png' --layout-report-chapters > '" + out.string() + "' 2>/dev/null";
            const int status = std::system(cmd.c_str());
            ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
            const std::string text = readFile(out.string());
            std::filesystem::remove(out);
            std::filesystem::remove(out.string() + ".png");
            int chapters = 0;
            for (size_t a = 0, b; a < text.size(); a = b + 1) {
                b = text.find('\n', a);
                if (b == std::string::npos) b = text.size();
                if (b == a || text[a] != '{') continue;
                const auto j = nlohmann::json::parse(text.substr(a, b - a));
                ++chapters;
                SCOPED_TRACE("chapter " + std::to_string(j["lesson"]["chapter"].get<int>()));
                EXPECT_TRUE(j["lesson"]["footer_visible"].get<bool>());
                int framed = 0;
                for (const auto& v : j["views"]) {
                    if (!v["framed"].get<bool>()) continue;
                    ++framed;
                    EXPECT_TRUE(v["content_fits"].get<bool>()) << v["name"];
                }
                EXPECT_GE(framed, 1);
            }
            EXPECT_EQ(chapters, 12);
        }
}
