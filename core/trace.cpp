// Router traces as safetensors (docs/contract.md, "Router traces"): reading, checking, writing.
#include "trace.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "input_limits.hpp"
#include "safetensors.hpp"

namespace moe {
namespace {

constexpr int kMaxTraceExperts = 4096;  // as --experts
constexpr int kMaxTraceLayers = 4096;

std::string logitsName(int layer) { return "router_logits." + std::to_string(layer); }
std::string idsName(int layer) { return "topk_ids." + std::to_string(layer); }

// The metadata's "trace" object; a key at fault is named as __metadata__.trace.<key>.
class TraceMeta {
public:
    TraceMeta(const SafetensorsFile& f, const std::string& path) : m_path(path) {
        const auto it = f.metadata().find("trace");
        if (it == f.metadata().end()) fail("", "missing: the __metadata__ has no \"trace\" string");
        checkJsonDepth(it->second, key(""));
        try {
            m_json = nlohmann::json::parse(it->second);
        } catch (const nlohmann::json::exception& e) {
            fail("", std::string("is not valid JSON: ") + e.what());
        }
        if (!m_json.is_object()) fail("", "is not a JSON object");
    }
    [[noreturn]] void fail(const std::string& k, const std::string& message) const {
        throw InputError(key(k), message + " (in " + m_path + ")");
    }
    int integer(const std::string& k, int lo, int hi) const {
        const nlohmann::json* v = find(k);
        if (!v || !v->is_number_integer() || v->get<int64_t>() < lo || v->get<int64_t>() > hi)
            fail(k, "must be a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
        return static_cast<int>(v->get<int64_t>());
    }
    const nlohmann::json* find(const std::string& k) const {
        const auto it = m_json.find(k);
        return it == m_json.end() ? nullptr : &*it;
    }

private:
    std::string key(const std::string& k) const { return k.empty() ? "__metadata__.trace" : "__metadata__.trace." + k; }
    std::string m_path;
    nlohmann::json m_json;
};

void readMetadata(const TraceMeta& meta, RouterTrace& t, int& layers) {
    const nlohmann::json* model = meta.find("model");
    if (!model || !model->is_string()) meta.fail("model", "must be a string");
    t.model = model->get<std::string>();
    layers = meta.integer("num_layers", 1, kMaxTraceLayers);
    t.numExperts = meta.integer("num_experts", 1, kMaxTraceExperts);
    t.topK = meta.integer("top_k", 1, t.numExperts);
    if (const nlohmann::json* s = meta.find("score")) {
        if (!s->is_string()) meta.fail("score", "must be \"softmax\" or \"sigmoid\"");
        t.score = parseEnum<ScoreFn>(s->get<std::string>(), "__metadata__.trace.score");
    }
    if (const nlohmann::json* r = meta.find("renormalize")) {
        if (!r->is_boolean()) meta.fail("renormalize", "must be true or false");
        t.renormalize = r->get<bool>();
    }
    const nlohmann::json* text = meta.find("token_text");
    if (!text || !text->is_array()) meta.fail("token_text", "must be a list of strings, one per token");
    for (const auto& s : *text) {
        if (!s.is_string()) meta.fail("token_text", "holds " + s.dump() + ", not a string");
        t.tokenText.push_back(s.get<std::string>());
    }
}

// Layer l's recorded ids: each in 0..E-1, none twice in a token's row.
std::vector<int> readIds(const SafetensorsFile& f, const RouterTrace& t, int layer) {
    const std::string name = idsName(layer);
    const std::vector<int32_t> raw = f.ints(name, {t.tokenCount(), t.topK});
    for (size_t i = 0; i < raw.size(); ++i) {
        const size_t row = i / size_t(t.topK);
        if (raw[i] < 0 || raw[i] >= t.numExperts)
            throw InputError(name, "token " + std::to_string(row) + " names expert " + std::to_string(raw[i]) +
                                       ", outside 0.." + std::to_string(t.numExperts - 1));
        for (size_t j = row * t.topK; j < i; ++j)
            if (raw[j] == raw[i])
                throw InputError(name,
                                 "token " + std::to_string(row) + " names expert " + std::to_string(raw[i]) + " twice");
    }
    return std::vector<int>(raw.begin(), raw.end());
}

// Every tensor is one the contract names, for a layer the metadata counts.
void checkTensorNames(const SafetensorsFile& f, int layers) {
    for (const auto& [name, view] : f.tensors()) {
        if (name == "tokens") continue;
        bool known = false;
        for (const char* prefix : {"router_logits.", "topk_ids."}) {
            const std::string p = prefix;
            if (name.compare(0, p.size(), p) != 0) continue;
            const std::string index = name.substr(p.size());
            for (int l = 0; l < layers && !known; ++l) known = index == std::to_string(l);
        }
        if (!known)
            throw InputError(name, "is not a tensor of a trace with " + std::to_string(layers) +
                                       " layers (router_logits.<l>, topk_ids.<l>, tokens)");
    }
}

void readLayers(const SafetensorsFile& f, RouterTrace& t, int layers) {
    const bool logits = f.has(logitsName(0));
    if (!logits && !f.has(idsName(0)))
        throw InputError(logitsName(0), "missing, and so is " + idsName(0) + ": a trace needs one per layer");
    for (int l = 0; l < layers; ++l) {
        const std::string other = logits ? idsName(l) : logitsName(l);
        if (f.has(other))
            throw InputError(other, "a trace holds either router_logits or topk_ids for every layer, not both");
        if (logits)
            t.logits.push_back(f.matrix(logitsName(l), t.tokenCount(), t.numExperts));
        else
            t.topkIds.push_back(readIds(f, t, l));
    }
}

}  // namespace

RouterTrace parseTrace(std::string bytes, const std::string& path) {
    const SafetensorsFile f(std::move(bytes), path);
    RouterTrace t;
    int layers = 0;
    readMetadata(TraceMeta(f, path), t, layers);
    const TensorView& tokens = f.at("tokens");
    if (tokens.shape.size() != 1 || tokens.shape[0] < 1)
        throw InputError("tokens", "must have shape [T] with T >= 1 (in " + path + ")");
    for (int32_t v : f.ints("tokens", tokens.shape)) {
        if (v < -1) throw InputError("tokens", "holds " + std::to_string(v) + ": a token id is >= 0, or -1 (unknown)");
        t.tokens.push_back(v);
    }
    if (t.tokenText.size() != t.tokens.size())
        throw InputError("__metadata__.trace.token_text", "has " + std::to_string(t.tokenText.size()) +
                                                              " strings, but tokens has " +
                                                              std::to_string(t.tokens.size()) + " (in " + path + ")");
    checkTensorNames(f, layers);
    readLayers(f, t, layers);
    return t;
}

RouterTrace loadTrace(const std::string& path) { return parseTrace(readFile(path, kMaxWeightsFileBytes), path); }

std::string serializeTrace(const RouterTrace& trace) {
    const nlohmann::json meta = {{"model", trace.model},
                                 {"num_layers", trace.numLayers()},
                                 {"num_experts", trace.numExperts},
                                 {"top_k", trace.topK},
                                 {"token_text", trace.tokenText},
                                 {"score", std::string(toString(trace.score))},
                                 {"renormalize", trace.renormalize}};
    const std::vector<int32_t> tokens(trace.tokens.begin(), trace.tokens.end());
    std::vector<std::vector<int32_t>> ids;
    std::vector<TensorOut> out = {{"tokens", "I32", {trace.tokenCount()}, tokens.data()}};
    for (int l = 0; l < trace.numLayers(); ++l) {
        if (trace.hasLogits()) {
            const Mat& m = trace.logits[l];
            out.push_back({logitsName(l), "F32", {m.rows(), m.cols()}, m.data()});
        } else {
            ids.emplace_back(trace.topkIds[l].begin(), trace.topkIds[l].end());
            out.push_back({idsName(l), "I32", {trace.tokenCount(), trace.topK}, nullptr});
        }
    }
    for (size_t l = 0; l < ids.size(); ++l) out[l + 1].data = ids[l].data();  // after ids stopped growing
    // Replacing invalid UTF-8 keeps a token text that is not text from making the file unwritable.
    return serializeSafetensors(
        out, {{"trace", meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}, {"format", "pt"}});
}

void saveTrace(const RouterTrace& trace, const std::string& path) { writeFileAtomic(path, serializeTrace(trace)); }

RouterConfig traceRouterConfig(const RouterTrace& trace) {
    RouterConfig c;
    c.k = trace.topK;
    c.score = trace.score;
    c.temperature = 1.0f;
    c.renormalize = trace.renormalize;
    c.capacityFactor = 0.0;
    return c;
}

std::string byteTokenText(uint8_t byte) {
    if (byte >= 0x20 && byte < 0x7F) return std::string(1, char(byte));
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", byte);
    return buf;
}

}  // namespace moe
