// moelab analyze: what a multi-layer MoE's routing says about a text (core/lm/routing_analysis.hpp),
// as the JSON of docs/contract.md or a table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/factory.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "flags.hpp"
#include "lm/lm_forward.hpp"
#include "lm/lm_model.hpp"
#include "lm/lm_trace.hpp"
#include "lm/routing_analysis.hpp"
#include "lm_commands.hpp"
#include "settings_schema.hpp"
#include "trace.hpp"

namespace moe::cli {
namespace {

// Where the routings come from: the model run on the text, or a router trace's layers
// replayed under its own rule; both go through the same analyzeRouting and printing below.
// The capacity sweep is the trace's (the model's run converted to one).
struct RoutedText {
    std::vector<Routing> layers;
    std::vector<int> tokenValues;
    std::vector<std::vector<CapacityPoint>> sweeps;  // per layer
};

std::vector<std::vector<CapacityPoint>> capacitySweeps(const RouterTrace& t) {
    std::vector<std::vector<CapacityPoint>> out;
    for (int l = 0; l < t.numLayers(); ++l) out.push_back(capacitySweep(t, l));
    return out;
}

RoutedText routeTraceLayers(const RouterTrace& t) {
    RoutedText out;
    for (int l = 0; l < t.numLayers(); ++l) out.layers.push_back(replayTraceLayer(t, l, traceRouterConfig(t)));
    out.tokenValues = t.tokens;
    out.sweeps = capacitySweeps(t);
    return out;
}

// Rows of matrices one under another.
Mat stacked(const std::vector<Mat>& pieces) {
    Eigen::Index rows = 0;
    for (const Mat& p : pieces) rows += p.rows();
    Mat out(rows, pieces.empty() ? 0 : pieces[0].cols());
    rows = 0;
    for (const Mat& p : pieces) {
        out.middleRows(rows, p.rows()) = p;
        rows += p.rows();
    }
    return out;
}

// The text through the model a window at a time, each window from position 0 as the model
// was trained and evaluated (window 0: the whole text at once); every layer's routing of
// the windows joined into one routing of the text.
RoutedText routeWithModel(const std::string& name, const LmModel& m, const Settings& o, int window,
                          const std::string& traceOut) {
    BackendChoice bc = makeBackend(o.backend, o.device);
    const std::string_view text = o.text;
    const size_t step = window > 0 ? size_t(window) : text.size();
    std::vector<std::vector<Routing>> pieces(m.layers.size());
    std::vector<std::vector<Mat>> logits(m.layers.size());
    for (size_t start = 0; start < text.size(); start += step) {
        LmRun run = runLm(*bc.backend, m, o.router, text.substr(start, step));
        if (start == 0 && !run.layers[0].fallback.empty()) std::cerr << "moelab: " << run.layers[0].fallback << "\n";
        for (size_t l = 0; l < run.layers.size(); ++l) {
            logits[l].push_back(std::move(run.layers[l].routing.logits));
            pieces[l].push_back(std::move(run.layers[l].routing));
        }
    }
    RoutedText out;
    for (const auto& layerPieces : pieces) out.layers.push_back(joinSlots(layerPieces));
    out.tokenValues = byteValues(text);
    std::vector<Mat> layerLogits;
    for (const auto& p : logits) layerLogits.push_back(stacked(p));
    const RouterTrace trace = lmTrace(name, m.config, std::move(layerLogits), text);
    if (!traceOut.empty()) saveTrace(trace, traceOut);
    out.sweeps = capacitySweeps(trace);
    return out;
}

std::string number(double v, const char* format = "%.3f") {
    if (!std::isfinite(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

void printTable(const std::vector<LayerRoutingStats>& stats) {
    std::printf("%-5s %8s  %-19s %-19s %-21s %s\n", "layer", "tokens", "same first (chance)", "same any (chance)",
                "specialisation (n)", "max load");
    for (const LayerRoutingStats& s : stats) {
        const auto busiest = std::max_element(s.load.begin(), s.load.end());
        const std::string first = number(s.consecutiveSameFirst) + " (" + number(s.chanceSameFirst) + ")";
        const std::string any = number(s.consecutiveSameAny) + " (" + number(s.chanceSameAny) + ")";
        const std::string spec =
            number(s.tokenSpecialisation) + " (" + std::to_string(s.specialisationValues) + " values)";
        const std::string load =
            busiest == s.load.end() ? "-" : number(*busiest) + " (E" + std::to_string(busiest - s.load.begin()) + ")";
        std::printf("%-5d %8d  %-19s %-19s %-21s %s\n", s.layer, s.tokens, first.c_str(), any.c_str(), spec.c_str(),
                    load.c_str());
    }
    std::printf(
        "same first / same any: adjacent bytes whose first choices agree / whose top-k sets meet;\n"
        "chance: the same under independent uniform routing. specialisation: mean share of a byte value's\n"
        "occurrences (values seen >= %d times) that go to its most frequent first-choice expert.\n",
        kSpecialisationMinCount);
}

void printSweeps(const std::vector<std::vector<CapacityPoint>>& sweeps) {
    std::printf("\ndrop rate by capacity factor (token choice, the overflow dropped, the whole text one batch):\n%-5s",
                "layer");
    for (double c : kSweepCapacityFactors) std::printf(" %7.2f", c);
    std::printf("\n");
    for (size_t l = 0; l < sweeps.size(); ++l) {
        std::printf("%-5zu", l);
        for (const CapacityPoint& p : sweeps[l]) std::printf(" %7.4f", p.dropRate);
        std::printf("\n");
    }
}

void report(const RoutedText& routed, bool json) {
    const std::vector<LayerRoutingStats> stats = analyzeRouting(routed.layers, routed.tokenValues);
    if (!json) {
        printTable(stats);
        return printSweeps(routed.sweeps);
    }
    nlohmann::json layers = nlohmann::json::array();
    for (size_t l = 0; l < stats.size(); ++l) {
        nlohmann::json j = layerStatsJson(stats[l]);
        j["capacity_sweep"] = nlohmann::json::array();
        for (const CapacityPoint& p : routed.sweeps[l])
            j["capacity_sweep"].push_back({{"capacity_factor", p.capacityFactor}, {"drop_rate", p.dropRate}});
        layers.push_back(j);
    }
    std::cout << nlohmann::json{{"layers", layers}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
}

// analyze --trace FILE [--json]: the trace's layers under its own rule; no other flag.
int analyzeTrace(const std::vector<std::string>& argv) {
    const Args a(argv, {"trace"}, {"json"});
    report(routeTraceLayers(loadTrace(*a.str("trace"))), a.has("json"));
    return 0;
}

}  // namespace

int cmdAnalyze(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert({"model", "window", "trace", "trace-out"});
    const Args a(argv, flags, {"json"});
    if (a.has("trace")) {
        for (const std::string& arg : argv)
            if (arg.rfind("--", 0) == 0 && arg.rfind("--trace", 0) != 0 && arg != "--json")
                throw InputError(arg.substr(0, arg.find('=')),
                                 "cannot be combined with --trace (analyze replays the trace's own rule)");
        return analyzeTrace(argv);
    }
    if (!a.str("model"))
        throw InputError("--model", "needs a language model (moelab analyze --model tiny-lm --text-file PATH)");
    if (!a.str("text") && !a.str("text-file")) throw InputError("--text", "give --text STR or --text-file PATH");
    refuseModelFlags(a);
    const LmModel m = loadLm(*a.str("model"));
    const Settings o = modelSettings(a, m);
    // Consecutive rates compare adjacent bytes: one byte has no pair.
    if (o.text.size() < 2)
        throw InputError(
            a.str("text-file") ? "--text-file" : "--text",
            "needs at least 2 bytes: the analysis compares adjacent bytes (got " + std::to_string(o.text.size()) + ")");
    const int window = static_cast<int>(a.integer("window", m.config.maxPositions, 0, 1 << 30));
    report(routeWithModel(*a.str("model"), m, o, window, a.str("trace-out", "")), a.has("json"));
    return 0;
}

}  // namespace moe::cli
