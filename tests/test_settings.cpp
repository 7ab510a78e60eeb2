// The settings schema: every setting round-trips through command-line flags, the route
// JSON's config and session files; sessions are versioned and report what they do not
// know; bad values name their flag or key.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "safetensors.hpp"
#include "settings_schema.hpp"
#include "share_code.hpp"
#include "test_support.hpp"

namespace {

using namespace moe;
using json = nlohmann::json;

std::string tempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("moelab_settings_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

// Two set-ups that together give every setting a value other than its default.
// (Route groups need contiguous placement, so placement differs in the second.)
std::vector<Settings> unusualSettings(const std::string& textFile, const std::string& weightsFile) {
    Settings a;
    a.text = "往返 round trip";
    a.textFile = textFile;
    a.shape = {.experts = 6, .dim = 12, .hidden = 20, .sharedExperts = 1, .activation = Activation::Gelu};
    a.seed = 7;
    a.weightsPath = weightsFile;
    RouterConfig& r = a.router;
    r.k = 3;
    r.score = ScoreFn::Sigmoid;
    r.temperature = 0.5f;
    r.renormalize = false;
    r.mode = RoutingMode::ExpertChoice;
    r.capacityFactor = 2;
    r.minCapacity = 3;
    r.overflow = Overflow::Reroute;
    r.dropPriority = DropPriority::Score;
    r.noisyTopk = true;
    r.jitter = 0.125f;
    r.noiseSeed = 11;
    r.groups = 3;
    r.topkGroups = 2;
    r.groupScore = GroupScore::Top2Sum;
    r.expertBias = {0, 0.5f, 0, 0, -0.25f, 1};
    ClusterConfig& c = a.cluster;
    c.gpus = 3;
    c.gpusPerNode = 2;
    c.replicateHot = 2;
    c.simHidden = 1024;
    c.simFfnHidden = 3000;
    c.dtype = SimDtype::Fp8;
    c.intraBwGBps = 300;
    c.interBwGBps = 25;
    c.intraLatencyUs = 3;
    c.interLatencyUs = 7;
    c.gpuTflops = 200;
    c.dedupPerGpu = true;
    a.routeGroups = RouteGroups::Gpus;
    a.backend = BackendKind::Auto;
    a.device = "no-such-device";
    Settings b = a;
    b.routeGroups = RouteGroups::Off;
    b.cluster.placement = Placement::LoadAware;
    Settings t = b;  // the token-choice systems: GShard random routing, Tutel dynamic capacity, Megatron padding
    t.router.mode = RoutingMode::TokenChoice;
    t.router.k = 2;
    t.router.capacityFactor = -1.5f;
    t.router.randomRouting = true;
    t.router.padToCapacity = true;
    t.router.level = RouteLevel::Sentence;
    t.router.dropPriority = DropPriority::Random;
    t.cluster.allToAll = AllToAll::Hierarchical;
    Settings g = t;  // GShard's group-local capacity needs a fixed capacity
    g.router.capacityFactor = 1.5f;
    g.router.capacityGroups = 3;
    return {a, b, t, g};
}

// Shape flags that make a weights file of the same shape as unusualSettings.
std::vector<std::string> shapeFlags() {
    return {"--experts",        "6", "--dim",        "12",   "--hidden", "20",
            "--shared-experts", "1", "--activation", "gelu", "--seed",   "7"};
}

using CommandRun = test::RunResult;
using test::runMoelab;

class EverySetting : public ::testing::Test {
protected:
    void SetUp() override {
        textFile = tempPath("text.txt");
        weightsFile = tempPath("w.safetensors");
        writeFileAtomic(textFile, "往返 round trip");
        std::vector<std::string> args = {"export-weights", "--out", weightsFile};
        for (const auto& f : shapeFlags()) args.push_back(f);
        ASSERT_EQ(runMoelab(args).code, 0);
        cases = unusualSettings(textFile, weightsFile);
    }
    void TearDown() override {
        std::filesystem::remove(textFile);
        std::filesystem::remove(weightsFile);
    }
    std::string textFile, weightsFile;
    std::vector<Settings> cases;
};

TEST_F(EverySetting, TheTestSetsEverySettingAwayFromItsDefault) {
    // A new setting must be added to unusualSettings(), or this fails.
    const Settings defaults;
    for (const SettingSpec& spec : settingSpecs()) {
        bool differs = false;
        for (const Settings& s : cases) differs |= !sameValue(spec, s, defaults);
        EXPECT_TRUE(differs) << spec.key << " keeps its default in every case: give it another value";
    }
}

TEST_F(EverySetting, RoundTripsThroughFlags) {
    for (const Settings& want : cases) {
        std::vector<std::string> argv;
        for (const SettingSpec& spec : settingSpecs()) {
            if (spec.key == "text") continue;  // comes from --text-file
            argv.push_back("--" + std::string(spec.flag));
            argv.push_back(settingText(spec, want));
        }
        const Settings got = settingsFromFlags(Args(argv, settingFlags(), {}));
        for (const SettingSpec& spec : settingSpecs())
            EXPECT_EQ(settingValue(spec, got), settingValue(spec, want)) << "--" << spec.flag;
    }
}

TEST_F(EverySetting, AppearsInRouteJsonConfig) {
    for (const Settings& want : cases) {
        std::vector<std::string> argv = {"route", "--json"};
        for (const SettingSpec& spec : settingSpecs()) {
            if (spec.key == "text") continue;
            argv.push_back("--" + std::string(spec.flag));
            argv.push_back(settingText(spec, want));
        }
        const CommandRun r = runMoelab(argv);
        ASSERT_EQ(r.code, 0) << r.err;
        const json config = json::parse(r.out)["config"];
        for (const SettingSpec& spec : settingSpecs()) {
            const std::string key(spec.key);
            ASSERT_TRUE(config.contains(key)) << key << " missing from route --json's config";
            if (key == "backend" || key == "device" || key == "text") continue;  // what ran; text is null from a file
            EXPECT_EQ(config[key], settingValue(spec, want)) << key;
        }
        EXPECT_TRUE(config["text"].is_null());  // the text came from text_file
    }
}

TEST_F(EverySetting, RoundTripsThroughSessionFiles) {
    for (const Settings& want : cases) {
        const LoadedSession got = parseSession(sessionJson(want), "s.json");
        EXPECT_TRUE(got.unknownKeys.empty());
        for (const SettingSpec& spec : settingSpecs())
            EXPECT_EQ(settingValue(spec, got.settings), settingValue(spec, want)) << spec.key;
    }
}

TEST(Settings, HelpListsEveryFlag) {
    const std::string help = settingsHelp();
    for (const SettingSpec& spec : settingSpecs())
        EXPECT_NE(help.find("--" + std::string(spec.flag) + " "), std::string::npos) << spec.flag;
    const std::set<std::string> flags = settingFlags();
    for (const SettingSpec& spec : settingSpecs()) EXPECT_TRUE(flags.count(std::string(spec.flag))) << spec.flag;
}

TEST(Settings, EveryEntryIsComplete) {
    std::set<std::string_view> keys, flags;
    for (const SettingSpec& spec : settingSpecs()) {
        EXPECT_TRUE(keys.insert(spec.key).second) << "key twice: " << spec.key;
        EXPECT_TRUE(flags.insert(spec.flag).second) << "flag twice: " << spec.flag;
        EXPECT_TRUE(spec.help && *spec.help && spec.helpZh && *spec.helpZh && spec.label && *spec.label) << spec.key;
        if (spec.kind == SettingKind::Int || spec.kind == SettingKind::Float) {
            EXPECT_TRUE(spec.range) << spec.key;
        }
        if (spec.kind == SettingKind::Choice) {
            EXPECT_FALSE(spec.choices.empty()) << spec.key;
        }
    }
}

TEST(Settings, DefaultsAreValid) { EXPECT_EQ(settingsProblem(Settings{}), ""); }

TEST(Settings, DerivedDefaultsFollowTheirSource) {
    // hidden = 4·dim and noise seed = seed unless given.
    Settings s = settingsFromFlags(Args({"--dim", "10", "--seed", "4"}, settingFlags(), {}));
    EXPECT_EQ(s.shape.hidden, 40);
    EXPECT_EQ(s.router.noiseSeed, 4u);
    s = settingsFromFlags(Args({"--dim", "10", "--hidden", "7"}, settingFlags(), {}));
    EXPECT_EQ(s.shape.hidden, 7);
    // In the app: dragging D moves H while H follows it, and not once H was set apart.
    const SettingSpec& dim = *findSetting("dim");
    Settings a;
    Settings before = a;
    a.shape.dim = 16;
    settingChanged(dim, before, a);
    EXPECT_EQ(a.shape.hidden, 64);
    a.shape.hidden = 50;
    before = a;
    a.shape.dim = 8;
    settingChanged(dim, before, a);
    EXPECT_EQ(a.shape.hidden, 50);
}

TEST(Settings, RangesFollowOtherSettings) {
    Settings s;
    s.shape.experts = 4;
    s.router.k = 5;
    EXPECT_INPUT_ERROR(validateSettings(s), "--k");
    EXPECT_INPUT_ERROR(validateSettings(s, keyNamer("lesson.json")), "lesson.json: k");
    clampSettings(s);
    EXPECT_EQ(s.router.k, 4);
    s.router.groups = 3;  // does not divide 4: repaired to ungrouped
    clampSettings(s);
    EXPECT_EQ(s.router.groups, 1);
    EXPECT_EQ(settingsProblem(s), "");
}

TEST(Settings, BadFlagValuesNameTheFlag) {
    const auto parse = [](std::vector<std::string> argv) { settingsFromFlags(Args(argv, settingFlags(), {})); };
    EXPECT_INPUT_ERROR(parse({"--k", "two"}), "--k");
    EXPECT_INPUT_ERROR(parse({"--temperature", "inf"}), "--temperature");
    EXPECT_INPUT_ERROR(parse({"--score", "tanh"}), "--score");
    EXPECT_INPUT_ERROR(parse({"--renormalize", "maybe"}), "--renormalize");
    EXPECT_INPUT_ERROR(parse({"--expert-bias", "1,x"}), "--expert-bias");
    EXPECT_INPUT_ERROR(parse({"--seed", "-1"}), "--seed");
    EXPECT_INPUT_ERROR(parse({"--experts", "99999999999"}), "--experts");
    EXPECT_INPUT_ERROR(parse({"--route-groups", "gpus", "--gpus", "3"}), "--route-groups");
}

TEST(Session, SixteenGpusAndLoadAwarePlacementComeBack) {
    Settings s;
    s.shape.experts = 16;
    s.cluster.gpus = 16;
    s.cluster.placement = Placement::LoadAware;
    s.cluster.replicateHot = 3;
    s.textFile = "essay.txt";
    const LoadedSession back = parseSession(sessionJson(s), "s.json");
    EXPECT_EQ(back.settings.cluster.gpus, 16);
    EXPECT_EQ(back.settings.cluster.placement, Placement::LoadAware);
    EXPECT_EQ(back.settings.cluster.replicateHot, 3);
    EXPECT_EQ(back.settings.textFile, "essay.txt");
}

TEST(Session, CarriesItsFormatAndVersion) {
    const json j = json::parse(sessionJson(Settings{}));
    EXPECT_EQ(j["format"], "moelab-session");
    EXPECT_EQ(j["version"], kSessionVersion);
    // Version 1 files (format "moelab-session-1", no version) still load.
    EXPECT_EQ(parseSession(R"({"format": "moelab-session-1", "k": 3})", "old.json").settings.router.k, 3);
    EXPECT_INPUT_ERROR(parseSession(R"({"format": "moelab-session", "version": 99})", "new.json"), "new.json");
    EXPECT_INPUT_ERROR(parseSession(R"({"format": "something-else"})", "x.json"), "x.json");
}

TEST(Session, UnknownKeysAreReportedNotApplied) {
    const LoadedSession s = parseSession(R"({"k": 1, "kk": 3, "colour": "red"})", "s.json");
    EXPECT_EQ(s.settings.router.k, 1);
    EXPECT_EQ(s.unknownKeys, (std::vector<std::string>{"colour", "kk"}));
}

TEST(Session, BadValuesNameTheKey) {
    EXPECT_INPUT_ERROR(parseSession("{not json", "x.json"), "x.json");
    EXPECT_INPUT_ERROR(parseSession(R"({"k": "two"})", "x.json"), "x.json: k");
    EXPECT_INPUT_ERROR(parseSession(R"({"k": 2.5})", "x.json"), "x.json: k");
    EXPECT_INPUT_ERROR(parseSession(R"({"k": 9, "experts": 4})", "x.json"), "x.json: k");
    EXPECT_INPUT_ERROR(parseSession(R"({"overflow": "keep"})", "x.json"), "x.json: overflow");
    EXPECT_INPUT_ERROR(parseSession(R"({"temperature": -1})", "x.json"), "x.json: temperature");
    EXPECT_INPUT_ERROR(parseSession(R"({"gpus": 3, "route_groups": "gpus"})", "x.json"), "x.json: route_groups");
}

}  // namespace

namespace {
// A session and a code made with the language model shown carry it and the layer; one
// without names none.
TEST(Session, CarriesTheLanguageModelAndItsLayer) {
    Settings s;
    s.router.capacityFactor = 1;
    const LoadedSession back = parseSession(sessionJson(s, "tiny-lm", 3), "s.json");
    EXPECT_EQ(back.model, "tiny-lm");
    EXPECT_EQ(back.layer, 3);
    EXPECT_TRUE(back.unknownKeys.empty());
    EXPECT_EQ(back.settings.router.capacityFactor, 1.0f);
    EXPECT_EQ(parseSession(sessionJson(s), "s.json").model, "");
    EXPECT_INPUT_ERROR(parseSession(R"({"model": 5})", "x.json"), "x.json: model");
    EXPECT_INPUT_ERROR(parseSession(R"({"model": "tiny-lm", "layer": 1001})", "x.json"), "x.json: layer");
    EXPECT_INPUT_ERROR(parseSession(R"({"model": "tiny-lm", "layer": -1})", "x.json"), "x.json: layer");
    SharedState code;
    code.model = "tiny-lm";
    code.layer = 2;
    const SharedState decoded = decodeShareCode(encodeShareCode(code));
    EXPECT_EQ(decoded.model, "tiny-lm");
    EXPECT_EQ(decoded.layer, 2);
    EXPECT_EQ(decodeShareCode(encodeShareCode(SharedState{})).model, "");
}

TEST(Settings, TheContractNamesEveryFlagAndKey) {
    // docs/contract.md is the outside world's copy: a setting it lacks is a setting
    // scripts cannot know about.
    const std::string contract = readFile(std::string(MOELAB_SOURCE_DIR) + "/docs/contract.md");
    for (const SettingSpec& spec : settingSpecs())
        EXPECT_NE(contract.find("`--" + std::string(spec.flag)), std::string::npos) << "--" << spec.flag;
}
}  // namespace

namespace {

TEST_F(EverySetting, RoundTripsThroughLessonCodes) {
    for (const Settings& want : cases) {
        SharedState s;
        s.settings = want;
        s.page = "parallel";
        s.lesson = "builtin";
        s.chapter = 3;
        s.pinnedToken = 5;
        s.maximized = "heatmap";
        s.hidden = {"controls", "temperature"};
        s.compareA = Settings{};
        s.compareA->router.k = 1;
        const std::string code = encodeShareCode(s);
        EXPECT_EQ(code.find_first_of(" \n\t"), std::string::npos) << "one line";
        const SharedState got = decodeShareCode(code);
        for (const SettingSpec& spec : settingSpecs())
            EXPECT_EQ(settingValue(spec, got.settings), settingValue(spec, want)) << spec.key;
        EXPECT_EQ(got.page, "parallel");
        EXPECT_EQ(got.lesson, "builtin");
        EXPECT_EQ(got.chapter, 3);
        EXPECT_EQ(got.pinnedToken, 5);
        EXPECT_EQ(got.maximized, "heatmap");
        EXPECT_EQ(got.hidden, s.hidden);
        ASSERT_TRUE(got.compareA.has_value());
        EXPECT_EQ(got.compareA->router.k, 1);
    }
}

TEST(LessonCode, DefaultsMakeAShortCodeAndTheShippedModelTravels) {
    SharedState s;
    useShippedModel(s.settings);
    const std::string code = encodeShareCode(s);
    EXPECT_LT(code.size(), 60u) << code;
    EXPECT_EQ(decodeShareCode(code).settings.weightsPath, s.settings.weightsPath);
}

TEST(LessonCode, DamagedCodesAreClearErrors) {
    SharedState s;
    s.settings.text = "一句很长的句子 with some English in it, to make the code long enough to cut.";
    s.settings.router.k = 3;
    const std::string code = encodeShareCode(s);
    EXPECT_INPUT_ERROR(decodeShareCode(code.substr(0, code.size() / 2)), "--code");  // cut off
    EXPECT_INPUT_ERROR(decodeShareCode(code.substr(0, code.size() - 3)), "--code");  // checksum cut
    std::string altered = code;
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    EXPECT_INPUT_ERROR(decodeShareCode(altered), "--code");
    EXPECT_INPUT_ERROR(decodeShareCode("moe9-AAAA-00000000"), "--code");  // another version
    EXPECT_INPUT_ERROR(decodeShareCode("hello"), "--code");
    // Spaces and line breaks from pasting are ignored.
    EXPECT_EQ(decodeShareCode(code.substr(0, 12) + "\n " + code.substr(12)).settings.router.k, 3);
}

}  // namespace
