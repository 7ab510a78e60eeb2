// What a fuzzing pass found, kept: each seed under tests/fuzz/corpus/ (written by
// tests/fuzz/make_corpus.py) and each odd file (a FIFO, /dev/zero, a directory, /dev/full)
// is refused quickly with an InputError (exit code 2) naming what is wrong, never a crash,
// a hang, gigabytes of memory or a wrong number.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "errors.hpp"
#include "input_limits.hpp"
#include "layer.hpp"
#include "lm/lm_forward.hpp"
#include "lm/lm_model.hpp"
#include "lesson.hpp"
#include "route_stream.hpp"
#include "safetensors.hpp"
#include "settings_schema.hpp"
#include "share_code.hpp"
#include "test_support.hpp"

namespace {

using namespace moe;

std::string seed(const std::string& target, const std::string& name) {
    return std::string(MOELAB_SOURCE_DIR) + "/tests/fuzz/corpus/" + target + "/" + name;
}

using test::inputErrorText;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

// A temporary directory, removed at the end of the test.
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("moelab_robust_" + std::to_string(::getpid()) + "_" +
                                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// The command line under `timeout`: a hang fails in seconds rather than at ctest's limit.
test::RunResult runBounded(const std::vector<std::string>& args) {
    test::RunOptions o;
    o.wrapper = "timeout 60";
    return test::runMoelab(args, o);
}

// ---- lesson codes ----

TEST(Robustness, ACodeNestedDeeplyIsRefusedNotACrash) {
    const std::string text = inputErrorText([] { decodeShareCode(readFile(seed("share_code", "deep_nesting.txt"))); });
    EXPECT_CONTAINS(text, "--code: nests arrays or objects deeper than 64 levels");
}

TEST(Robustness, ACodeAsksForNoMoreThanAStudentsMachineHolds) {
    // dim 4097: hidden 4·4097, 8 experts: 8·2·4097·16388 floats, 4.3 GB (70 s to build).
    EXPECT_INPUT_ERROR(decodeShareCode(readFile(seed("share_code", "huge_dim.txt"))), "--code: dim");
    EXPECT_INPUT_ERROR(decodeShareCode(readFile(seed("share_code", "big_text.txt"))), "--code: text");
    EXPECT_CONTAINS(inputErrorText([] { decodeShareCode(readFile(seed("share_code", "unpacks_huge.txt"))); }),
                    "unpacks to more than 8 MiB");
    EXPECT_CONTAINS(inputErrorText([] { decodeShareCode(std::string((4 << 20) + 1, 'A')); }), "characters long");
    // 256 MiB holds 64 Mi floats (67,108,864). 8 experts of dim D, hidden 4·D: 256·D for
    // the embedding, and per expert 2·D router weights, 2 biases and 2·D·4D + 4D + D in
    // its FFN. D = 1020: 66,903,856 floats fit; D = 1024: 67,428,368 do not.
    ModelShape shape;
    shape.dim = 1024;
    shape.hidden = 4096;
    EXPECT_EQ(weightBytes(shape), 4u * 67'428'368);
    SharedState s;
    s.settings.shape.dim = 1020;
    s.settings.shape.hidden = 4080;
    EXPECT_NO_THROW(decodeShareCode(encodeShareCode(s)));
    s.settings.shape.dim = 1024;
    s.settings.shape.hidden = 4096;
    EXPECT_INPUT_ERROR(decodeShareCode(encodeShareCode(s)), "--code: dim");
    s.settings.shape.dim = 32;
    s.settings.shape.hidden = 128;
    s.settings.shape.experts = 4096;
    s.settings.shape.sharedExperts = 64;  // 4160 FFNs of 8352 floats: 140 MB, fits
    EXPECT_NO_THROW(decodeShareCode(encodeShareCode(s)));
    // `moelab code` makes no code its students' moelab would refuse.
    const test::RunResult code = runBounded({"code", "--dim", "1024"});
    EXPECT_EQ(code.code, 2);
    EXPECT_CONTAINS(code.err, "moelab: dim: a model of 8 experts, dim 1024 and hidden 4096 holds 257.2 MiB");
    EXPECT_EQ(runBounded({"code", "--dim", "1020"}).code, 0);
}

// Core knows no page: the app's names decide (view_registry), and `moelab code` hands out
// no code the app would refuse.
TEST(Robustness, ACodesUnknownPageIsBlamedOnTheCode) {
    const std::string code = readFile(seed("share_code", "bad_page.txt"));
    const LessonNames app{{"routing_table"}, {"routing", "journey"}};
    EXPECT_EQ(inputErrorText([&] { decodeShareCode(code, app); }),
              "--code: names the page 'nosuch', which is not routing|journey");
    EXPECT_EQ(decodeShareCode(code).page, "nosuch");  // a reader that shows no page
    const test::RunResult bad = runBounded({"code", "--page", "nosuch"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_CONTAINS(bad.err, "--page: names the page 'nosuch', which is not routing|");
    EXPECT_EQ(runBounded({"code", "--page", "journey"}).code, 0);
}

// ---- sessions ----

TEST(Robustness, SessionSeedsAreRefusedNamingTheFileAndKey) {
    const auto parse = [](const std::string& name) {
        return [name] { parseSession(readFile(seed("session", name)), name); };
    };
    EXPECT_CONTAINS(inputErrorText(parse("format_number.json")),
                    "format_number.json: format 7 is not a moelab session");
    EXPECT_CONTAINS(inputErrorText(parse("deep_nesting.json")), "deep_nesting.json: nests arrays or objects deeper");
    EXPECT_INPUT_ERROR(parse("huge_dim.json")(), "huge_dim.json: dim");
    // 1e308 is no float: reported as given, not as the inf it would have become.
    const std::string overflow = inputErrorText(parse("float_overflow.json"));
    EXPECT_CONTAINS(overflow, "float_overflow.json: temperature: must be in 0..1e+06 (0 = argmax) (got 1e+308)");
    EXPECT_EQ(overflow.find("inf"), std::string::npos) << overflow;
}

TEST(Robustness, CommandLineNumbersBeyondFloatAreReportedAsGiven) {
    const test::RunResult r = runBounded({"route", "--temperature", "1e308"});
    EXPECT_EQ(r.code, 2);
    EXPECT_CONTAINS(r.err, "--temperature: must be a number in 0..1e+06 (0 = argmax) (got '1e308')");
    const test::RunResult bias = runBounded({"route", "--expert-bias", "0,0,0,0,0,0,0,-1e39"});
    EXPECT_EQ(bias.code, 2);
    EXPECT_CONTAINS(bias.err, "--expert-bias: must be numbers separated by commas (got '-1e39')");
}

// ---- safetensors ----

TEST(Robustness, WeightsBeyondFloatArithmeticAreRefusedNamingTheTensor) {
    EXPECT_CONTAINS(inputErrorText([] { loadWeights(seed("safetensors", "huge_value.safetensors")); }),
                    "experts.1.ffn.0.weight: element 3 is 3e+38, beyond the magnitude 1e6");
    const test::RunResult r = runBounded({"route", "--weights", seed("safetensors", "huge_value.safetensors")});
    EXPECT_EQ(r.code, 2);
    EXPECT_CONTAINS(r.err, "experts.1.ffn.0.weight");
}

TEST(Robustness, AShapeWhoseSizeOverflowsIsRefused) {
    // [2^32, 2^32] has 2^64 elements: int64 arithmetic wrapped it to 0, which matched 0 data bytes.
    const std::string text = inputErrorText([] {
        SafetensorsFile f(readFile(seed("safetensors", "shape_overflow.safetensors")), "shape_overflow.safetensors");
    });
    EXPECT_CONTAINS(text, "embed.weight: bad shape [4294967296, 4294967296]");
    // Too big for any integer, JSON reads it as a float: converting that was undefined behaviour.
    EXPECT_CONTAINS(inputErrorText([] { loadWeights(seed("safetensors", "shape_float.safetensors")); }),
                    "embed.weight: shape holds 4.294967298888889e+42, not an integer in range");
    EXPECT_CONTAINS(inputErrorText([] { loadWeights(seed("safetensors", "deep_header.safetensors")); }),
                    "deep_header.safetensors header: nests arrays or objects deeper than 64 levels");
}

// Weights that load (or that training made) and still overflow: the result is refused,
// naming the tensor with the largest values, rather than printed as -nan or a silent 0.
TEST(Robustness, NonFiniteResultsNameTheTensorBehindThem) {
    ModelShape shape;
    shape.experts = 4;
    shape.dim = 8;
    shape.hidden = 16;
    RouterConfig cfg;
    cfg.k = 2;
    cfg.capacityFactor = 0;
    const std::string text = "overflow";
    EigenBackend backend;
    LayerResult res;

    ModelWeights w = initWeights(shape, 1);
    w.embed.row('o').setConstant(3e38f);  // finite; x·W_g, 8 of them summed, is not
    w.routerW.setConstant(1.0f);
    w.touch();
    EXPECT_INPUT_ERROR(runLayer(backend, w, cfg, embedBytes(w, text), true, res), "embed.weight");
    EXPECT_INPUT_ERROR(routeInChunks(w, cfg, text, 2), "embed.weight");

    w = initWeights(shape, 1);
    w.embed.setConstant(1.0f);
    for (ExpertWeights& e : w.experts) e.w1.setConstant(3e38f);  // the hidden layer, 8 of them summed, overflows
    w.touch();
    const std::string msg = inputErrorText([&] { runLayer(backend, w, cfg, embedBytes(w, text), true, res); });
    EXPECT_CONTAINS(msg, ".ffn.0.weight: holds values up to");
    EXPECT_CONTAINS(msg, "'s output for token 0 overflows 32-bit floats");
    // The routing alone (no outputs asked for) is still fine.
    EXPECT_NO_THROW(runLayer(backend, w, cfg, embedBytes(w, text), false, res));
}

// ---- files that are no files ----

TEST(Robustness, ReadFileRefusesWhatIsNotARegularFileAndTooBigAFile) {
    TempDir dir;
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_CONTAINS(inputErrorText([&] { readFile(fifo); }), fifo + ": is a FIFO (named pipe)");
    EXPECT_CONTAINS(inputErrorText([] { readFile("/dev/zero"); }), "/dev/zero: is a device");
    EXPECT_CONTAINS(inputErrorText([&] { readFile(dir.path.string()); }), ": is a directory");
    const std::string big = dir / "big.txt";
    writeFileAtomic(big, "");
    std::filesystem::resize_file(big, kMaxTextFileBytes + 1);  // sparse: no 64 MiB written
    EXPECT_CONTAINS(inputErrorText([&] { readFile(big); }), "over the limit of 64 MiB");
    std::filesystem::resize_file(big, 5);
    EXPECT_EQ(readFile(big), std::string(5, '\0'));
    EXPECT_EQ(readFile(big, 5).size(), 5u);
}

TEST(Robustness, TextFilesThatAreNoFilesExitTwoNamingThePath) {
    TempDir dir;
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::pair<std::string, std::string> cases[] = {
        {"/dev/zero", "--text-file: /dev/zero: is a device"},
        {fifo, "--text-file: " + fifo + ": is a FIFO"},
        {dir.path.string(), "--text-file: " + dir.path.string() + ": is a directory"},  // was: an empty text
    };
    for (const auto& [path, message] : cases) {
        const test::RunResult r = runBounded({"route", "--text-file", path});
        EXPECT_EQ(r.code, 2) << path;
        EXPECT_CONTAINS(r.err, message);
    }
    const test::RunResult corpus = runBounded({"train", "--corpus", fifo, "--steps", "1"});
    EXPECT_EQ(corpus.code, 2);
    EXPECT_CONTAINS(corpus.err, "--corpus: " + fifo + ": is a FIFO");
}

TEST(Robustness, LessonSeeds) {
    // A byte order mark (Notepad's UTF-8) is not part of line 1.
    EXPECT_EQ(loadLesson(seed("lesson", "bom.lesson")).title.en, "Seed");
    EXPECT_CONTAINS(inputErrorText([] { loadLesson(seed("lesson", "huge_dim.lesson")); }),
                    "huge_dim.lesson:6 settings: dim: a model of 8 experts, dim 4097 and hidden 16388");
    EXPECT_CONTAINS(inputErrorText([] { loadLesson(seed("lesson", "text_file_dev_zero.lesson")); }),
                    "--text-file: /dev/zero: is a device");
    EXPECT_CONTAINS(inputErrorText([] { loadLesson("/dev/zero"); }), "/dev/zero: is a device");
}

// ---- moelab train's outputs ----

TEST(Robustness, TrainChecksItsOutputsBeforeTrainingAndEveryLogWrite) {
    const std::vector<std::string> small = {"train", "--steps", "3", "--batch",   "2", "--seq-len",
                                            "8",     "--dim",   "8", "--experts", "2"};
    auto args = small;
    args.insert(args.end(), {"--log", "/dev/full", "--log-every", "1"});
    const test::RunResult full = runBounded(args);  // every write fails: "disk full"
    EXPECT_EQ(full.code, 2);
    EXPECT_CONTAINS(full.err, "--log: cannot write /dev/full");
    args = small;
    args.insert(args.end(), {"--out", "/nonexistent/dir/w.safetensors"});
    const test::RunResult out = runBounded(args);
    EXPECT_EQ(out.code, 2);
    EXPECT_CONTAINS(out.err, "--out: /nonexistent/dir/w.safetensors: cannot write");
    EXPECT_EQ(out.err.find("held-out loss"), std::string::npos) << "trained before finding out: " << out.err;
}

TEST(Robustness, OutOfMemoryIsSaidInWords) {
    EXPECT_CONTAINS(errorText(std::bad_alloc()), "out of memory");
    EXPECT_EQ(errorText(std::runtime_error("other")), "other");
}

}  // namespace

// ---- language model files ----

// The fuzzer's seeds (tests/fuzz/make_corpus.py): the small models load and run in every
// dtype; a damaged one is refused naming what is wrong.
TEST(Robustness, ACodesLayerIsAWholeNumberInRange) {
    EXPECT_CONTAINS(inputErrorText([] { decodeShareCode(readFile(seed("share_code", "layer_float.txt"))); }),
                    "--code: layer 2.7 is not a whole number in 0..1000");
    EXPECT_CONTAINS(inputErrorText([] { decodeShareCode(readFile(seed("share_code", "layer_wraps.txt"))); }),
                    "--code: layer 4294967298 is not a whole number");
    EXPECT_EQ(decodeShareCode(readFile(seed("share_code", "with_model.txt"))).layer, 3);
}

TEST(Robustness, LanguageModelSeeds) {
    const auto lm = [](const char* name) { return parseLm(readFile(seed("lm", name)), name); };
    for (const char* name :
         {"valid_f32.safetensors", "valid_f16_tied_one_layer.safetensors", "valid_bf16_top1.safetensors"}) {
        const LmModel m = lm(name);
        EigenBackend eigen;
        const LmRun run = runLm(eigen, m, trainedRouting(m.config), "ab");
        EXPECT_TRUE(run.logprobs.allFinite()) << name;
        EXPECT_EQ(run.layers.size(), size_t(m.config.layers)) << name;
    }
    EXPECT_EQ(lm("valid_f16_tied_one_layer.safetensors").config.layers, 1);
    EXPECT_INPUT_ERROR(lm("missing_tensor.safetensors"), "model.layers.1.self_attn.o_proj.weight");
    EXPECT_INPUT_ERROR(lm("wrong_shape.safetensors"), "model.layers.0.block_sparse_moe.gate.weight");
    EXPECT_CONTAINS(inputErrorText([&] { lm("truncated.safetensors"); }), "truncated");
    EXPECT_INPUT_ERROR(lm("config_missing_key.safetensors"), "config_missing_key.safetensors config.rope_theta");
    EXPECT_CONTAINS(inputErrorText([&] { lm("k_over_experts.safetensors"); }), "num_experts_per_tok");
}
