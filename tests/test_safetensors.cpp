#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "safetensors.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

struct RawTensor {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string bytes;
};

// A file as another writer (PyTorch's safetensors) would make it: our own byte layout code is not used.
std::string buildFile(const std::vector<RawTensor>& ts, const nlohmann::json& extraHeader = {}) {
    nlohmann::json h = extraHeader.is_null() ? nlohmann::json::object() : extraHeader;
    std::string data;
    for (const auto& t : ts) {
        h[t.name] = {
            {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
        data += t.bytes;
    }
    const std::string hs = h.dump();
    std::string out(8, '\0');
    const uint64_t n = hs.size();
    std::memcpy(out.data(), &n, 8);
    return out + hs + data;
}

std::string floats(std::vector<float> v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4); }

std::vector<RawTensor> tinyModel(int E = 2, int D = 2, int H = 3) {
    std::vector<RawTensor> ts;
    ts.push_back({"embed.weight", "F32", {256, D}, floats(std::vector<float>(256 * D, 0.5f))});
    ts.push_back({"router.w_g.weight", "F32", {E, D}, floats(std::vector<float>(E * D, 0.25f))});
    ts.push_back({"router.w_g.bias", "F32", {E}, floats(std::vector<float>(E, 0.0f))});
    for (int i = 0; i < E; ++i) {
        const std::string p = "experts." + std::to_string(i) + ".ffn.";
        ts.push_back({p + "0.weight", "F32", {H, D}, floats(std::vector<float>(H * D, float(i)))});
        ts.push_back({p + "0.bias", "F32", {H}, floats(std::vector<float>(H, 1.0f))});
        ts.push_back({p + "2.weight", "F32", {D, H}, floats(std::vector<float>(D * H, 2.0f))});
        ts.push_back({p + "2.bias", "F32", {D}, floats(std::vector<float>(D, 3.0f))});
    }
    return ts;
}

std::string fieldOf(const std::string& bytes) {
    return test::inputErrorField([&] { parseWeights(bytes, "test.safetensors"); });
}

}  // namespace

TEST(Safetensors, RoundTripIsExact) {
    ModelShape s;
    s.experts = 3;
    s.dim = 5;
    s.hidden = 7;
    s.sharedExperts = 2;
    s.activation = Activation::SwiGlu;
    ModelWeights w = initWeights(s, 11);
    w.expertBias << 0.1f, -0.2f, 0.3f;
    const std::string bytes = serializeWeights(w);
    const ModelWeights r = parseWeights(bytes, "x");
    EXPECT_EQ(r.shape.experts, 3);
    EXPECT_EQ(r.shape.hidden, 7);
    EXPECT_EQ(r.shape.sharedExperts, 2);
    EXPECT_EQ(r.shape.activation, Activation::SwiGlu);
    EXPECT_EQ(r.embed, w.embed);
    EXPECT_EQ(r.expertBias, w.expertBias);
    EXPECT_EQ(r.experts[2].wGate, w.experts[2].wGate);
    EXPECT_EQ(r.shared[1].b2, w.shared[1].b2);
    EXPECT_EQ(serializeWeights(r), bytes);
    // The header is 8-byte aligned, as the reference writer leaves it.
    uint64_t n;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
}

// The seeds' SimpleMoE loads an export strictly only when it holds no tensor the model does not use.
TEST(Safetensors, WritesTheNoiseWeightsAndSelectionBiasOnlyWhenTheyAreUsed) {
    ModelShape s;
    s.experts = 2;
    s.dim = 3;
    s.hidden = 4;
    ModelWeights w = initWeights(s, 5);
    const auto names = [](const std::string& bytes) {
        uint64_t n;
        std::memcpy(&n, bytes.data(), 8);
        std::set<std::string> out;
        const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
        for (const auto& [k, v] : header.items())
            if (k != "__metadata__") out.insert(k);
        return out;
    };
    const std::set<std::string> plain = names(serializeWeights(w));
    EXPECT_EQ(plain, (std::set<std::string>{"embed.weight", "router.w_g.weight", "router.w_g.bias",
                                            "experts.0.ffn.0.weight", "experts.0.ffn.0.bias", "experts.0.ffn.2.weight",
                                            "experts.0.ffn.2.bias", "experts.1.ffn.0.weight", "experts.1.ffn.0.bias",
                                            "experts.1.ffn.2.weight", "experts.1.ffn.2.bias"}));
    EXPECT_TRUE(
        names(serializeWeights(w, true)).count("router.w_noise.weight"));  // noisy top-k reads them, zero or not
    w.noiseW(1, 2) = 0.5f;
    w.expertBias(0) = -0.25f;
    const std::set<std::string> used = names(serializeWeights(w));
    EXPECT_TRUE(used.count("router.w_noise.weight"));
    EXPECT_TRUE(used.count("router.expert_bias"));
    EXPECT_EQ(used.size(), plain.size() + 2);
    const ModelWeights r = parseWeights(serializeWeights(w), "x");
    EXPECT_EQ(r.noiseW(1, 2), 0.5f);
    EXPECT_EQ(r.expertBias(0), -0.25f);
}

TEST(Safetensors, ForeignFileWithExtraTensorsLoads) {
    auto ts = tinyModel();
    ts.insert(ts.begin(), {"lm_head.step", "I64", {1}, std::string(8, '\0')});
    ts.push_back({"optimizer.something", "BF16", {2, 2}, std::string(8, '\1')});
    const ModelWeights w = parseWeights(buildFile(ts, {{"__metadata__", {{"format", "pt"}}}}), "torch.safetensors");
    EXPECT_EQ(w.shape.experts, 2);
    EXPECT_EQ(w.shape.dim, 2);
    EXPECT_EQ(w.shape.hidden, 3);
    EXPECT_EQ(w.shape.activation, Activation::Relu);
    EXPECT_FLOAT_EQ(w.experts[1].w1(2, 1), 1.0f);
    EXPECT_FLOAT_EQ(w.experts[0].b2(1), 3.0f);
    EXPECT_EQ(w.noiseW.cwiseAbs().maxCoeff(), 0.0f);  // absent: zeros
}

TEST(Safetensors, TruncatedFilesAreRefused) {
    const std::string good = buildFile(tinyModel());
    EXPECT_EQ(fieldOf(good), "(no error)");
    EXPECT_EQ(fieldOf(good.substr(0, 5)), "test.safetensors");
    EXPECT_EQ(fieldOf(good.substr(0, 40)), "test.safetensors");  // header cut
    // Data cut: the last tensor's bytes are missing; the error names it.
    EXPECT_EQ(fieldOf(good.substr(0, good.size() - 4)), "experts.1.ffn.2.bias");
}

TEST(Safetensors, AbsurdHeaderSize) {
    std::string bad = buildFile(tinyModel());
    const uint64_t huge = 1ull << 62;
    std::memcpy(bad.data(), &huge, 8);
    EXPECT_EQ(fieldOf(bad), "test.safetensors");
}

TEST(Safetensors, MalformedJson) {
    std::string bad = buildFile(tinyModel());
    bad[9] = '#';
    EXPECT_EQ(fieldOf(bad), "test.safetensors");
}

TEST(Safetensors, WrongDtypeNamesTheTensor) {
    auto ts = tinyModel();
    ts[1].dtype = "I16";  // a well-formed integer tensor where floats belong
    ts[1].bytes.resize(ts[1].bytes.size() / 2);
    EXPECT_EQ(fieldOf(buildFile(ts)), "router.w_g.weight");
}

TEST(Safetensors, HalfPrecisionBitPatterns) {
    EXPECT_EQ(halfToFloat(0x3C00), 1.0f);                             // exponent 15 (bias 15), mantissa 0
    EXPECT_EQ(halfToFloat(0xC000), -2.0f);                            // sign, exponent 16
    EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);                  // (1024 + 341) / 1024 * 2^-2
    EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);                         // the largest finite half: (2047 / 1024) * 2^15
    EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));            // the smallest subnormal: 1 * 2^-24
    EXPECT_EQ(halfToFloat(0x03FF), 1023.0f * std::ldexp(1.0f, -24));  // the largest subnormal
    EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));            // the smallest normal
    EXPECT_TRUE(std::signbit(halfToFloat(0x8000)) && halfToFloat(0x8000) == 0.0f);  // -0
    EXPECT_TRUE(std::isinf(halfToFloat(0x7C00)) && halfToFloat(0x7C00) > 0);
    EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
    EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);          // the top half of 0x3F800000
    EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);         // 0xC0400000 = -1.5 * 2
    EXPECT_EQ(bfloat16ToFloat(0x3EAB), 0.333984375f);  // 0x3EAB0000 = (128 + 43) / 128 * 2^-2
}

namespace {
// The model with every tensor as 16-bit floats: 0.25, 0.5, 0, 1, 2 and 3 are exact in both formats.
std::string as16Bit(const std::vector<RawTensor>& model, const std::string& dtype) {
    auto ts = model;
    for (RawTensor& t : ts) {
        std::string out;
        for (size_t i = 0; i < t.bytes.size(); i += 4) {
            float f;
            std::memcpy(&f, t.bytes.data() + i, 4);
            uint32_t bits;
            std::memcpy(&bits, &f, 4);
            // Exact values only: for F16 rebuild from the float's exponent and top mantissa bits.
            const int e = int((bits >> 23) & 0xFF) - 127 + 15;
            uint16_t h = dtype == "BF16" ? uint16_t(bits >> 16)
                         : f == 0.0f     ? 0
                                         : uint16_t(((bits >> 16) & 0x8000) | (e << 10) | ((bits >> 13) & 0x3FF));
            out.append(reinterpret_cast<const char*>(&h), 2);
        }
        t.dtype = dtype;
        t.bytes = out;
    }
    return buildFile(ts);
}
}  // namespace

TEST(Safetensors, ReadsF16AndBf16AsFloat32) {
    for (const std::string dtype : {"F16", "BF16"}) {
        const ModelWeights w = parseWeights(as16Bit(tinyModel(), dtype), "test.safetensors");
        EXPECT_EQ(w.embed(0, 0), 0.5f) << dtype;
        EXPECT_EQ(w.routerW(1, 1), 0.25f) << dtype;
        EXPECT_EQ(w.experts[1].w1(2, 1), 1.0f) << dtype;  // experts.1.ffn.0.weight holds i = 1
        EXPECT_EQ(w.experts[0].w2(1, 2), 2.0f) << dtype;
        EXPECT_EQ(w.experts[0].b2(1), 3.0f) << dtype;
    }
    // An F16 tensor must hold 2 bytes per element.
    auto bad = tinyModel();
    bad[0].dtype = "F16";  // embed.weight [256, D] keeps its 4-byte elements: twice too many bytes
    EXPECT_EQ(fieldOf(buildFile(bad)), "embed.weight");
}

TEST(Safetensors, WrongShapeNamesTheTensor) {
    auto ts = tinyModel();
    ts[5].shape = {4, 2};  // experts.0.ffn.2.weight should be [D, H] = [2, 3]
    ts[5].bytes = floats(std::vector<float>(8, 1.0f));
    EXPECT_EQ(fieldOf(buildFile(ts)), "experts.0.ffn.2.weight");
}

TEST(Safetensors, ByteCountDisagreeingWithShape) {
    auto ts = tinyModel();
    ts[2].bytes += "xxxx";  // router bias [2] with 12 bytes
    EXPECT_EQ(fieldOf(buildFile(ts)), "router.w_g.bias");
}

TEST(Safetensors, MissingTensorAndNaN) {
    auto ts = tinyModel();
    ts.erase(ts.begin() + 4);  // experts.0.ffn.0.bias
    EXPECT_EQ(fieldOf(buildFile(ts)), "experts.0.ffn.0.bias");
    auto nan = tinyModel();
    nan[2].bytes = floats({0.0f, std::nanf("")});
    EXPECT_EQ(fieldOf(buildFile(nan)), "router.w_g.bias");
}

TEST(Safetensors, InconsistentShapesAcrossExperts) {
    auto ts = tinyModel();
    ts[7].shape = {4, 2};  // experts.1.ffn.0.weight: H=4 against experts.0's H=3
    ts[7].bytes = floats(std::vector<float>(8, 1.0f));
    EXPECT_EQ(fieldOf(buildFile(ts)), "experts.1.ffn.0.weight");
}
