#pragma once
// The trainable next-byte model: byte embedding -> causal mixer (a short depthwise
// convolution over the previous bytes, so one byte can route differently in different
// words) -> MoE layer with residual -> output head Linear(D -> 256) -> cross-entropy.
// Doubles throughout, so gradient checks against finite differences are tight.
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "capacity.hpp"
#include "router.hpp"
#include "weights.hpp"

namespace moe::train {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VecD = Eigen::VectorXd;

struct Params {
    MatD embed;                // [256, D]
    MatD mixer;                // [K, D]: row j weighs the byte j positions back
    MatD wg;                   // [E, D] router
    VecD bg;                   // [E]
    MatD wn;                   // [E, D] noisy top-k's W_noise
    std::vector<MatD> w1, w2;  // [H, D], [D, H] per expert
    std::vector<VecD> b1, b2;  // [H], [D]
    MatD wo;                   // [256, D] output head
    VecD bo;                   // [256]

    // f(name, data, size) over every tensor, in a fixed order.
    template <typename F>
    void forEach(F&& f) {
        f("embed", embed.data(), embed.size());
        f("mixer", mixer.data(), mixer.size());
        f("router.w", wg.data(), wg.size());
        f("router.b", bg.data(), bg.size());
        f("router.noise", wn.data(), wn.size());
        for (size_t e = 0; e < w1.size(); ++e) {
            f("expert.w1", w1[e].data(), w1[e].size());
            f("expert.b1", b1[e].data(), b1[e].size());
            f("expert.w2", w2[e].data(), w2[e].size());
            f("expert.b2", b2[e].data(), b2[e].size());
        }
        f("head.w", wo.data(), wo.size());
        f("head.b", bo.data(), bo.size());
    }
    // The same over read-only tensors.
    template <typename F>
    void forEach(F&& f) const {
        const_cast<Params*>(this)->forEach(
            [&](const char* name, double* d, Eigen::Index n) { f(name, static_cast<const double*>(d), n); });
    }
    Params zerosLike() const;
    // Zeros shaped like p, in place when the shapes already match: a training step reuses
    // its gradients' 2 M doubles (at D = 128) instead of mapping fresh pages each time.
    void setZeroLike(const Params& p);
};

struct ModelSettings {
    ModelShape shape;
    RouterConfig router;
    int mixerTaps = 3;
    double auxCoef = 0.01;  // alpha: Switch load-balancing loss
    double zCoef = 0.001;   // beta: ST-MoE router z-loss
};

// sequences x length input bytes and their next bytes.
struct Batch {
    std::vector<uint8_t> input, target;
    int sequences = 0, length = 0;
};

struct LossParts {
    double loss = 0, ce = 0, aux = 0, z = 0;
    Routing routing;  // the decisions this pass made (capacity applied)
};

// Throws InputError when the settings cannot be trained (swiglu, shared experts,
// expert choice, temperature 0).
void checkTrainable(const ModelSettings& s);

// What training changes in a layer's settings to train it, one sentence each (English;
// the app translates them). kTrainableChanges lists every one.
inline constexpr const char* kTrainableChanges[] = {
    "SwiGLU experts train as SiLU experts",
    "shared experts are left out",
    "routing is token choice",
    "scores are a softmax",
    "the temperature is raised to 0.05 (argmax has no gradient)",
    "the expert biases start at 0",
};
inline constexpr float kMinTrainTemperature = 0.05f;

// The nearest trainable model to a layer's shape and router, and what it changed
// (entries of kTrainableChanges; empty when it trains them as they are).
struct TrainableModel {
    ModelSettings model;
    std::vector<const char*> changes;
};
TrainableModel trainableModel(const ModelShape& shape, const RouterConfig& router);

// Forward pass and, when grads is given, the backward pass into it (overwritten).
// noiseSeed draws noisy top-k's noise and the jitter, if on.
LossParts lossAndGrad(const Params& p, const VecD& bias, const ModelSettings& s, const Batch& b, uint64_t noiseSeed,
                      Params* grads);

// PyTorch default initialisation (as initWeights), the mixer passing the current byte.
Params initParams(const ModelSettings& s, uint64_t seed);
// Float weights for the routing views and safetensors (mixer and head included).
ModelWeights toWeights(const Params& p, const ModelSettings& s, const VecD& bias);

}  // namespace moe::train
