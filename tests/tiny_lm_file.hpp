#pragma once
// A small random language model file for tests, written here byte by byte (not by moelab).
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "rng.hpp"

namespace moe::test {

// A small random Mixtral as safetensors (F32): D 8, 2 heads of 4, 1 KV head, H 6, E 4, k 2, 2 layers.
inline nlohmann::json tinyConfig() {
    return {{"vocab_size", 256},
            {"hidden_size", 8},
            {"intermediate_size", 6},
            {"num_hidden_layers", 2},
            {"num_attention_heads", 2},
            {"num_key_value_heads", 1},
            {"num_local_experts", 4},
            {"num_experts_per_tok", 2},
            {"rope_theta", 10000.0},
            {"rms_norm_eps", 1e-5},
            {"max_position_embeddings", 16},
            {"tie_word_embeddings", false}};
}

inline std::vector<std::pair<std::string, std::vector<int64_t>>> tinyTensors() {
    std::vector<std::pair<std::string, std::vector<int64_t>>> t = {{"model.embed_tokens.weight", {256, 8}}};
    for (int l = 0; l < 2; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        t.push_back({p + "input_layernorm.weight", {8}});
        t.push_back({p + "self_attn.q_proj.weight", {8, 8}});
        t.push_back({p + "self_attn.k_proj.weight", {4, 8}});
        t.push_back({p + "self_attn.v_proj.weight", {4, 8}});
        t.push_back({p + "self_attn.o_proj.weight", {8, 8}});
        t.push_back({p + "post_attention_layernorm.weight", {8}});
        t.push_back({p + "block_sparse_moe.gate.weight", {4, 8}});
        for (int e = 0; e < 4; ++e) {
            const std::string q = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
            t.push_back({q + "w1.weight", {6, 8}});
            t.push_back({q + "w3.weight", {6, 8}});
            t.push_back({q + "w2.weight", {8, 6}});
        }
    }
    t.push_back({"model.norm.weight", {8}});
    t.push_back({"lm_head.weight", {256, 8}});
    return t;
}

inline std::string tinyLmFile(const nlohmann::json& config = tinyConfig(), const std::string& leaveOut = "") {
    nlohmann::json header = {{"__metadata__", {{"config", config.dump()}}}};
    std::string data;
    Rng rng(7, "tiny-lm");
    for (const auto& [name, shape] : tinyTensors()) {
        if (name == leaveOut) continue;
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        std::vector<float> v(n);
        for (float& f : v) f = rng.uniform(-0.5f, 0.5f) + (shape.size() == 1 ? 1.0f : 0.0f);  // norms near 1
        header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {data.size(), data.size() + 4 * n}}};
        data.append(reinterpret_cast<const char*>(v.data()), 4 * n);
    }
    const std::string h = header.dump();
    std::string out(8, '\0');
    const uint64_t len = h.size();
    std::memcpy(out.data(), &len, 8);
    return out + h + data;
}

}  // namespace moe::test
