#include "lm_model.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "../atomic_file.hpp"
#include "../data_dir.hpp"
#include "../errors.hpp"
#include "../input_limits.hpp"
#include "../safetensors.hpp"

namespace moe {
namespace {

using nlohmann::json;

// Reads config[key]; throws InputError("<source> config.<key>") when missing or of another kind.
class ConfigReader {
public:
    ConfigReader(const json& j, const std::string& source) : m_j(j), m_source(source) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw InputError(m_source + " config." + key, what);
    }
    const json& at(const std::string& key) const {
        if (!m_j.contains(key)) fail(key, "missing from the model's config");
        return m_j.at(key);
    }
    int integer(const std::string& key, int lo, int hi) const {
        const json& v = at(key);
        if (!v.is_number_integer()) fail(key, "must be an integer (got " + v.dump() + ")");
        const double d = v.get<double>();
        if (d < lo || d > hi)
            fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " + v.dump() + ")");
        return static_cast<int>(v.get<int64_t>());
    }
    double positive(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
            fail(key, "must be a positive number (got " + v.dump() + ")");
        return v.get<double>();
    }
    bool boolean(const std::string& key) const {
        const json& v = at(key);
        if (!v.is_boolean()) fail(key, "must be true or false (got " + v.dump() + ")");
        return v.get<bool>();
    }

private:
    const json& m_j;
    const std::string& m_source;
};

void checkConsistent(const LmConfig& c, const ConfigReader& r) {
    if (c.vocabSize != 256) r.fail("vocab_size", "must be 256: the model reads bytes");
    if (c.heads % c.kvHeads != 0)
        r.fail("num_attention_heads", "must be a multiple of num_key_value_heads (" + std::to_string(c.kvHeads) + ")");
    if (c.hidden % c.heads != 0)
        r.fail("hidden_size", "must be a multiple of num_attention_heads (" + std::to_string(c.heads) + ")");
    if (c.headDim() % 2 != 0)
        r.fail("hidden_size", "/ num_attention_heads (the head size " + std::to_string(c.headDim()) +
                                  ") must be even: RoPE rotates pairs");
    if (c.expertsPerToken > c.experts)
        r.fail("num_experts_per_tok", "must be at most num_local_experts (" + std::to_string(c.experts) + ")");
}

}  // namespace

LmConfig parseLmConfig(const std::string& text, const std::string& source) {
    checkJsonDepth(text, source + " config");
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw InputError(source + " config", std::string("is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw InputError(source + " config", "is not a JSON object");
    const ConfigReader r(j, source);
    LmConfig c;
    c.vocabSize = r.integer("vocab_size", 1, 1 << 20);
    c.hidden = r.integer("hidden_size", 1, 65536);
    c.intermediate = r.integer("intermediate_size", 1, 262144);
    c.layers = r.integer("num_hidden_layers", 1, 1024);
    c.heads = r.integer("num_attention_heads", 1, 65536);
    c.kvHeads = r.integer("num_key_value_heads", 1, 65536);
    c.experts = r.integer("num_local_experts", 1, 4096);
    c.expertsPerToken = r.integer("num_experts_per_tok", 1, 4096);
    c.ropeTheta = r.positive("rope_theta");
    c.rmsEps = static_cast<float>(r.positive("rms_norm_eps"));
    c.maxPositions = r.integer("max_position_embeddings", 1, 1 << 24);
    c.tieEmbeddings = r.boolean("tie_word_embeddings");
    checkConsistent(c, r);
    return c;
}

namespace {

// Mixtral's w1 (gated by silu) is moelab's wGate, w3 its w1, w2 its w2; no biases.
ModelWeights loadMoe(const SafetensorsFile& f, const LmConfig& c, const std::string& prefix) {
    ModelWeights m;
    m.shape = {c.experts, c.hidden, c.intermediate, 0, Activation::SwiGlu};
    const int E = c.experts, D = c.hidden, H = c.intermediate;
    m.routerW = f.matrix(prefix + "gate.weight", E, D);
    m.routerB = Vec::Zero(E);
    m.noiseW = Mat::Zero(E, D);
    m.expertBias = Vec::Zero(E);
    for (int e = 0; e < E; ++e) {
        const std::string p = prefix + "experts." + std::to_string(e) + ".";
        ExpertWeights x;
        x.wGate = f.matrix(p + "w1.weight", H, D);
        x.w1 = f.matrix(p + "w3.weight", H, D);
        x.w2 = f.matrix(p + "w2.weight", D, H);
        x.bGate = Vec::Zero(H);
        x.b1 = Vec::Zero(H);
        x.b2 = Vec::Zero(D);
        m.experts.push_back(std::move(x));
    }
    m.touch();
    return m;
}

LmLayer loadLayer(const SafetensorsFile& f, const LmConfig& c, int l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const int D = c.hidden, hd = c.headDim();
    LmLayer layer;
    layer.inputNorm = f.vector(p + "input_layernorm.weight", D);
    layer.q = f.matrix(p + "self_attn.q_proj.weight", int64_t(c.heads) * hd, D);
    layer.k = f.matrix(p + "self_attn.k_proj.weight", int64_t(c.kvHeads) * hd, D);
    layer.v = f.matrix(p + "self_attn.v_proj.weight", int64_t(c.kvHeads) * hd, D);
    layer.o = f.matrix(p + "self_attn.o_proj.weight", D, int64_t(c.heads) * hd);
    layer.postNorm = f.vector(p + "post_attention_layernorm.weight", D);
    layer.moe = loadMoe(f, c, p + "block_sparse_moe.");
    return layer;
}

}  // namespace

std::string lmPath(const std::string& nameOrPath) {
    return nameOrPath == "tiny-lm" ? dataPath("models/tiny-lm.safetensors") : nameOrPath;
}

LmModel loadLm(const std::string& nameOrPath) {
    const std::string path = lmPath(nameOrPath);
    return parseLm(readFile(path, kMaxWeightsFileBytes), path);
}

LmModel parseLm(std::string bytes, const std::string& path) {
    const SafetensorsFile f(std::move(bytes), path);
    const auto config = f.metadata().find("config");
    if (config == f.metadata().end())
        throw InputError(path, "has no \"config\" in its __metadata__: not a moelab/Mixtral language model file");
    LmModel m;
    m.source = path;
    m.config = parseLmConfig(config->second, path);
    const LmConfig& c = m.config;
    m.embed = f.matrix("model.embed_tokens.weight", c.vocabSize, c.hidden);
    for (int l = 0; l < c.layers; ++l) m.layers.push_back(loadLayer(f, c, l));
    m.finalNorm = f.vector("model.norm.weight", c.hidden);
    m.lmHead = c.tieEmbeddings ? m.embed : f.matrix("lm_head.weight", c.vocabSize, c.hidden);
    m.rope = ropeTable(std::min(c.maxPositions, kRopeCached), c.headDim(), c.ropeTheta);
    return m;
}

}  // namespace moe
