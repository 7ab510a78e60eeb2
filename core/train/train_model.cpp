#include "train_model.hpp"

#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "embedding.hpp"
#include "experts.hpp"
#include "rng.hpp"
#include "settings_schema.hpp"

namespace moe::train {
namespace {

double act(double a, Activation f) {
    switch (f) {
        case Activation::Relu:
            return a > 0 ? a : 0;
        case Activation::Gelu:
            return 0.5 * a * (1 + std::erf(a / std::sqrt(2.0)));
        default:
            return a / (1 + std::exp(-a));
    }
}
double actGrad(double a, Activation f) {
    switch (f) {
        case Activation::Relu:
            return a > 0 ? 1 : 0;
        case Activation::Gelu:
            return 0.5 * (1 + std::erf(a / std::sqrt(2.0))) + a * std::exp(-0.5 * a * a) / std::sqrt(2 * M_PI);
        default: {
            const double s = 1 / (1 + std::exp(-a));
            return s * (1 + a * (1 - s));
        }
    }
}
double sigmoidD(double x) { return 1 / (1 + std::exp(-x)); }

void softmaxRows(const MatD& z, double invT, MatD& out, VecD* lse) {
    out.resize(z.rows(), z.cols());
    if (lse) lse->resize(z.rows());
    for (int t = 0; t < z.rows(); ++t) {
        const double m = z.row(t).maxCoeff() * invT;
        double sum = 0;
        for (int e = 0; e < z.cols(); ++e) sum += out(t, e) = std::exp(z(t, e) * invT - m);
        out.row(t) /= sum;
        if (lse) (*lse)[t] = m + std::log(sum);
    }
}

MatD toD(const Mat& m) { return m.cast<double>(); }

}  // namespace

Params Params::zerosLike() const {
    Params z = *this;
    z.forEach([](const char*, double* d, Eigen::Index n) { std::fill(d, d + n, 0.0); });
    return z;
}

void Params::setZeroLike(const Params& p) {
    std::vector<Eigen::Index> mine, theirs;
    forEach([&](const char*, const double*, Eigen::Index n) { mine.push_back(n); });
    p.forEach([&](const char*, const double*, Eigen::Index n) { theirs.push_back(n); });
    if (mine != theirs || embed.cols() != p.embed.cols() || wo.cols() != p.wo.cols()) {
        *this = p.zerosLike();
        return;
    }
    forEach([](const char*, double* d, Eigen::Index n) { std::fill(d, d + n, 0.0); });
}

void checkTrainable(const ModelSettings& s) {
    if (s.shape.activation == Activation::SwiGlu)
        throw InputError("--activation", "swiglu is not trainable here (relu|gelu|silu)");
    if (s.shape.sharedExperts != 0)
        throw InputError("--shared-experts",
                         "training uses routed experts only (got " + std::to_string(s.shape.sharedExperts) + ")");
    if (s.router.mode != RoutingMode::TokenChoice) throw InputError("--routing", "training uses token-choice routing");
    if (s.router.temperature <= 0)
        throw InputError("--temperature", "must be > 0 for training (argmax has no gradient)");
    if (s.router.score != ScoreFn::Softmax) throw InputError("--score", "training uses softmax scores");
    if (s.mixerTaps < 1 || s.mixerTaps > 16) throw InputError("--mixer-taps", "must be in 1..16");
    validate(s.shape);
    validate(s.router, s.shape.experts);
}

TrainableModel trainableModel(const ModelShape& shape, const RouterConfig& router) {
    TrainableModel t;
    ModelSettings& m = t.model;
    m.shape = shape;
    m.router = router;
    const auto change = [&](bool differs, int which) {
        if (differs) t.changes.push_back(kTrainableChanges[which]);
    };
    change(shape.activation == Activation::SwiGlu, 0);
    if (shape.activation == Activation::SwiGlu) m.shape.activation = Activation::Silu;
    change(shape.sharedExperts != 0, 1);
    m.shape.sharedExperts = 0;
    change(router.mode != RoutingMode::TokenChoice, 2);
    m.router.mode = RoutingMode::TokenChoice;
    change(router.score != ScoreFn::Softmax, 3);
    m.router.score = ScoreFn::Softmax;
    change(router.temperature < kMinTrainTemperature, 4);
    m.router.temperature = std::max(kMinTrainTemperature, router.temperature);
    change(!router.expertBias.empty(), 5);
    m.router.expertBias.clear();
    return t;
}

Params initParams(const ModelSettings& s, uint64_t seed) {
    const ModelWeights w = initWeights(s.shape, seed);
    Params p;
    p.embed = toD(w.embed);
    p.mixer = MatD::Zero(s.mixerTaps, s.shape.dim);
    p.mixer.row(0).setOnes();  // starts as the identity: x_t itself
    p.wg = toD(w.routerW);
    p.bg = w.routerB.cast<double>();
    p.wn = toD(w.noiseW);
    for (const auto& e : w.experts) {
        p.w1.push_back(toD(e.w1));
        p.b1.push_back(e.b1.cast<double>());
        p.w2.push_back(toD(e.w2));
        p.b2.push_back(e.b2.cast<double>());
    }
    const double bound = 1 / std::sqrt(double(s.shape.dim));
    Rng rw(seed, "head.weight"), rb(seed, "head.bias");
    p.wo.resize(256, s.shape.dim);
    for (int i = 0; i < p.wo.size(); ++i) p.wo.data()[i] = rw.uniform(-1, 1) * bound;
    p.bo.resize(256);
    for (int i = 0; i < 256; ++i) p.bo[i] = rb.uniform(-1, 1) * bound;
    return p;
}

ModelWeights toWeights(const Params& p, const ModelSettings& s, const VecD& bias) {
    ModelWeights w;
    w.shape = s.shape;
    w.embed = p.embed.cast<float>();
    w.routerW = p.wg.cast<float>();
    w.routerB = p.bg.cast<float>();
    w.noiseW = p.wn.cast<float>();
    w.expertBias = bias.cast<float>();
    for (size_t e = 0; e < p.w1.size(); ++e) {
        ExpertWeights x;
        x.w1 = p.w1[e].cast<float>();
        x.b1 = p.b1[e].cast<float>();
        x.w2 = p.w2[e].cast<float>();
        x.b2 = p.b2[e].cast<float>();
        w.experts.push_back(std::move(x));
    }
    w.mixer = p.mixer.cast<float>();
    w.headW = p.wo.cast<float>();
    w.headB = p.bo.cast<float>();
    w.touch();
    return w;
}

namespace {

// What the forward pass keeps for the backward pass, step by step.
struct Forward {
    // embedding and mixer
    MatD X, Hm;  // [T, D] embedded bytes; mixed: the layer's input
    // router
    MatD J, R;                           // jitter factors and the router's (jittered) input
    MatD Z, NL, Eps, S;                  // clean logits, noise logits and draws, scores
    MatD SZ;                             // softmax of the clean logits, for the z-loss
    VecD lseZ;                           // their logsumexp
    std::vector<int> choices;            // [T*k] top-k before capacity
    std::vector<double> norm;            // per token: 1 / sum of its k chosen scores, or 1
    std::vector<double> weight;          // per slot: score * norm
    std::vector<double> requestedShare;  // per expert: f_i = requested / (T·k), for the aux loss
    // experts
    std::vector<int> offsets, slots;     // kept slots bucketed by expert
    std::vector<MatD> Hg, A1, Act, Out;  // per expert: gathered input, pre-activation, activation, output
    MatD Y;                              // layer output + residual
    // head
    MatD P;  // [T, 256] next-byte probabilities
};

int tokensOf(const Batch& b) { return b.sequences * b.length; }

// x_t = embed[byte_t], mixed causally within each sequence.
void embedAndMix(const Params& p, const Batch& b, Forward& f) {
    const int T = tokensOf(b);
    f.X.resize(T, p.embed.cols());
    for (int t = 0; t < T; ++t) f.X.row(t) = p.embed.row(b.input[t]);
    f.Hm = causalMix(f.X, p.mixer, b.length);
}

// Logits, noise, softmax; then the engine's own top-k and capacity decide.
void routerForward(const Params& p, const VecD& bias, const ModelSettings& s, uint64_t noiseSeed, LossParts& out,
                   Forward& f) {
    const RouterConfig& rc = s.router;
    const int T = static_cast<int>(f.Hm.rows()), D = s.shape.dim, E = s.shape.experts, k = rc.k;
    const bool jitter = rc.jitter > 0;
    if (jitter) f.J = toD(jitterFactors(T, D, rc.jitter, noiseSeed));
    f.R = jitter ? MatD(f.Hm.cwiseProduct(f.J)) : f.Hm;
    f.Z = f.R * p.wg.transpose();
    f.Z.rowwise() += p.bg.transpose();
    MatD Zn = f.Z;
    if (rc.noisyTopk) {  // Shazeer et al. 2017: + N(0,1)·softplus(x·W_noise)
        f.NL = f.R * p.wn.transpose();
        f.Eps = toD(routingNoise(T, E, noiseSeed));
        for (int i = 0; i < Zn.size(); ++i) Zn.data()[i] += f.Eps.data()[i] * softplus(f.NL.data()[i]);
    }
    softmaxRows(Zn, 1.0 / rc.temperature, f.S, nullptr);

    Routing& r = out.routing;
    r.tokens = T;
    r.experts = E;
    r.k = k;
    r.mode = RoutingMode::TokenChoice;
    r.capacity = layerCapacity(rc, T, E);
    r.scores = f.S.cast<float>();
    r.logits = f.Z.cast<float>();
    const Mat keys = selectionKeys(Zn.cast<float>(), r.scores, rc, bias.cast<float>());
    f.choices = topK(keys, k);
    assignTokenChoice(f.choices, keys, rc, r);
    f.norm = combineNorms(f.S, f.choices, k, rc.renormalize);
    f.weight.resize(r.slotCount());
    for (int sl = 0; sl < r.slotCount(); ++sl) f.weight[sl] = f.S(sl / k, r.slotExpert[sl]) * f.norm[sl / k];
    f.requestedShare.resize(E);
    for (int e = 0; e < E; ++e) f.requestedShare[e] = double(r.requested[e]) / (double(T) * k);
    softmaxRows(f.Z, 1.0, f.SZ, &f.lseZ);
}

// Each expert on its own tokens; the residual carries every token, dropped or not.
// The experts run side by side, one per thread (each product alone on its thread: an
// expert's 100-odd rows are too few to split one product over threads); their outputs
// are then added in expert order, so the sum does not depend on the thread count.
void expertsForward(const Params& p, const ModelSettings& s, const Routing& r, Forward& f) {
    const int E = s.shape.experts, D = s.shape.dim, k = r.k;
    bucketByExpert(r, f.offsets, f.slots);
    f.Hg.assign(E, {});
    f.A1.assign(E, {});
    f.Act.assign(E, {});
    f.Out.assign(E, {});
#pragma omp parallel for schedule(dynamic, 1)
    for (int e = 0; e < E; ++e) {
        const int n = f.offsets[e + 1] - f.offsets[e];
        if (n == 0) continue;
        f.Hg[e].resize(n, D);
        for (int i = 0; i < n; ++i) f.Hg[e].row(i) = f.Hm.row(f.slots[f.offsets[e] + i] / k);
        f.A1[e].noalias() = f.Hg[e] * p.w1[e].transpose();
        f.A1[e].rowwise() += p.b1[e].transpose();
        f.Act[e] = f.A1[e].unaryExpr([fn = s.shape.activation](double a) { return act(a, fn); });
        f.Out[e].noalias() = f.Act[e] * p.w2[e].transpose();
        f.Out[e].rowwise() += p.b2[e].transpose();
    }
    f.Y = f.Hm;
    for (int e = 0; e < E; ++e)
        for (int i = 0; i < f.offsets[e + 1] - f.offsets[e]; ++i) {
            const int sl = f.slots[f.offsets[e] + i];
            f.Y.row(sl / k) += f.weight[sl] * f.Out[e].row(i);
        }
}

// Head, cross-entropy on the next byte, Switch aux loss and ST-MoE z-loss.
void headAndLosses(const Params& p, const ModelSettings& s, const Batch& b, Forward& f, LossParts& out) {
    const int T = tokensOf(b), E = s.shape.experts;
    MatD O = f.Y * p.wo.transpose();
    O.rowwise() += p.bo.transpose();
    VecD lseO;
    softmaxRows(O, 1.0, f.P, &lseO);
    double ce = 0;
    for (int t = 0; t < T; ++t) ce += lseO[t] - O(t, b.target[t]);
    out.ce = ce / T;
    // aux = E·Σ f_i·P_i, f from counts (a constant), P the mean score.
    const VecD Pmean = f.S.colwise().mean().transpose();
    for (int e = 0; e < E; ++e) out.aux += E * f.requestedShare[e] * Pmean[e];
    out.z = f.lseZ.squaredNorm() / T;
    out.loss = out.ce + s.auxCoef * out.aux + s.zCoef * out.z;
}

// d loss / d Y through the head; fills the head's gradients.
MatD headBackward(const Params& p, const Batch& b, const Forward& f, Params& g) {
    const int T = tokensOf(b);
    MatD dO = f.P;
    for (int t = 0; t < T; ++t) dO(t, b.target[t]) -= 1;
    dO /= T;
    g.wo = dO.transpose() * f.Y;
    g.bo = dO.colwise().sum().transpose();
    return dO * p.wo;
}

// Through the experts and their combine weights: adds to dH (the layer input's
// gradient) and to dS (the scores'), and fills the experts' gradients. The experts'
// products run side by side as in the forward pass; what they add to the shared dH,
// dS and dNorm is added afterwards in expert order.
void expertsBackward(const Params& p, const ModelSettings& s, const Routing& r, const Forward& f, const MatD& dY,
                     MatD& dH, MatD& dS, Params& g) {
    const int E = s.shape.experts, D = s.shape.dim, T = r.tokens, k = r.k;
    std::vector<MatD> dHg(E);
    std::vector<double> dw(r.slotCount());  // d loss / d combine weight, per kept slot
#pragma omp parallel for schedule(dynamic, 1)
    for (int e = 0; e < E; ++e) {
        const int n = f.offsets[e + 1] - f.offsets[e];
        if (n == 0) continue;
        MatD dOut(n, D);
        for (int i = 0; i < n; ++i) {
            const int sl = f.slots[f.offsets[e] + i], t = sl / k;
            dOut.row(i) = f.weight[sl] * dY.row(t);
            dw[sl] = dY.row(t).dot(f.Out[e].row(i));
        }
        g.w2[e].noalias() = dOut.transpose() * f.Act[e];
        g.b2[e] = dOut.colwise().sum().transpose();
        MatD dA1 = dOut * p.w2[e];
        for (int i = 0; i < dA1.size(); ++i) dA1.data()[i] *= actGrad(f.A1[e].data()[i], s.shape.activation);
        g.w1[e].noalias() = dA1.transpose() * f.Hg[e];
        g.b1[e] = dA1.colwise().sum().transpose();
        dHg[e].noalias() = dA1 * p.w1[e];
    }
    VecD dNorm = VecD::Zero(T);
    for (int e = 0; e < E; ++e)
        for (int i = 0; i < f.offsets[e + 1] - f.offsets[e]; ++i) {
            const int sl = f.slots[f.offsets[e] + i], t = sl / k;
            dS(t, e) += dw[sl] * f.norm[t];
            dNorm[t] += dw[sl] * f.S(t, e);
            dH.row(t) += dHg[e].row(i);
        }
    // w = s / sum of the k original choices' scores: the normaliser's share.
    if (s.router.renormalize)
        for (int t = 0; t < T; ++t)
            for (int j = 0; j < k; ++j) dS(t, f.choices[t * k + j]) -= dNorm[t] * f.norm[t] * f.norm[t];
}

// Through the aux loss, the softmax with temperature, the z-loss, noise and jitter to
// the router's input: adds to dH and fills the router's gradients.
void routerBackward(const Params& p, const ModelSettings& s, const Forward& f, MatD& dS, MatD& dH, Params& g) {
    const RouterConfig& rc = s.router;
    const int T = static_cast<int>(f.S.rows()), E = s.shape.experts;
    for (int e = 0; e < E; ++e) dS.col(e).array() += s.auxCoef * E * f.requestedShare[e] / T;
    const double invT = 1.0 / rc.temperature;
    MatD dZn(T, E);
    for (int t = 0; t < T; ++t) {
        const double dot = dS.row(t).dot(f.S.row(t));
        for (int e = 0; e < E; ++e) dZn(t, e) = f.S(t, e) * (dS(t, e) - dot) * invT;
    }
    MatD dZ = dZn;
    for (int t = 0; t < T; ++t) dZ.row(t) += (s.zCoef * 2 * f.lseZ[t] / T) * f.SZ.row(t);
    MatD dR = dZ * p.wg;
    g.wg = dZ.transpose() * f.R;
    g.bg = dZ.colwise().sum().transpose();
    if (rc.noisyTopk) {  // d softplus(a) / da = sigmoid(a)
        MatD dNL(T, E);
        for (int i = 0; i < dNL.size(); ++i) dNL.data()[i] = dZn.data()[i] * f.Eps.data()[i] * sigmoidD(f.NL.data()[i]);
        g.wn = dNL.transpose() * f.R;
        dR += dNL * p.wn;
    }
    dH += rc.jitter > 0 ? MatD(dR.cwiseProduct(f.J)) : dR;
}

// Through the causal mixer to the embedding rows of the batch's bytes.
void embeddingBackward(const Params& p, const Batch& b, const Forward& f, const MatD& dH, Params& g) {
    const int T = tokensOf(b), L = b.length, K = static_cast<int>(p.mixer.rows());
    MatD dX = MatD::Zero(T, f.X.cols());
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < K && j <= t % L; ++j) {
            g.mixer.row(j) += dH.row(t).cwiseProduct(f.X.row(t - j));
            dX.row(t - j) += p.mixer.row(j).cwiseProduct(dH.row(t));
        }
    for (int t = 0; t < T; ++t) g.embed.row(b.input[t]) += dX.row(t);
}

}  // namespace

LossParts lossAndGrad(const Params& p, const VecD& bias, const ModelSettings& s, const Batch& b, uint64_t noiseSeed,
                      Params* g) {
    LossParts out;
    Forward f;
    embedAndMix(p, b, f);
    routerForward(p, bias, s, noiseSeed, out, f);
    expertsForward(p, s, out.routing, f);
    headAndLosses(p, s, b, f, out);
    if (!g) return out;

    g->setZeroLike(p);
    const MatD dY = headBackward(p, b, f, *g);
    MatD dH = dY;  // the residual
    MatD dS = MatD::Zero(f.S.rows(), f.S.cols());
    expertsBackward(p, s, out.routing, f, dY, dH, dS, *g);
    routerBackward(p, s, f, dS, dH, *g);
    embeddingBackward(p, b, f, dH, *g);
    return out;
}

}  // namespace moe::train
