// Router traces on the command line (docs/contract.md, "Router traces"): `route --trace`
// replays one layer under the routing flags given; `import-trace` converts vLLM's and
// SGLang's routed-experts arrays.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "json_text.hpp"
#include "metrics.hpp"
#include "metrics_json.hpp"
#include "route_report.hpp"
#include "settings_schema.hpp"
#include "trace.hpp"
#include "trace_commands.hpp"
#include "trace_import.hpp"
#include "traffic.hpp"

namespace moe::cli {
namespace {

// The trace fixes E and the tokens: shape flags, a text and a lesson make no sense with it.
void refuseTraceFlags(const Args& a) {
    for (const SettingSpec& spec : settingSpecs())
        if ((spec.group == SettingGroup::Model || spec.key == "text" || spec.key == "text_file") &&
            a.has(std::string(spec.flag)))
            throw InputError("--" + std::string(spec.flag), "cannot be combined with --trace: the trace fixes it");
    for (const char* flag : {"preset", "csv", "model", "lesson", "chapter", "code", "outputs", "logprobs", "trace-out"})
        if (a.has(flag)) throw InputError("--" + std::string(flag), "cannot be combined with --trace");
}

// The trace's own rule and E, then the routing and cluster flags given.
Settings traceSettings(const Args& a, const RouterTrace& t) {
    Settings s;
    s.shape.experts = t.numExperts;
    s.router = traceRouterConfig(t);
    applyFlags(s, a);
    s.shape.experts = t.numExperts;
    s.text.clear();
    resolveSettings(s);
    validateSettings(s);
    return s;
}

nlohmann::json tokenJson(const RouterTrace& t, const Routing& r, int layer, int token) {
    nlohmann::json experts = nlohmann::json::array(), weights = experts, kept = experts, choices = experts;
    for (int s = r.slotBegin[token]; s < r.slotBegin[token + 1]; ++s) {
        if (r.skipped(s)) continue;
        experts.push_back(r.slotExpert[s]);
        weights.push_back(r.slotWeight[s]);
        kept.push_back(bool(r.slotKept[s]));
        choices.push_back(r.slotChoice[s]);
    }
    nlohmann::json j = {{"index", token},     {"token", t.tokens[token]}, {"text", t.tokenText[token]},
                        {"experts", experts}, {"weights", weights},       {"kept", kept},
                        {"choices", choices}};
    if (!t.hasLogits()) return j;  // a choices-only trace has no logits and its scores are not the model's
    const auto row = [](const Mat& m, int i) {
        return std::vector<float>(m.row(i).data(), m.row(i).data() + m.cols());
    };
    j["logits"] = row(t.logits[layer], token);
    j["scores"] = row(r.scores, token);
    return j;
}

nlohmann::json expertsJson(const Routing& r) {
    nlohmann::json out = nlohmann::json::array();
    for (int e = 0; e < r.experts; ++e)
        out.push_back({{"index", e}, {"requested", r.requested[e]}, {"kept", r.kept[e]}, {"dropped", r.overflow[e]}});
    return out;
}

void writeTraceJson(const Settings& o, const TraceReplay& rep) {
    const Routing& r = rep.routing;
    nlohmann::json tokens = nlohmann::json::array();
    for (int t = 0; t < r.tokens; ++t) tokens.push_back(tokenJson(rep.trace, r, rep.layer, t));
    nlohmann::json out = {{"config", configJson(o, "eigen", "", "")},
                          {"capacity", r.capacity < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.capacity)},
                          {"tokens", tokens},
                          {"experts", expertsJson(r)},
                          {"metrics", metricsJson(r, rep.metrics, rep.traffic)},
                          {"expert_counts", r.kept},
                          {"traffic", routeTrafficJson(r, o.cluster, deviceLimit(o), rep.traffic)},
                          {"trace",
                           {{"model", rep.trace.model},
                            {"layer", rep.layer},
                            {"num_layers", rep.trace.numLayers()},
                            {"has_logits", rep.trace.hasLogits()},
                            {"needs_scores", rep.ignored}}}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void writeTraceText(const TraceReplay& rep, int maxRows) {
    const Routing& r = rep.routing;
    std::printf("trace of %s: layer %d of %d, %d tokens, %d experts, top-%d, %s\n", rep.trace.model.c_str(), rep.layer,
                rep.trace.numLayers(), r.tokens, r.experts, rep.trace.topK,
                rep.trace.hasLogits() ? "router logits" : "choices only");
    std::printf("replayed with k %d, capacity %s: %d of %d assignments dropped (%s)\n", r.k,
                r.capacity < 0 ? "none (dropless)" : std::to_string(r.capacity).c_str(), rep.metrics.dropped,
                rep.metrics.assignments, fmt("%.4f", rep.metrics.dropRate).c_str());
    std::printf("%-7s %10s %10s %10s\n", "expert", "requested", "kept", "dropped");
    for (int e = 0; e < r.experts; ++e)
        std::printf("%-7d %10d %10d %10d\n", e, r.requested[e], r.kept[e], r.overflow[e]);
    std::printf("load cv %s, max/mean %s\n", fmt("%.3f", rep.metrics.cv).c_str(),
                fmt("%.3f", rep.metrics.maxOverMean).c_str());
    for (int t = 0; t < std::min(r.tokens, maxRows); ++t) {
        std::string slots;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (!r.skipped(s)) slots += " E" + std::to_string(r.slotExpert[s]) + (r.slotKept[s] ? "" : " (dropped)");
        std::printf("%6d  %-10s%s\n", t, rep.trace.tokenText[t].c_str(), slots.c_str());
    }
    if (r.tokens > maxRows) std::printf("... %d more tokens (--max-rows N)\n", r.tokens - maxRows);
}

}  // namespace

TraceReplay replayTrace(RouterTrace trace, int layer, const Settings& o) {
    TraceReplay rep;
    rep.layer = layer;
    rep.ignored = settingsNeedingScores(trace, o.router);
    rep.routing = replayTraceLayer(trace, layer, o.router);
    rep.metrics = computeMetrics(rep.routing, o.shape, rep.routing.k);
    rep.traffic = simulateTraffic(rep.routing, o.cluster, deviceLimit(o));
    rep.trace = std::move(trace);
    return rep;
}

int routeTrace(const Args& a) {
    refuseTraceFlags(a);
    RouterTrace trace = loadTrace(*a.str("trace"));
    const int layers = trace.numLayers();
    const int layer = static_cast<int>(a.integer("layer", 0, 0, 1 << 30));
    if (layer >= layers)
        throw InputError("--layer",
                         std::to_string(layer) + " is outside the trace's layers 0.." + std::to_string(layers - 1));
    const Settings o = traceSettings(a, trace);
    const TraceReplay rep = replayTrace(std::move(trace), layer, o);
    if (!rep.ignored.empty()) {
        std::string list;
        for (const std::string& f : rep.ignored) list += (list.empty() ? "" : ", ") + f;
        std::cerr << "moelab: ignored " << list
                  << (rep.trace.hasLogits() ? ": they act on the router's input, which a trace does not hold\n"
                                            : ": this trace records the choices only, and these need the scores\n");
    }
    if (a.has("json"))
        writeTraceJson(o, rep);
    else
        writeTraceText(rep, static_cast<int>(a.integer("max-rows", 64, 0, 1 << 30)));
    return 0;
}

int cmdImportTrace(const std::vector<std::string>& argv) {
    // IN is the one argument that is not a flag or a flag's value.
    std::vector<std::string> flags;
    std::string in;
    for (size_t i = 0; i < argv.size(); ++i) {
        const bool flag = argv[i].rfind("--", 0) == 0;
        if (flag) {
            flags.push_back(argv[i]);
            if (argv[i].find('=') == std::string::npos && i + 1 < argv.size()) flags.push_back(argv[++i]);
        } else if (in.empty()) {
            in = argv[i];
        } else {
            throw InputError(argv[i], "unexpected argument: import-trace reads one input file");
        }
    }
    const Args a(flags, {"from", "out", "num-experts", "model"}, {});
    if (!a.has("from")) throw InputError("--from", "needed: vllm or sglang");
    if (in.empty())
        throw InputError("IN",
                         "needed: the engine's routed-experts file (moelab import-trace --from vllm IN --out FILE)");
    if (!a.has("out")) throw InputError("--out", "needed: the trace file to write");
    const int experts = static_cast<int>(a.integer("num-experts", 0, 1, 4096));
    const RoutedExperts r = readRoutedExperts(*a.str("from"), readFile(in, kMaxWeightsFileBytes), in);
    const RouterTrace t = tracedChoices(r, experts, a.str("model", *a.str("from")), in);
    saveTrace(t, *a.str("out"));
    std::printf("%s: %d tokens, %d layers, top-%d of %d experts (choices only)\n", a.str("out")->c_str(),
                t.tokenCount(), t.numLayers(), t.topK, t.numExperts);
    return 0;
}

}  // namespace moe::cli
