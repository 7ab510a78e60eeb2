#include "bench_lm.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data_dir.hpp"
#include "atomic_file.hpp"
#include "lm/lm_generate.hpp"
#include "lm/lm_model.hpp"

namespace moe::cli {
namespace {

constexpr std::array<int, 2> kLengths = {256, 4096};
constexpr int kPromptBytes = 16;

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The median of at least three runs, repeated for minTime seconds in all.
template <typename F>
double medianSeconds(F&& run, double minTime) {
    std::vector<double> times;
    const auto begin = std::chrono::steady_clock::now();
    while (times.size() < 3 || secondsSince(begin) < minTime) {
        const auto start = std::chrono::steady_clock::now();
        run();
        times.push_back(secondsSince(start));
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    return times[times.size() / 2];
}

// The held-out text repeated to `bytes` bytes: what both sides run.
std::string benchText(int bytes) {
    const std::string held = readFile(dataPath("corpus/lm/heldout.txt"));
    std::string text;
    while (static_cast<int>(text.size()) < bytes) text += held;
    return text.substr(0, bytes);
}

// The PyTorch half: examples/lm/bench_tiny_lm.py in the source tree (the build tree's data
// folder links to its assets/). Returns its JSON, or why it did not run under "missing".
nlohmann::json runPyTorch(int threads, int generateBytes) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path script = fs::canonical(dataDir(), ec).parent_path() / "examples/lm/bench_tiny_lm.py";
    if (ec || !fs::is_regular_file(script)) return {{"missing", "examples/lm/bench_tiny_lm.py is not beside the data"}};
    const char* python = std::getenv("MOELAB_PYTHON");
    const std::string cmd = std::string(python ? python : "/usr/bin/python3") + " '" + script.string() +
                            "' --threads " + std::to_string(threads) + " --gen-bytes " + std::to_string(generateBytes) +
                            " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    if (!pipe) return {{"missing", "could not start " + cmd}};
    std::string out;
    std::array<char, 4096> buf{};
    while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
    const int status = pclose(pipe.release());
    const size_t brace = out.rfind("\n{") == std::string::npos ? out.find('{') : out.rfind("\n{") + 1;
    if (status != 0 || brace == std::string::npos) return {{"missing", "PyTorch run failed: " + out.substr(0, 300)}};
    return nlohmann::json::parse(out.substr(brace), nullptr, false);
}

double pytorchForwardMs(const nlohmann::json& py, int tokens) {
    if (!py.contains("forward")) return 0;
    for (const auto& f : py["forward"])
        if (f.value("tokens", 0) == tokens) return f.value("ms", 0.0);
    return 0;
}

}  // namespace

nlohmann::json benchLanguageModel(Backend& backend, const LmBenchOptions& o) {
    const LmModel model = loadLm("tiny-lm");
    const RouterConfig routing = trainedRouting(model.config);
    const int threads = omp_get_max_threads();
    nlohmann::json out{{"model", "tiny-lm"}, {"backend", backend.name()}, {"threads", threads}};
    nlohmann::json moelabForward = nlohmann::json::array();
    for (int T : kLengths) {
        const std::string text = benchText(T);
        runLm(backend, model, routing, text);  // warm-up
        const double s = medianSeconds([&] { runLm(backend, model, routing, text); }, o.minTime);
        moelabForward.push_back({{"tokens", T}, {"moelab_ms", s * 1e3}});
    }
    const std::string prompt = benchText(kPromptBytes);
    SampleOptions sample;
    sample.bytes = o.generateBytes;
    const double genSeconds = medianSeconds([&] { generate(backend, model, routing, prompt, sample); }, o.minTime);
    const nlohmann::json py = runPyTorch(threads, o.generateBytes);
    for (auto& f : moelabForward) {
        const double pyMs = pytorchForwardMs(py, f["tokens"]);
        f["pytorch_ms"] = pyMs;
        f["ratio"] = pyMs > 0 ? pyMs / f["moelab_ms"].get<double>() : 0.0;
    }
    out["forward"] = moelabForward;
    const double moelabBps = o.generateBytes / genSeconds;
    const double pyBps = py.contains("generate") ? py["generate"].value("bytes_per_s", 0.0) : 0.0;
    out["generate"] = {{"bytes", o.generateBytes},
                       {"prompt_bytes", kPromptBytes},
                       {"moelab_bytes_per_s", moelabBps},
                       {"pytorch_bytes_per_s", pyBps},
                       {"ratio", pyBps > 0 ? moelabBps / pyBps : 0.0}};
    if (py.contains("missing"))
        out["pytorch_missing"] = py["missing"];
    else
        out["pytorch"] = {{"torch", py.value("torch", "")}, {"blas", py.value("blas", "")}};
    if (o.print) {
        std::printf("little language model (tiny-lm), %s backend, %d threads; PyTorch eager, same threads%s\n",
                    backend.name().c_str(), threads,
                    py.contains("missing") ? (": " + py["missing"].get<std::string>()).c_str() : "");
        for (const auto& f : out["forward"])
            std::printf("forward T=%-5d moelab %9.2f ms  PyTorch %9.2f ms  ratio %.2f\n", f["tokens"].get<int>(),
                        f["moelab_ms"].get<double>(), f["pytorch_ms"].get<double>(), f["ratio"].get<double>());
        std::printf("generate %d bytes: moelab %.1f bytes/s  PyTorch %.1f bytes/s  ratio %.2f\n", o.generateBytes,
                    moelabBps, pyBps, out["generate"]["ratio"].get<double>());
    }
    return out;
}

}  // namespace moe::cli
