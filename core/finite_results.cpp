#include "finite_results.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "errors.hpp"
#include "experts.hpp"

namespace moe {
namespace {

struct Named {
    std::string name;
    const float* data;
    Eigen::Index size;
};

void add(std::vector<Named>& out, const std::string& name, const Mat& m) {
    if (m.size()) out.push_back({name, m.data(), m.size()});
}
void add(std::vector<Named>& out, const std::string& name, const Vec& v) {
    if (v.size()) out.push_back({name, v.data(), v.size()});
}

std::vector<Named> routerTensors(const ModelWeights& w) {
    std::vector<Named> t;
    add(t, "embed.weight", w.embed);
    add(t, "mixer.conv.weight", w.mixer);
    add(t, "router.w_g.weight", w.routerW);
    add(t, "router.w_g.bias", w.routerB);
    add(t, "router.w_noise.weight", w.noiseW);
    add(t, "router.expert_bias", w.expertBias);
    return t;
}

void addExpert(std::vector<Named>& t, const std::string& prefix, const ExpertWeights& e) {
    add(t, prefix + ".ffn.0.weight", e.w1);
    add(t, prefix + ".ffn.0.bias", e.b1);
    add(t, prefix + ".ffn.gate.weight", e.wGate);
    add(t, prefix + ".ffn.gate.bias", e.bGate);
    add(t, prefix + ".ffn.2.weight", e.w2);
    add(t, prefix + ".ffn.2.bias", e.b2);
}

// Names the suspect holding the largest magnitude, which is what overflowed.
[[noreturn]] void refuse(const std::vector<Named>& suspects, const std::string& what) {
    const Named* worst = nullptr;
    float most = -1;
    for (const Named& t : suspects)
        for (Eigen::Index i = 0; i < t.size; ++i)
            if (std::abs(t.data[i]) > most) {
                most = std::abs(t.data[i]);
                worst = &t;
            }
    char value[32];
    std::snprintf(value, sizeof value, "%g", double(most));
    throw InputError(worst ? worst->name : "weights", "holds values up to " + std::string(value) + ": " + what +
                                                          " overflows 32-bit floats to infinity or NaN");
}

int firstBadRow(const Mat& m) {
    for (Eigen::Index t = 0; t < m.rows(); ++t)
        if (!m.row(t).allFinite()) return static_cast<int>(t);
    return -1;
}

}  // namespace

void checkFiniteRouting(const ModelWeights& w, const Mat& logits, const Mat& scores, int firstToken) {
    if (const int t = firstBadRow(logits); t >= 0)
        refuse(routerTensors(w), "the router's logits of token " + std::to_string(firstToken + t));
    if (const int t = firstBadRow(scores); t >= 0)
        refuse(routerTensors(w), "the scores (logits / temperature) of token " + std::to_string(firstToken + t));
}

void checkFiniteOutputs(const ModelWeights& w, const Mat& x, const Routing& r, const Mat& outputs) {
    const int t = firstBadRow(outputs);
    if (t < 0) return;
    std::vector<Named> all;
    FfnScratch scratch;
    const auto tryExpert = [&](const std::string& prefix, const ExpertWeights& e) {
        std::vector<Named> own;
        addExpert(own, prefix, e);
        if (!ffnForward(e, w.shape.activation, x.row(t), scratch).allFinite())
            refuse(own, prefix + "'s output for token " + std::to_string(t));
        all.insert(all.end(), own.begin(), own.end());
    };
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
        if (r.slotKept[s]) tryExpert("experts." + std::to_string(r.slotExpert[s]), w.experts[r.slotExpert[s]]);
    for (size_t s = 0; s < w.shared.size(); ++s) tryExpert("shared_experts." + std::to_string(s), w.shared[s]);
    refuse(all, "the weighted sum of token " + std::to_string(t) + "'s experts");
}

void checkFiniteMetrics(const ModelWeights& w, const Metrics& m) {
    for (double v : {m.dropRate, m.auxLoss, m.zLoss, m.cv, m.maxOverMean, m.entropy})
        if (!std::isfinite(v)) refuse(routerTensors(w), "the router's metrics (aux loss, z-loss, entropy)");
}

}  // namespace moe
