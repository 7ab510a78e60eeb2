// The app with a router trace open (issue 26): every layer replayed under the routing
// settings, the chosen one shown; a choices-only trace says what needs scores; a file
// that does not open changes nothing; the app under Xvfb with --trace.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "gui/app_state.hpp"
#include "test_support.hpp"
#include "trace.hpp"

using namespace moe;

namespace {

// Four byte tokens "abcd" over 3 experts, top-1, two layers. Layer 0's logits send token
// t to expert t mod 3 (0, 1, 2, 0); layer 1's send every token to expert 0.
RouterTrace handTrace(bool withLogits) {
    RouterTrace t;
    t.model = "hand";
    t.numExperts = 3;
    t.topK = 1;
    t.tokens = {'a', 'b', 'c', 'd'};
    for (int id : t.tokens) t.tokenText.push_back(byteTokenText(uint8_t(id)));
    Mat spread = Mat::Zero(4, 3);
    for (int r = 0; r < 4; ++r) spread(r, r % 3) = 2;
    Mat collapsed = Mat::Zero(4, 3);
    collapsed.col(0).setConstant(3);
    if (withLogits) {
        t.logits = {spread, collapsed};
    } else {
        t.topkIds = {{0, 1, 2, 0}, {0, 0, 0, 0}};
    }
    return t;
}

std::string savedTrace(const RouterTrace& t, const std::string& name) {
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    saveTrace(t, path);
    return path;
}

std::unique_ptr<gui::AppState> traceState(const std::string& path) {
    Settings s;
    s.text = "one layer";
    auto state = std::make_unique<gui::AppState>(s);
    state->computeInline(true);
    EXPECT_EQ(state->useTrace(path), "");
    return state;
}

void setCapacity(gui::AppState& state, double factor) {
    state.settings().router.capacityFactor = factor;
    state.changed(SettingEffect::Route);
    state.update();
    ASSERT_TRUE(state.error().empty()) << state.error();
}

}  // namespace

TEST(AppStateTrace, ReplaysEveryLayerAndShowsTheChosenOne) {
    auto owned = traceState(savedTrace(handTrace(true), "moelab_gui_trace_logits.safetensors"));
    gui::AppState& state = *owned;
    ASSERT_TRUE(state.error().empty()) << state.error();
    EXPECT_EQ(state.layerCount(), 2);
    EXPECT_EQ(state.lm(), nullptr);
    EXPECT_EQ(state.settings().text, "abcd");  // a byte-level trace shows its text
    EXPECT_EQ(state.tokens().size(), 4u);
    EXPECT_EQ(state.settings().shape.experts, 3);
    EXPECT_EQ(state.settings().router.k, 1);
    EXPECT_EQ(state.settings().router.capacityFactor, 0.0);  // as recorded: dropless
    EXPECT_EQ(state.result().routing.slotExpert, (std::vector<int>{0, 1, 2, 0}));
    state.setLayer(1);
    EXPECT_EQ(state.result().routing.slotExpert, (std::vector<int>{0, 0, 0, 0}));
    // Capacity factor 1: ceil(k*T/E * 1) = ceil(4/3) = 2 slots an expert. Layer 0's expert
    // 0 gets 2 tokens (nothing dropped); layer 1's gets all 4 and drops 2 of them.
    setCapacity(state, 1.0);
    EXPECT_DOUBLE_EQ(state.lmRun()->layers[0].metrics.dropRate, 0.0);
    EXPECT_DOUBLE_EQ(state.result().metrics.dropRate, 0.5);
    EXPECT_EQ(state.layer(), 1);
    EXPECT_TRUE(state.traceIgnores().empty());  // logits: every setting applies
    // The capacity sweep (factors 1, 1.25, 1.5, 1.75, 2) with the trace's own top-1 choices:
    // capacity ceil(4/3 * c) = 2, 2, 2, 3, 3. Layer 0's busiest expert has 2 tokens: nothing
    // dropped; layer 1's has all 4: 2 dropped, then 1.
    const auto& sweeps = state.capacitySweeps();
    ASSERT_EQ(sweeps.size(), 2u);
    const double layer1[] = {0.5, 0.5, 0.5, 0.25, 0.25};
    for (int i = 0; i < 5; ++i) {
        EXPECT_DOUBLE_EQ(sweeps[0][i].dropRate, 0.0);
        EXPECT_DOUBLE_EQ(sweeps[1][i].dropRate, layer1[i]) << sweeps[1][i].capacityFactor;
    }
}

TEST(AppStateTrace, AChoicesOnlyTraceKeepsCapacityAndNamesWhatNeedsScores) {
    auto owned = traceState(savedTrace(handTrace(false), "moelab_gui_trace_ids.safetensors"));
    gui::AppState& state = *owned;
    ASSERT_TRUE(state.error().empty()) << state.error();
    EXPECT_TRUE(state.traceIgnores().empty());  // its own rule needs nothing it lacks
    state.setLayer(1);
    setCapacity(state, 1.0);
    EXPECT_DOUBLE_EQ(state.result().metrics.dropRate, 0.5);  // as with the logits above
    state.settings().router.temperature = 0.5f;
    state.changed(SettingEffect::Route);
    state.update();
    const std::vector<std::string> ignored = state.traceIgnores();
    EXPECT_NE(std::find(ignored.begin(), ignored.end(), "--temperature"), ignored.end());
    EXPECT_DOUBLE_EQ(state.result().metrics.dropRate, 0.5);  // the rest still applies
}

TEST(AppStateTrace, AFileThatDoesNotOpenChangesNothingAndLeavingRestores) {
    const std::string good = savedTrace(handTrace(true), "moelab_gui_trace_good.safetensors");
    const std::string bytes = readFile(good);
    const std::string cut = (std::filesystem::temp_directory_path() / "moelab_gui_trace_cut.safetensors").string();
    writeFileAtomic(cut, bytes.substr(0, bytes.size() / 2));
    Settings s;
    s.text = "one layer";
    gui::AppState state(s);
    state.computeInline(true);
    const int experts = state.settings().shape.experts;
    const std::string e = state.useTrace(cut);
    EXPECT_NE(e.find(cut), std::string::npos) << e;  // the message names the file
    EXPECT_EQ(state.layerCount(), 0);
    EXPECT_EQ(state.settings().shape.experts, experts);
    ASSERT_EQ(state.useTrace(good), "");
    EXPECT_EQ(state.settings().shape.experts, 3);
    state.leaveTrace();
    EXPECT_EQ(state.layerCount(), 0);
    EXPECT_EQ(state.settings().text, "one layer");
    EXPECT_EQ(state.settings().shape.experts, experts);
}

using moe::test::haveXvfb;
const auto runTraceApp = moe::test::runAppLayoutReport;

// Every layer's row in view in both languages and at 200 %; the layer asked for shown.
TEST(GuiTrace, OpensWithEveryLayerInView) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const std::string path = savedTrace(handTrace(true), "moelab_gui_trace_app.safetensors");
    for (const std::string extra : {"", " --scale 2 --lang zh"}) {
        const auto [status, report] = runTraceApp("--trace " + path + " --layer 1 --capacity-factor 1" + extra);
        ASSERT_EQ(status, 0) << extra;
        ASSERT_TRUE(report["trace"].is_object()) << report.dump();
        EXPECT_TRUE(report["lm"].is_null());
        EXPECT_EQ(report["trace"]["layer"], 1);
        EXPECT_EQ(report["trace"]["layers"], 2);
        EXPECT_DOUBLE_EQ(report["trace"]["drop_rate"].get<double>(), 0.5);  // the flag replays it (as above)
        EXPECT_EQ(report["measured"]["layer_rows_in_view"], 2.0) << extra;
    }
    // With the Layers view given the height (no gate scores, no load), the charts show,
    // the capacity sweep's with a line per layer.
    const auto [tall, charts] = runTraceApp("--trace " + path + " --hide heatmap,load");
    ASSERT_EQ(tall, 0);
    EXPECT_EQ(charts["measured"]["capacity_sweep_layers"], 2.0);
    const auto [bad, none] = runTraceApp("--trace /nonexistent/trace.safetensors");
    EXPECT_EQ(bad, 0);  // said on stderr; the app carries on with one layer
    EXPECT_TRUE(none["trace"].is_null());
    const auto [both, refused] = runTraceApp("--trace " + path + " --model tiny-lm");
    EXPECT_EQ(both, 2);
}

// ASTRA-sim's log of a run (issue 27): its step time beside moelab's on the GPUs page.
// Two GPUs finishing at 5,000 and 7,000 cycles (ns): the step is the later, 7 µs.
TEST(GuiAstra, TheGpusPageShowsTheLogsTime) {
    if (!haveXvfb()) GTEST_SKIP() << "skipped: xvfb-run not installed";
    const std::string log = (std::filesystem::temp_directory_path() / "moelab_gui_astra.log").string();
    writeFileAtomic(log,
                    "sys[1] finished, 7000 cycles, exposed communication 10 cycles.\n"
                    "sys[0] finished, 5000 cycles, exposed communication 10 cycles.\n");
    const auto [status, report] = runTraceApp("--page parallel --gpus 2 --astra-log " + log);
    ASSERT_EQ(status, 0);
    EXPECT_DOUBLE_EQ(report["measured"]["astra_total_us"].get<double>(), 7.0);
    const auto [other, otherGpus] = runTraceApp("--page parallel --gpus 4 --astra-log " + log);
    EXPECT_EQ(other, 0);  // refused (it has 2 GPUs' lines): said on stderr, the page shows moelab's times
    EXPECT_FALSE(otherGpus["measured"].contains("astra_total_us"));
}
