#pragma once
// The little MoE language model (docs/contract.md, "The little MoE language model"): a
// byte-level Mixtral read from safetensors with Hugging Face Mixtral's tensor names and
// its config JSON in the file's __metadata__ under "config".
#include <string>
#include <vector>

#include "../weights.hpp"
#include "lm_ops.hpp"

namespace moe {

struct LmConfig {
    int vocabSize = 256;
    int hidden = 128;         // hidden_size D
    int intermediate = 256;   // intermediate_size H (each expert's)
    int layers = 4;           // num_hidden_layers
    int heads = 4;            // num_attention_heads
    int kvHeads = 2;          // num_key_value_heads
    int experts = 8;          // num_local_experts E
    int expertsPerToken = 2;  // num_experts_per_tok k
    double ropeTheta = 10000.0;
    float rmsEps = 1e-5f;
    int maxPositions = 256;  // max_position_embeddings (the trained length; longer texts run)
    bool tieEmbeddings = false;

    int headDim() const { return hidden / heads; }
    AttentionShape attention() const { return {heads, kvHeads, headDim()}; }
};

// Parses and checks the metadata's "config" JSON; throws InputError("<source> config.<key>")
// for a missing or bad field.
LmConfig parseLmConfig(const std::string& json, const std::string& source);

struct LmLayer {
    Vec inputNorm;     // [D] input_layernorm
    Mat q, k, v, o;    // q [heads*hd, D], k and v [kvHeads*hd, D], o [D, heads*hd]
    Vec postNorm;      // [D] post_attention_layernorm
    ModelWeights moe;  // router (gate) and experts, as moelab's SwiGLU layer: biases zero
};

struct LmModel {
    std::string source;  // the path it was read from
    LmConfig config;
    Mat embed;  // [256, D]
    std::vector<LmLayer> layers;
    Vec finalNorm;   // [D]
    Mat lmHead;      // [256, D]: a copy of embed when tie_word_embeddings
    RopeTable rope;  // positions 0..min(max_position_embeddings, kRopeCached)-1
};

// The rope table a model keeps ready; longer texts compute their own.
inline constexpr int kRopeCached = 4096;

// "tiny-lm" (the shipped model, <data>/models/tiny-lm.safetensors) or a path. Throws
// InputError naming the file, the config key or the tensor at fault.
LmModel loadLm(const std::string& nameOrPath);
LmModel parseLm(std::string bytes, const std::string& path);

// The file loadLm reads for a name or path.
std::string lmPath(const std::string& nameOrPath);

}  // namespace moe
