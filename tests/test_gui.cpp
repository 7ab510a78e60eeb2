// The desktop app: its GUI-free state, session files, and a real render under Xvfb.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stb_image.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gui/app_state.hpp"
#include "gui/training_session.hpp"

#include <chrono>
#include <thread>
#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"

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
                            "--screenshot '" + png + "' --frame-report > '" + report + "' 2>/dev/null";
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
