// moelab export-weights, bench and info.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "backends/factory.hpp"
#include "backends/opencl/opencl_backend.hpp"
#include "bench.hpp"
#include "bench_lm.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "input_limits.hpp"
#include "settings_schema.hpp"
#include "lesson.hpp"
#include "lesson_code.hpp"
#include "lm_commands.hpp"
#include "presets.hpp"
#include "routing_stages.hpp"
#include "safetensors.hpp"
#include "share_code.hpp"
#include "train/balance_experiment.hpp"
#include "train/sentiment.hpp"
#include "fma_peak.hpp"
#include "atomic_file.hpp"
#include "data_dir.hpp"

#include <array>
#include <optional>
#include <sstream>

namespace moe::cli {

int cmdExportWeights(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert("out");
    const Args a(argv, flags, {});
    const auto out = a.str("out");
    if (!out || out->empty()) throw InputError("--out", "needs a file name (moelab export-weights --out FILE)");
    Settings o = settingsFromFlags(a);
    const ModelWeights w = buildWeights(o);
    saveWeights(w, *out, o.router.noisyTopk);
    std::cerr << "moelab: wrote " << *out << " (E=" << w.shape.experts << ", D=" << w.shape.dim
              << ", H=" << w.shape.hidden << ", " << toString(w.shape.activation) << ")\n";
    return 0;
}

namespace {

nlohmann::json routingTableJson(const train::RoutingTable& t) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t e = 0; e < t.bySentiment.size(); ++e)
        rows.push_back({{"expert", e},
                        {"negative", t.bySentiment[e][train::kNegative]},
                        {"positive", t.bySentiment[e][train::kPositive]},
                        {"chinese", t.byLanguage[e][train::kChinese]},
                        {"english", t.byLanguage[e][train::kEnglish]}});
    return rows;
}

nlohmann::json sentimentJson(const train::SentimentResult& r) {
    return {{"seconds", r.seconds},
            {"train_reviews", r.trainCount},
            {"held_out_reviews", r.heldOutCount},
            {"train_accuracy", r.trainAccuracy},
            {"held_out_accuracy", r.heldOutAccuracy},
            {"sentiment_bits", r.sentimentBits},
            {"language_bits", r.languageBits},
            {"verdict", train::verdictName(train::verdict(r))},
            {"first_choice", routingTableJson(r.firstChoice)},
            {"top_k", routingTableJson(r.topK)}};
}

void printSentiment(const train::SentimentResult& r) {
    std::printf(
        "\nsentiment experiment (4 experts, top-2, sentence level): %.1f s, held-out accuracy %.1f%% "
        "(%d reviews), train %.1f%%\n",
        r.seconds, 100 * r.heldOutAccuracy, r.heldOutCount, 100 * r.trainAccuracy);
    std::printf("held-out first choices   negative positive   chinese english\n");
    for (size_t e = 0; e < r.firstChoice.bySentiment.size(); ++e) {
        const auto& s = r.firstChoice.bySentiment[e];
        const auto& l = r.firstChoice.byLanguage[e];
        std::printf("  E%zu %27d %8d %9d %7d\n", e, s[train::kNegative], s[train::kPositive], l[train::kChinese],
                    l[train::kEnglish]);
    }
    std::printf("first choice tells %.2f bits of sentiment, %.2f bits of language (1 bit: a perfect split): %s\n",
                r.sentimentBits, r.languageBits, train::verdictName(train::verdict(r)));
}

// The language model's bench (bench_lm.hpp), only when asked for: it runs PyTorch too.
int benchLmCommand(Backend& backend, double minTime, bool json) {
    LmBenchOptions options;
    options.minTime = minTime;
    options.print = !json;
    const nlohmann::json out = benchLanguageModel(backend, options);
    if (json) std::cout << nlohmann::json{{"lm", out}}.dump(2) << "\n";
    return 0;
}

}  // namespace

namespace {

// The backends --backend asks for: OpenCL asked for alone and missing is bad input; with
// "both" the run goes on without it.
std::vector<BackendChoice> benchBackends(const std::string& which, const std::string& device) {
    std::vector<BackendChoice> backends;
    if (which != "opencl") backends.push_back(makeBackend(BackendKind::Eigen));
    if (which != "eigen") {
        try {
            backends.push_back(makeBackend(BackendKind::OpenCL, device));
        } catch (const InputError& e) {
            if (which == "opencl") throw;  // asked for alone: bad input
            std::cerr << "moelab: no OpenCL backend: " << e.what() << "\n";
        }
    }
    return backends;
}

// The layer on every standard shape (or the one asked for), on every backend; ratios
// against the machine's FP32 `peak`.
nlohmann::json benchLayers(std::vector<BackendChoice>& backends, const std::string& only, double minTime, double peak,
                           bool json) {
    nlohmann::json results = nlohmann::json::array();
    for (const BenchShape& s : standardBenchShapes()) {
        if (!only.empty() && s.name != only) continue;
        for (auto& b : backends) {
            const BenchResult r = benchLayer(*b.backend, s, minTime);
            results.push_back({{"name", s.name},
                               {"backend", r.backend},
                               {"device", r.device},
                               {"tokens", s.tokens},
                               {"experts", s.experts},
                               {"k", s.k},
                               {"dim", s.dim},
                               {"hidden", s.hidden},
                               {"ffn_gflops", r.ffnGflops},
                               {"gemm_gflops", r.gemmGflops},
                               {"ratio_to_gemm", r.ratioToGemm},
                               {"ratio_to_peak", r.ffnGflops / peak},
                               {"gemm_ratio_to_peak", r.gemmGflops / peak},
                               {"pipeline_ms", r.pipelineMs},
                               {"experts_ms", r.expertsMs}});
            if (!json)
                std::printf("%-13s %-7s %6d %4d %3d %5d %5d %11.1f %12.1f %7.2f %8.2f %12.3f\n", s.name.c_str(),
                            r.backend.c_str(), s.tokens, s.experts, s.k, s.dim, s.hidden, r.ffnGflops, r.gemmGflops,
                            r.ratioToGemm, r.ffnGflops / peak, r.pipelineMs);
        }
    }
    return results;
}

nlohmann::json benchTraining(double minTime, bool json) {
    nlohmann::json training = nlohmann::json::array();
    const std::string corpus = readFile(dataPath("corpus/lesson.txt"));
    for (auto [d, e, k] : {std::array<int, 3>{32, 8, 2}, std::array<int, 3>{128, 16, 2}}) {
        const double tps = benchTrainingTokensPerSecond(d, e, k, corpus, std::max(1.0, 2 * minTime));
        training.push_back({{"dim", d}, {"experts", e}, {"k", k}, {"tokens_per_s", tps}});
        if (!json) std::printf("\ntraining D=%d E=%d k=%d: %.0f tokens/s", d, e, k, tps);
    }
    if (!json) std::printf("\n");
    return training;
}

// The lesson's load-balancing experiment, both runs.
nlohmann::json benchBalance(bool json) {
    nlohmann::json balance;
    const std::string corpus = readFile(dataPath("corpus/lesson.txt"));
    for (bool balanced : {false, true}) {
        const train::BalanceRun r = train::runBalanceExperiment(balanced, corpus);
        balance[balanced ? "balanced" : "collapsed"] = {{"seconds", r.seconds},
                                                        {"max_over_mean", r.outcome.maxOverMean},
                                                        {"top_share", r.outcome.topShare},
                                                        {"cv", r.outcome.cv},
                                                        {"held_out_loss", r.heldOutLoss}};
        if (!json)
            std::printf("balance experiment, %s: %.1f s, max/mean %.2f, top expert %.0f%%, CV %.3f\n",
                        balanced ? "aux loss  " : "no balance", r.seconds, r.outcome.maxOverMean,
                        100 * r.outcome.topShare, r.outcome.cv);
    }
    return balance;
}

}  // namespace

int cmdBench(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"min-time", "shape"});
    const Args a(argv, flags, {"json"});
    const std::string which = a.str("backend", "eigen");
    if (which != "eigen" && which != "opencl" && which != "both")
        throw InputError("--backend", "must be one of eigen|opencl|both (got '" + which + "')");
    const double minTime = a.number("min-time", 0.5, 0.0, 60.0);
    const std::string only = a.str("shape", "");
    const bool json = a.has("json");
    std::vector<BackendChoice> backends = benchBackends(which, a.str("device", ""));
    if (only == "lm") return benchLmCommand(*backends.front().backend, minTime, json);
    const auto shapes = standardBenchShapes();
    const bool layerShapes =
        only.empty() || std::any_of(shapes.begin(), shapes.end(), [&](const BenchShape& s) { return s.name == only; });
    // The machine's own FP32 peak, in this run: the ratios below are against it too.
    const double peak = layerShapes ? measureFmaPeakGflops() : 0.0;
    if (!json && layerShapes) {
        std::printf("FP32 FMA peak (%s, %d threads): %.1f GFLOP/s\n\n", fmaPeakIsa(), omp_get_max_threads(), peak);
        std::printf("%-13s %-7s %6s %4s %3s %5s %5s %11s %11s %7s %8s %12s\n", "shape", "backend", "T", "E", "k", "D",
                    "H", "ffn GFLOP/s", "gemm GFLOP/s", "ratio", "of peak", "pipeline ms");
    }
    const nlohmann::json results = benchLayers(backends, only, minTime, peak, json);
    const nlohmann::json training =
        only.empty() || only == "train" ? benchTraining(minTime, json) : nlohmann::json::array();
    const nlohmann::json balance = only.empty() || only == "balance" ? benchBalance(json) : nlohmann::json();
    nlohmann::json sentiment;
    if (only.empty() || only == "sentiment") {  // seed 002's claim: do experts split by sentiment?
        const auto reviews = train::parseReviews(readFile(dataPath("corpus/reviews.tsv")));
        const train::SentimentResult r = train::runSentimentExperiment(reviews, train::SentimentConfig{});
        sentiment = sentimentJson(r);
        if (!json) printSentiment(r);
    }
    nlohmann::json out{{"results", results}, {"training", training}, {"balance", balance}, {"sentiment", sentiment}};
    if (layerShapes) {
        out["peak_gflops"] = peak;
        out["peak_isa"] = fmaPeakIsa();
    }
    if (only.empty() || only == "cluster") {
        const double simMs = benchClusterSimulationMs(minTime);
        out["simulation"] = {{"tokens", 65536}, {"experts", 256}, {"k", 8}, {"gpus", 64}, {"ms", simMs}};
        if (!json) std::printf("\nexpert-parallel simulation T=65536 E=256 k=8 G=64 (load-aware): %.3f ms\n", simMs);
    }
    if (json) std::cout << out.dump(2) << "\n";
    return 0;
}

namespace {
// argv without the code's own options (--page P, --lesson L, ...): the setting flags alone.
std::vector<std::string> settingArgsOnly(std::vector<std::string> argv) {
    for (size_t i = 0; i < argv.size();)
        if (argv[i] == "--a" || argv[i] == "--page" || argv[i] == "--lesson" || argv[i] == "--chapter" ||
            argv[i] == "--hide" || argv[i] == "--pin" || argv[i] == "--model" || argv[i] == "--layer")
            argv.erase(argv.begin() + i, argv.begin() + std::min(argv.size(), i + 2));
        else
            ++i;
    return argv;
}
}  // namespace

int cmdCode(const std::vector<std::string>& argv, const LessonNames& appNames) {
    auto flags = settingFlags();
    flags.insert({"page", "lesson", "chapter", "hide", "a", "pin", "model", "layer"});
    const Args a(argv, flags, {});
    SharedState s;
    // A chapter's settings first, then the flags given (lesson_code.hpp).
    const LessonRequest request = lessonRequest(a, appNames);
    std::optional<Lesson> lesson;
    if (!request.lesson.empty()) lesson = loadLesson(lessonFile(request.lesson));
    s.model = a.str("model", requestedModel(request, lesson ? &*lesson : nullptr));
    int modelLayers = 0;
    if (!s.model.empty()) {  // the model's trained routing under the chapter's and the flags
        refuseModelFlags(a);
        const LmModel m = loadLm(s.model);
        modelLayers = m.config.layers;
        s.settings = lessonModelSettings(a, m, {&request, lesson ? &*lesson : nullptr});
    } else {
        Settings defaults;
        useShippedModel(defaults);
        s.settings = layeredSettings(request, lesson ? &*lesson : nullptr, nullptr, a, defaults);
    }
    s.page = a.str("page", "");
    checkPageName(s.page, appNames, "--page");
    s.lesson = request.lesson;
    s.chapter = request.chapter;
    s.pinnedToken = static_cast<int>(a.integer("pin", 0, 0, 1 << 30));
    if (a.has("layer") && s.model.empty())
        throw InputError("--layer", "goes with --model (the language model's layers)");
    s.layer = static_cast<int>(a.integer("layer", 0, 0, std::max(0, modelLayers - 1)));
    if (auto hide = a.str("hide")) s.hidden = parseHideList(*hide, appNames.views);
    if (auto flagsA = a.str("a")) {  // A of an A/B comparison: the same flags with these on top
        // The language model's A: its settings; else the setting flags given, without the code's own options.
        Settings sa = s.model.empty() ? settingsFromFlags(Args(settingArgsOnly(argv), settingFlags(), {})) : s.settings;
        applyFlags(sa, Args(splitFlags(*flagsA), settingFlags(), {}));
        if (!setsModel(a) && s.model.empty()) useShippedModel(sa);
        s.compareA = sa;
    }
    // A code its students' moelab would refuse is no use (decodeShareCode checks the same).
    checkSharedSettings(s.settings, "");
    if (s.compareA) checkSharedSettings(*s.compareA, "--a");
    std::cout << encodeLessonCode(s, lesson ? &*lesson : nullptr) << "\n";
    return 0;
}

namespace {
// The routing stages every backend runs, in order (core/routing_stages.hpp).
nlohmann::json stageNames() {
    nlohmann::json out = nlohmann::json::array();
    for (RoutingStage st : kRoutingStages) out.push_back(std::string(stageName(st)));
    return out;
}
// The presets whose rules the OpenCL backend does not run (the Eigen reference runs them).
nlohmann::json openclLacks(const Backend& b) {
    nlohmann::json out = nlohmann::json::array();
    for (const Preset& p : presets())
        if (const std::string why = b.unsupported(presetSettings(p).router); !why.empty())
            out.push_back({{"preset", p.name}, {"lacks", why}});
    return out;
}
}  // namespace

int cmdInfo(const std::vector<std::string>& argv) {
    const Args a(argv, {}, {"json"});
    auto eigen = makeBackend(BackendKind::Eigen);
    auto cl = makeBackend(BackendKind::Auto);  // Eigen with the reason where OpenCL cannot run
    nlohmann::json presetList = nlohmann::json::array();
    for (const Preset& p : presets())
        presetList.push_back({{"name", p.name},
                              {"title", p.title},
                              {"paper", p.paper},
                              {"scaled", p.scaled},
                              {"settings", presetFlags(p)}});
    // The kernels' build: from the cache or compiled now, and what the compiler said.
    const auto* clb = dynamic_cast<const OpenCLBackend*>(cl.backend.get());
    const std::string buildLog = clb ? clb->buildLog() : "";
    if (a.has("json")) {
        nlohmann::json j = {{"version", MOELAB_VERSION},
                            {"presets", presetList},
                            {"threads", omp_get_max_threads()},
                            {"eigen_device", eigen.backend->device()},
                            {"opencl_device", cl.fallbackReason.empty() ? cl.backend->device() : ""},
                            {"opencl_unavailable", cl.fallbackReason},
                            {"routing_stages", stageNames()},
                            {"opencl_lacks", openclLacks(*cl.backend)},
                            {"opencl_kernel_cache", clb ? clb->programCachePath() : ""},
                            {"opencl_ffn_kernels", clb ? (clb->tiledKernels() ? "tiled" : "blocked") : ""},
                            {"opencl_build_log", buildLog}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "moelab " << MOELAB_VERSION << "\n"
              << "eigen backend:  " << eigen.backend->device() << "\n"
              << "opencl backend: "
              << (cl.fallbackReason.empty() ? cl.backend->device() : "unavailable: " + cl.fallbackReason) << "\n"
              << "presets:        " << presetNames() << " (moelab --help)\n";
    if (clb) {
        std::cout << "opencl kernels: " << (clb->programFromCache() ? "loaded from " : "compiled, cached in ")
                  << clb->programCachePath() << "\n"
                  << "expert GEMMs:   "
                  << (clb->tiledKernels() ? "work-group tiled (GPU kernels)" : "register-blocked (CPU kernels)")
                  << " (MOELAB_CL_KERNELS=tiled|blocked)\n"
                  << "build log:      " << (buildLog.empty() ? "(the compiler said nothing)" : "") << "\n";
        if (!buildLog.empty()) std::cout << buildLog << "\n";
    }
    return 0;
}

}  // namespace moe::cli
