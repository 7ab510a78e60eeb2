#pragma once
// safetensors (huggingface/safetensors): u64 little-endian header length N,
// N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}},
// then the raw tensor bytes. moelab reads F32, F16 and BF16 (as float32) and I16, I32 and
// I64 (as int32), and writes F32 and I32.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "weights.hpp"

namespace moe {

struct TensorView {
    std::string dtype;
    std::vector<int64_t> shape;
    const char* data = nullptr;  // into the file's bytes
    size_t bytes = 0;
};

// Parses and checks the container (header size, JSON, offsets inside the file,
// byte counts matching dtype and shape). Throws InputError naming file or tensor.
class SafetensorsFile {
public:
    SafetensorsFile(std::string bytes, std::string path);
    bool has(const std::string& name) const { return m_tensors.count(name) != 0; }
    const TensorView& at(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::map<std::string, TensorView>& tensors() const { return m_tensors; }

    // Copies an F32, F16 or BF16 tensor of exactly this shape as float32; throws
    // InputError naming it otherwise.
    Mat matrix(const std::string& name, int64_t rows, int64_t cols) const;
    Vec vector(const std::string& name, int64_t size) const;
    // Copies an I16, I32 or I64 tensor of exactly this shape as int32 (an I64 value beyond
    // int32 is refused); throws InputError naming it otherwise.
    std::vector<int32_t> ints(const std::string& name, const std::vector<int64_t>& shape) const;

private:
    std::string m_bytes;
    std::string m_path;
    std::map<std::string, TensorView> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

// IEEE 754 half precision and bfloat16 (the top 16 bits of a float32) to float32, exactly.
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

// One tensor to write: F32 (data points at floats) or I32 (at int32s), numel elements.
struct TensorOut {
    std::string name;
    std::string dtype;  // "F32" or "I32"
    std::vector<int64_t> shape;
    const void* data = nullptr;
};
// The file bytes of these tensors in this order, with these __metadata__ strings.
std::string serializeSafetensors(const std::vector<TensorOut>& tensors,
                                 const std::map<std::string, std::string>& metadata);

// Serialises the weights with PyTorch state_dict names; metadata records the activation.
// Only what the model uses is written, so that the seeds' SimpleMoE loads the file
// strictly: the noise weights when noisy top-k is on or they are non-zero, the
// selection bias when it is non-zero (loading reads a missing one as zeros).
std::string serializeWeights(const ModelWeights& w, bool noisyTopk = false);
void saveWeights(const ModelWeights& w, const std::string& path, bool noisyTopk = false);

// Shapes come from the file; the activation from its metadata, else `fallback`
// (a file without a SwiGLU gate cannot be swiglu).
ModelWeights loadWeights(const std::string& path, Activation fallback = Activation::Relu);
ModelWeights parseWeights(std::string bytes, const std::string& path, Activation fallback = Activation::Relu);

}  // namespace moe
