#include "safetensors.hpp"
#include "settings_schema.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "input_limits.hpp"

namespace moe {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

int64_t dtypeSize(const std::string& d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
    return 0;
}

// Trained weights are of order 1; one beyond this makes the float arithmetic of a
// layer (sums over D and H of products) overflow. Neither it nor NaN or infinity loads.
constexpr float kMaxWeightMagnitude = 1e6f;

void checkValues(const std::string& name, const float* p, Eigen::Index n) {
    for (Eigen::Index i = 0; i < n; ++i) {
        if (std::isfinite(p[i]) && std::abs(p[i]) <= kMaxWeightMagnitude) continue;
        if (!std::isfinite(p[i]))
            throw InputError(name, "contains NaN or infinity (element " + std::to_string(i) + ")");
        char v[32];
        std::snprintf(v, sizeof v, "%g", double(p[i]));
        throw InputError(name,
                         "element " + std::to_string(i) + " is " + v +
                             ", beyond the magnitude 1e6 moelab loads (its 32-bit float arithmetic would overflow)");
    }
}

// A JSON list of integers; a float (JSON has one number type: 4e42 parses as one) or a
// value out of T's range is refused, as converting it would be undefined behaviour.
template <typename T>
std::vector<T> integers(const nlohmann::json& list, const std::string& tensor, const char* key) {
    if (!list.is_array()) throw InputError(tensor, std::string(key) + " is not a list");
    std::vector<T> out;
    for (const auto& v : list) {
        const bool fits = std::is_signed_v<T> ? v.is_number_integer() : v.is_number_unsigned();
        if (!fits) throw InputError(tensor, std::string(key) + " holds " + v.dump() + ", not an integer in range");
        out.push_back(v.get<T>());
    }
    return out;
}

std::string shapeText(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// Little-endian hosts only (x86-64, arm64), as the file is.
void copyFloats(const std::string& name, const TensorView& t, float* out, Eigen::Index n) {
    if (t.dtype == "F32") {
        std::memcpy(out, t.data, t.bytes);
    } else if (t.dtype == "F16" || t.dtype == "BF16") {
        const bool half = t.dtype == "F16";
        for (Eigen::Index i = 0; i < n; ++i) {
            uint16_t bits;
            std::memcpy(&bits, t.data + 2 * i, 2);
            out[i] = half ? halfToFloat(bits) : bfloat16ToFloat(bits);
        }
    } else {
        throw InputError(name, "dtype " + t.dtype + " is not supported (moelab reads F32, F16 and BF16)");
    }
    checkValues(name, out, n);
}

}  // namespace

float halfToFloat(uint16_t bits) {
    const int exponent = (bits >> 10) & 0x1F;
    const int mantissa = bits & 0x3FF;
    float v;
    if (exponent == 0)
        v = std::ldexp(float(mantissa), -24);  // zero and subnormals: m * 2^-24
    else if (exponent == 31)
        v = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        v = std::ldexp(float(mantissa | 0x400), exponent - 25);  // (1024 + m) * 2^(e - 15 - 10)
    return (bits & 0x8000) ? -v : v;
}

float bfloat16ToFloat(uint16_t bits) {
    const uint32_t wide = uint32_t(bits) << 16;
    float v;
    std::memcpy(&v, &wide, 4);
    return v;
}

SafetensorsFile::SafetensorsFile(std::string bytes, std::string path)
    : m_bytes(std::move(bytes)), m_path(std::move(path)) {
    if (m_bytes.size() < 8) throw InputError(m_path, "truncated: shorter than the 8-byte safetensors header length");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(m_bytes[i]);
    if (n > kMaxHeader) throw InputError(m_path, "header length " + std::to_string(n) + " is absurd (limit 100 MiB)");
    if (n > m_bytes.size() - 8)
        throw InputError(m_path, "truncated: header says " + std::to_string(n) + " bytes, file has " +
                                     std::to_string(m_bytes.size() - 8));
    checkJsonDepth(std::string_view(m_bytes).substr(8, n), m_path + " header");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(m_bytes.begin() + 8, m_bytes.begin() + 8 + static_cast<ptrdiff_t>(n));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(m_path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) throw InputError(m_path, "header is not a JSON object");
    const size_t dataStart = 8 + n;
    const size_t dataSize = m_bytes.size() - dataStart;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            if (info.is_object())
                for (const auto& [k, v] : info.items())
                    if (v.is_string()) m_metadata[k] = v.get<std::string>();
            continue;
        }
        try {
            TensorView t;
            t.dtype = info.at("dtype").get<std::string>();
            t.shape = integers<int64_t>(info.at("shape"), name, "shape");
            const auto off = integers<uint64_t>(info.at("data_offsets"), name, "data_offsets");
            if (off.size() != 2) throw InputError(name, "data_offsets must have 2 entries");
            const int64_t size = dtypeSize(t.dtype);
            if (size == 0) throw InputError(name, "unknown dtype " + t.dtype);
            // Overflow-checked: [2^32, 2^32] must not wrap to 0 elements.
            int64_t numel = 1;
            for (int64_t d : t.shape)
                if (d < 0 || __builtin_mul_overflow(numel, d, &numel) || numel > (int64_t(1) << 40))
                    throw InputError(name,
                                     "bad shape " + shapeText(t.shape) + ": more than 2^40 elements, or negative");
            if (off[0] > off[1] || off[1] > dataSize)
                throw InputError(name, "data [" + std::to_string(off[0]) + ", " + std::to_string(off[1]) +
                                           ") lies outside the file's " + std::to_string(dataSize) +
                                           " data bytes (truncated?)");
            if (off[1] - off[0] != static_cast<uint64_t>(numel * size))
                throw InputError(name, "holds " + std::to_string(off[1] - off[0]) + " bytes, but " + t.dtype + " " +
                                           shapeText(t.shape) + " needs " + std::to_string(numel * size));
            t.data = m_bytes.data() + dataStart + off[0];
            t.bytes = off[1] - off[0];
            m_tensors[name] = std::move(t);
        } catch (const nlohmann::json::exception& e) {
            throw InputError(name, std::string("malformed header entry: ") + e.what());
        }
    }
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
    auto it = m_tensors.find(name);
    if (it == m_tensors.end()) throw InputError(name, "missing from " + m_path);
    return it->second;
}

Mat SafetensorsFile::matrix(const std::string& name, int64_t rows, int64_t cols) const {
    const TensorView& t = at(name);
    if (t.shape != std::vector<int64_t>{rows, cols})
        throw InputError(name, "shape " + shapeText(t.shape) + ", expected " + shapeText({rows, cols}));
    Mat m(rows, cols);
    copyFloats(name, t, m.data(), m.size());
    return m;
}

Vec SafetensorsFile::vector(const std::string& name, int64_t size) const {
    const TensorView& t = at(name);
    if (t.shape != std::vector<int64_t>{size})
        throw InputError(name, "shape " + shapeText(t.shape) + ", expected " + shapeText({size}));
    Vec v(size);
    copyFloats(name, t, v.data(), v.size());
    return v;
}

std::vector<int32_t> SafetensorsFile::ints(const std::string& name, const std::vector<int64_t>& shape) const {
    const TensorView& t = at(name);
    if (t.shape != shape) throw InputError(name, "shape " + shapeText(t.shape) + ", expected " + shapeText(shape));
    const int64_t size = dtypeSize(t.dtype);
    if ((t.dtype != "I16" && t.dtype != "I32" && t.dtype != "I64"))
        throw InputError(name, "dtype " + t.dtype + " is not supported (moelab reads I16, I32 and I64 here)");
    const size_t n = t.bytes / size_t(size);
    std::vector<int32_t> out(n);
    for (size_t i = 0; i < n; ++i) {
        int64_t v = 0;
        if (size == 2) {
            int16_t x;
            std::memcpy(&x, t.data + 2 * i, 2);
            v = x;
        } else if (size == 4) {
            int32_t x;
            std::memcpy(&x, t.data + 4 * i, 4);
            v = x;
        } else {
            std::memcpy(&v, t.data + 8 * i, 8);
        }
        if (v < INT32_MIN || v > INT32_MAX)
            throw InputError(name, "element " + std::to_string(i) + " is " + std::to_string(v) + ", beyond int32");
        out[i] = static_cast<int32_t>(v);
    }
    return out;
}

std::string serializeSafetensors(const std::vector<TensorOut>& tensors,
                                 const std::map<std::string, std::string>& metadata) {
    const auto bytesOf = [](const TensorOut& e) {
        int64_t numel = 1;
        for (int64_t d : e.shape) numel *= d;
        return uint64_t(numel) * 4;  // F32 and I32 alike
    };
    nlohmann::json header;
    uint64_t offset = 0;
    for (const TensorOut& e : tensors) {
        header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytesOf(e)}}};
        offset += bytesOf(e);
    }
    header["__metadata__"] = metadata;
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference writer does
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(h.size()) >> (8 * i)) & 0xFF);
    out += h;
    out.reserve(out.size() + offset);
    for (const TensorOut& e : tensors) out.append(static_cast<const char*>(e.data), static_cast<size_t>(bytesOf(e)));
    return out;
}

std::string serializeWeights(const ModelWeights& w, bool noisyTopk) {
    std::vector<TensorOut> entries;
    const auto addMat = [&](const std::string& n, const Mat& m) {
        entries.push_back({n, "F32", {m.rows(), m.cols()}, m.data()});
    };
    const auto addVec = [&](const std::string& n, const Vec& v) {
        entries.push_back({n, "F32", {v.size()}, v.data()});
    };
    addMat("embed.weight", w.embed);
    addMat("router.w_g.weight", w.routerW);
    addVec("router.w_g.bias", w.routerB);
    if (noisyTopk || !w.noiseW.isZero(0)) addMat("router.w_noise.weight", w.noiseW);
    if (!w.expertBias.isZero(0)) addVec("router.expert_bias", w.expertBias);
    const auto addExperts = [&](const std::string& prefix, const std::vector<ExpertWeights>& list) {
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string p = prefix + "." + std::to_string(i) + ".ffn.";
            addMat(p + "0.weight", list[i].w1);
            addVec(p + "0.bias", list[i].b1);
            if (list[i].wGate.size()) {
                addMat(p + "gate.weight", list[i].wGate);
                addVec(p + "gate.bias", list[i].bGate);
            }
            addMat(p + "2.weight", list[i].w2);
            addVec(p + "2.bias", list[i].b2);
        }
    };
    addExperts("experts", w.experts);
    addExperts("shared_experts", w.shared);
    if (w.mixer.size()) addMat("mixer.conv.weight", w.mixer);
    if (w.headW.size()) {
        addMat("head.weight", w.headW);
        addVec("head.bias", w.headB);
    }

    return serializeSafetensors(
        entries, {{"format", "pt"}, {"activation", std::string(toString(w.shape.activation))}, {"producer", "moelab"}});
}

void saveWeights(const ModelWeights& w, const std::string& path, bool noisyTopk) {
    writeFileAtomic(path, serializeWeights(w, noisyTopk));
}

ModelWeights loadWeights(const std::string& path, Activation fallback) {
    return parseWeights(readFile(path, kMaxWeightsFileBytes), path, fallback);
}

ModelWeights parseWeights(std::string bytes, const std::string& path, Activation fallback) {
    const SafetensorsFile f(std::move(bytes), path);
    ModelWeights m;
    const TensorView& embed = f.at("embed.weight");
    if (embed.shape.size() != 2 || embed.shape[0] != 256) throw InputError("embed.weight", "expected shape [256, D]");
    const TensorView& router = f.at("router.w_g.weight");
    if (router.shape.size() != 2) throw InputError("router.w_g.weight", "expected shape [E, D]");
    const TensorView& ffn0 = f.at("experts.0.ffn.0.weight");
    if (ffn0.shape.size() != 2) throw InputError("experts.0.ffn.0.weight", "expected shape [H, D]");

    ModelShape& s = m.shape;
    s.dim = static_cast<int>(embed.shape[1]);
    s.experts = static_cast<int>(router.shape[0]);
    s.hidden = static_cast<int>(ffn0.shape[0]);
    while (f.has("shared_experts." + std::to_string(s.sharedExperts) + ".ffn.0.weight")) ++s.sharedExperts;
    const bool hasGate = f.has("experts.0.ffn.gate.weight");
    auto act = f.metadata().find("activation");
    s.activation =
        act != f.metadata().end() ? parseEnum<Activation>(act->second, path + " metadata activation") : fallback;
    if (hasGate)
        s.activation = Activation::SwiGlu;
    else if (s.activation == Activation::SwiGlu)
        throw InputError("experts.0.ffn.gate.weight", "missing: swiglu needs a gate");
    validate(s);

    const int E = s.experts, D = s.dim, H = s.hidden;
    m.embed = f.matrix("embed.weight", 256, D);
    m.routerW = f.matrix("router.w_g.weight", E, D);
    m.routerB = f.vector("router.w_g.bias", E);
    m.noiseW = f.has("router.w_noise.weight") ? f.matrix("router.w_noise.weight", E, D) : Mat::Zero(E, D);
    m.expertBias = f.has("router.expert_bias") ? f.vector("router.expert_bias", E) : Vec::Zero(E);
    const auto loadExpert = [&](const std::string& p) {
        ExpertWeights e;
        e.w1 = f.matrix(p + ".ffn.0.weight", H, D);
        e.b1 = f.vector(p + ".ffn.0.bias", H);
        if (s.activation == Activation::SwiGlu) {
            e.wGate = f.matrix(p + ".ffn.gate.weight", H, D);
            e.bGate = f.vector(p + ".ffn.gate.bias", H);
        }
        e.w2 = f.matrix(p + ".ffn.2.weight", D, H);
        e.b2 = f.vector(p + ".ffn.2.bias", D);
        return e;
    };
    for (int i = 0; i < E; ++i) m.experts.push_back(loadExpert("experts." + std::to_string(i)));
    for (int i = 0; i < s.sharedExperts; ++i) m.shared.push_back(loadExpert("shared_experts." + std::to_string(i)));
    if (f.has("mixer.conv.weight")) {
        const TensorView& mx = f.at("mixer.conv.weight");
        if (mx.shape.size() != 2 || mx.shape[0] < 1 || mx.shape[0] > 64)
            throw InputError("mixer.conv.weight", "expected shape [K, D], K in 1..64");
        m.mixer = f.matrix("mixer.conv.weight", mx.shape[0], D);
    }
    if (f.has("head.weight")) {
        m.headW = f.matrix("head.weight", 256, D);
        m.headB = f.vector("head.bias", 256);
    }
    m.touch();
    return m;
}

}  // namespace moe
