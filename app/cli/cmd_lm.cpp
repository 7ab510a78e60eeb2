// The little MoE language model on the command line: `moelab route --model` (every
// layer's routing) and `moelab generate` (docs/contract.md, "The little MoE language model").
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "backends/factory.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "json_text.hpp"
#include "lm/lm_generate.hpp"
#include "lm/lm_trace.hpp"
#include "lm_commands.hpp"
#include "lm_report.hpp"
#include "metrics_json.hpp"
#include "model_flags.hpp"
#include "settings_schema.hpp"
#include "tokenizer.hpp"

namespace moe::cli {

// The model file fixes the shape and the weights: flags that set them make no sense with it.
void refuseModelFlags(const Args& a) {
    const std::string with = a.has("model") ? "--model" : "the language model this chapter or code runs";
    for (const SettingSpec& spec : settingSpecs())
        if (spec.group == SettingGroup::Model && a.has(std::string(spec.flag)))
            throw InputError("--" + std::string(spec.flag),
                             "cannot be combined with " + with + ": the model's file fixes its shape and weights");
    for (const char* flag : {"preset", "csv"})
        if (a.has(flag)) throw InputError("--" + std::string(flag), "cannot be combined with " + with);
    if (!a.has("model")) return;
    for (const char* flag : {"lesson", "chapter", "code"})
        if (a.has(flag)) throw InputError("--" + std::string(flag), "cannot be combined with --model");
}

namespace {

// The model's MoE shape and trained routing: what the flags, a chapter or a code start from.
Settings modelBase(const LmModel& m) {
    Settings s;
    s.shape = m.layers[0].moe.shape;
    s.router = trainedRouting(m.config);
    return s;
}

// The file's shape and weights win over any the settings name; the text must not be empty.
Settings checkedModelSettings(Settings s, const LmModel& m, const Args& a) {
    s.shape = m.layers[0].moe.shape;
    s.weightsPath.clear();
    resolveSettings(s);
    validateSettings(s);
    if (s.text.empty())
        throw InputError(a.has("text-file") ? "--text-file" : "--text", "is empty: the model needs a byte");
    return s;
}

}  // namespace

// The model's MoE shape and trained routing, then the routing, cluster and backend flags given.
Settings modelSettings(const Args& a, const LmModel& m) {
    Settings s = modelBase(m);
    applyFlags(s, a);
    return checkedModelSettings(s, m, a);
}

// A chapter's or code's settings by the layering rule over the model's base.
Settings lessonModelSettings(const Args& a, const LmModel& m, const ModelLesson& from) {
    const Settings base = modelBase(m);
    return checkedModelSettings(layeredSettings(*from.request, from.lesson, nullptr, a, base, &base.router), m, a);
}

namespace {

// One layer's bytes: their experts, weights and kept flags (GShard's undispatched second
// choices left out, as in the one-layer JSON) and every expert's score.
void appendLayerTokens(std::string& out, const Routing& r) {
    out += "\"tokens\":[";
    for (int t = 0; t < r.tokens; ++t) {
        std::string experts, weights, kept;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
            if (r.skipped(s)) continue;
            const char* sep = experts.empty() ? "" : ",";
            experts += sep;
            weights += sep;
            kept += sep;
            appendInt(experts, r.slotExpert[s]);
            appendFloat(weights, r.slotWeight[s]);
            kept += r.slotKept[s] ? "true" : "false";
        }
        out += t ? ",{\"experts\":[" : "{\"experts\":[";
        out += experts + "],\"weights\":[" + weights + "],\"kept\":[" + kept + "],\"scores\":[";
        for (int e = 0; e < r.experts; ++e) {
            if (e) out += ',';
            appendFloat(out, r.scores(t, e));
        }
        out += "]}";
    }
    out += ']';
}

// The layers' routing, the next byte's five likeliest values, the bits per byte, and with
// --logprobs every row's 256 log-probabilities: the JSON after route's one-layer fields.
std::string modelJsonFields(const Settings& o, const LmRun& run, bool logprobs) {
    std::string out = ",\"layers\":[";
    for (size_t l = 0; l < run.layers.size(); ++l) {
        const LayerResult& res = run.layers[l];
        const Routing& r = res.routing;
        out += l ? ",{\"layer\":" : "{\"layer\":";
        appendInt(out, static_cast<long long>(l));
        out += ',';
        appendLayerTokens(out, r);
        const Traffic traffic = simulateTraffic(r, o.cluster, deviceLimit(o));
        out += ",\"metrics\":" + metricsJson(r, res.metrics, traffic).dump();
        out += ",\"expert_counts\":" + nlohmann::json(r.kept).dump();
        out += ",\"traffic\":" + routeTrafficJson(r, o.cluster, deviceLimit(o), traffic).dump() + "}";
    }
    out += ']';
    out += ",\"next_byte\":[";
    const std::vector<int> top = likeliestNextBytes(run, 5);
    for (size_t i = 0; i < top.size(); ++i) {
        out += i ? ",{\"byte\":" : "{\"byte\":";
        appendInt(out, top[i]);
        out += ",\"logprob\":";
        appendFloat(out, run.logprobs(run.logprobs.rows() - 1, top[i]));
        out += '}';
    }
    out += "],\"bits_per_byte\":";
    appendDouble(out, run.bitsPerByte);
    if (!logprobs) return out;
    out += ",\"logprobs\":[";
    for (Eigen::Index t = 0; t < run.logprobs.rows(); ++t) {
        out += t ? ",[" : "[";
        for (Eigen::Index j = 0; j < run.logprobs.cols(); ++j) {
            if (j) out += ',';
            appendFloat(out, run.logprobs(t, j));
        }
        out += ']';
    }
    return out + "]";
}

}  // namespace

int routeModel(const Args& a, const std::string& name, const ModelLesson& from) {
    refuseModelFlags(a);
    if (a.has("logprobs") && !a.has("json")) throw InputError("--logprobs", "needs --json");
    const LmModel m = loadLm(name);
    const Settings o = from.request ? lessonModelSettings(a, m, from) : modelSettings(a, m);
    const BackendChoice bc = makeBackend(o.backend, o.device);
    const LmRun run = runLm(*bc.backend, m, o.router, o.text);
    const LayerResult& first = run.layers[0];
    if (!first.fallback.empty()) std::cerr << "moelab: " << first.fallback << "\n";
    if (a.has("trace-out")) saveTrace(lmRunTrace(name, m.config, run, o.text), *a.str("trace-out"));
    if (a.has("json")) {
        nlohmann::json config =
            configJson(o, bc.backend->name(), bc.backend->device(), bc.fallbackReason, first.fallback);
        config["model"] = name;
        writeRouteJson(o, m.layers[0].moe, first, *bc.backend, config, a.has("outputs"),
                       modelJsonFields(o, run, a.has("logprobs")));
    } else {
        const int maxRows = static_cast<int>(a.integer("max-rows", 64, 0, 1 << 30));
        const size_t prefix = std::min(o.text.size(), size_t(maxRows) + 3);
        const std::vector<ByteToken> firstTokens = tokenize(std::string_view(o.text).substr(0, prefix));
        printLmReport(std::cout, o, name, m, run, firstTokens, routesAs(o, trainedRouting(m.config)), maxRows);
    }
    return 0;
}

namespace {

void writeGenerationJson(const std::string& model, const LmGeneration& g, const SampleOptions& so) {
    std::string out = "{\"model\":";
    appendString(out, model);
    out += ",\"prompt\":";
    appendString(out, std::string_view(g.text).substr(0, g.promptBytes));
    out += ",\"continuation\":";
    appendString(out, std::string_view(g.text).substr(g.promptBytes));
    out += ",\"sample_temperature\":";
    appendDouble(out, so.temperature);
    out += ",\"sample_seed\":";
    out += std::to_string(so.seed);
    out += ",\"generated\":[";
    for (size_t i = 0; i < g.generated.size(); ++i) {
        const GeneratedByte& b = g.generated[i];
        out += i ? ",{\"byte\":" : "{\"byte\":";
        appendInt(out, b.byte);
        out += ",\"logprob\":";
        appendFloat(out, b.logprob);
        out += ",\"layers\":";
        out += nlohmann::json(b.experts).dump();
        out += '}';
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int cmdGenerate(const std::vector<std::string>& argv) {
    const Args a(argv,
                 {"model", "text", "text-file", "bytes", "sample-temperature", "sample-seed", "backend", "device"},
                 {"json"});
    if (!a.has("model")) throw InputError("--model", "needed: the language model (tiny-lm, or a .safetensors path)");
    if (a.has("text") == a.has("text-file"))
        throw InputError("--text", "give the prompt as --text or --text-file (one)");
    std::string prompt = a.has("text") ? *a.str("text") : readFile(*a.str("text-file"));
    if (prompt.empty()) throw InputError(a.has("text") ? "--text" : "--text-file", "is empty: the prompt needs a byte");
    SampleOptions so;
    so.bytes = static_cast<int>(a.integer("bytes", 60, 0, 1 << 16));
    so.temperature = a.number("sample-temperature", 0.0, 0.0, 100.0);
    so.seed = static_cast<uint64_t>(a.integer("sample-seed", 0, 0, INT64_MAX));
    const LmModel m = loadLm(*a.str("model"));
    const BackendKind kind = parseEnum<BackendKind>(a.str("backend", "eigen"), "--backend");
    const BackendChoice bc = makeBackend(kind, a.str("device", ""));
    const LmGeneration g = generate(*bc.backend, m, trainedRouting(m.config), prompt, so);
    if (a.has("json")) {
        writeGenerationJson(*a.str("model"), g, so);
    } else {
        std::fwrite(g.text.data(), 1, g.text.size(), stdout);  // raw bytes: the text may end mid-character
        std::fputc('\n', stdout);
    }
    return 0;
}

}  // namespace moe::cli
