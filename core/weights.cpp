#include "weights.hpp"

#include <atomic>
#include <cmath>

#include "rng.hpp"
#include "settings_schema.hpp"

namespace moe {
namespace {

void linearInit(Mat& w, Vec& b, int out, int in, uint64_t seed, const std::string& name) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in));
    Rng rw(seed, name + ".weight");
    w.resize(out, in);
    for (int i = 0; i < w.size(); ++i) w.data()[i] = rw.uniform(-bound, bound);
    Rng rb(seed, name + ".bias");
    b.resize(out);
    for (int i = 0; i < out; ++i) b[i] = rb.uniform(-bound, bound);
}

ExpertWeights initExpert(const ModelShape& s, uint64_t seed, const std::string& prefix) {
    ExpertWeights e;
    linearInit(e.w1, e.b1, s.hidden, s.dim, seed, prefix + ".ffn.0");
    if (s.activation == Activation::SwiGlu) linearInit(e.wGate, e.bGate, s.hidden, s.dim, seed, prefix + ".ffn.gate");
    linearInit(e.w2, e.b2, s.dim, s.hidden, seed, prefix + ".ffn.2");
    return e;
}

}  // namespace

void ModelWeights::touch() {
    static std::atomic<uint64_t> counter{0};
    version = ++counter;
}

ModelWeights initWeights(const ModelShape& s, uint64_t seed) {
    validate(s);
    ModelWeights m;
    m.shape = s;
    Rng re(seed, "embed.weight");
    m.embed.resize(256, s.dim);
    for (int i = 0; i < m.embed.size(); ++i) m.embed.data()[i] = re.normal();
    linearInit(m.routerW, m.routerB, s.experts, s.dim, seed, "router.w_g");
    m.noiseW = Mat::Zero(s.experts, s.dim);
    m.expertBias = Vec::Zero(s.experts);
    for (int i = 0; i < s.experts; ++i) m.experts.push_back(initExpert(s, seed, "experts." + std::to_string(i)));
    for (int i = 0; i < s.sharedExperts; ++i)
        m.shared.push_back(initExpert(s, seed, "shared_experts." + std::to_string(i)));
    m.touch();
    return m;
}

int64_t expertParams(const ModelShape& s) {
    const int64_t d = s.dim, h = s.hidden;
    int64_t p = d * h + h + h * d + d;
    if (s.activation == Activation::SwiGlu) p += d * h + h;
    return p;
}

}  // namespace moe
