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
#include "cli/session.hpp"
#include "errors.hpp"

using namespace moe;

TEST(Session, RoundTripKeepsEverySetting) {
    cli::ModelOptions o;
    o.text = "会话 session \xFF";
    o.shape.experts = 6, o.shape.sharedExperts = 1, o.shape.activation = Activation::SwiGlu;
    o.seed = 9;
    o.router.k = 3, o.router.temperature = 0.5f, o.router.capacityFactor = 2, o.router.overflow = Overflow::Reroute;
    o.router.dropPriority = DropPriority::Score, o.router.groups = 3, o.router.topkGroups = 2;
    o.router.expertBias = {0, 0.5f, 0, 0, 0, -0.25f};
    o.backend = "opencl";
    const cli::ModelOptions r = cli::parseSession(cli::sessionJson(o), "s.json");
    EXPECT_EQ(r.text, "会话 session \xEF\xBF\xBD");  // invalid UTF-8 is stored as U+FFFD
    EXPECT_EQ(r.shape.experts, 6);
    EXPECT_EQ(r.shape.activation, Activation::SwiGlu);
    EXPECT_EQ(r.seed, 9u);
    EXPECT_EQ(r.router.k, 3);
    EXPECT_EQ(r.router.temperature, 0.5f);
    EXPECT_EQ(r.router.overflow, Overflow::Reroute);
    EXPECT_EQ(r.router.dropPriority, DropPriority::Score);
    EXPECT_EQ(r.router.topkGroups, 2);
    EXPECT_EQ(r.router.expertBias, o.router.expertBias);
    EXPECT_EQ(r.backend, "opencl");
}

TEST(Session, BadFilesAreRefusedByName) {
    EXPECT_THROW(cli::parseSession("{not json", "x.json"), InputError);
    EXPECT_THROW(cli::parseSession(R"({"k": "two"})", "x.json"), InputError);
    EXPECT_THROW(cli::parseSession(R"({"k": 9, "experts": 4})", "x.json"), InputError);
    EXPECT_THROW(cli::parseSession(R"({"overflow": "keep"})", "x.json"), InputError);
}

TEST(AppState, MatchesTheCommandLineNumbers) {
    cli::ModelOptions o;
    gui::AppState s(o);
    ASSERT_TRUE(s.error().empty()) << s.error();
    // The default sentence, as `moelab route` computes it (same engine, same seed).
    EXPECT_EQ(s.result().routing.tokens, 27);
    EXPECT_EQ(s.result().routing.capacity, 9);  // ceil(2*27/8*1.25)
    EXPECT_EQ(s.tokens()[3].text, "是");
}

TEST(AppState, ErrorsKeepTheLastResult) {
    cli::ModelOptions o;
    gui::AppState s(o);
    const double aux = s.result().metrics.auxLoss;
    s.loadWeights("/nonexistent/weights.safetensors");
    EXPECT_NE(s.error().find("/nonexistent/weights.safetensors"), std::string::npos);
    EXPECT_FALSE(s.weightsFromFile());
    EXPECT_EQ(s.result().metrics.auxLoss, aux);
    // k above E is clamped, not an error; an empty text gives zero tokens.
    s.options().router.k = 50;
    s.options().text.clear();
    s.settingsChanged();
    s.update();
    EXPECT_TRUE(s.error().empty()) << s.error();
    EXPECT_EQ(s.options().router.k, 8);
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
    s.reset(c, readFile(MOELAB_ASSETS_DIR "/corpus/lesson.txt"));
    for (int i = 0; i < 3; ++i) s.stepOnce();
    for (int wait = 0; wait < 500 && s.snapshot().step < 3; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const gui::TrainingSnapshot snap = s.snapshot();
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
    EXPECT_FALSE(s.snapshot().error.empty());
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
