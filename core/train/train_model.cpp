#include "train_model.hpp"

#include <cmath>

#include "errors.hpp"
#include "experts.hpp"
#include "rng.hpp"

namespace moe::train {
namespace {

double act(double a, Activation f) {
    switch (f) {
    case Activation::Relu: return a > 0 ? a : 0;
    case Activation::Gelu: return 0.5 * a * (1 + std::erf(a / std::sqrt(2.0)));
    default: return a / (1 + std::exp(-a));
    }
}
double actGrad(double a, Activation f) {
    switch (f) {
    case Activation::Relu: return a > 0 ? 1 : 0;
    case Activation::Gelu: return 0.5 * (1 + std::erf(a / std::sqrt(2.0))) + a * std::exp(-0.5 * a * a) / std::sqrt(2 * M_PI);
    default: {
        const double s = 1 / (1 + std::exp(-a));
        return s * (1 + a * (1 - s));
    }
    }
}
double softplusD(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }
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

} // namespace

Params Params::zerosLike() const {
    Params z = *this;
    z.forEach([](const char*, double* d, Eigen::Index n) { std::fill(d, d + n, 0.0); });
    return z;
}

void checkTrainable(const ModelSettings& s) {
    if (s.shape.activation == Activation::SwiGlu) throw InputError("--activation", "swiglu is not trainable here (relu|gelu|silu)");
    if (s.shape.sharedExperts != 0) throw InputError("--shared-experts", "training uses routed experts only (got " + std::to_string(s.shape.sharedExperts) + ")");
    if (s.router.mode != RoutingMode::TokenChoice) throw InputError("--routing", "training uses token-choice routing");
    if (s.router.temperature <= 0) throw InputError("--temperature", "must be > 0 for training (argmax has no gradient)");
    if (s.router.score != ScoreFn::Softmax) throw InputError("--score", "training uses softmax scores");
    if (s.mixerTaps < 1 || s.mixerTaps > 16) throw InputError("--mixer-taps", "must be in 1..16");
    validate(s.shape);
    validate(s.router, s.shape.experts);
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

LossParts lossAndGrad(const Params& p, const VecD& bias, const ModelSettings& s, const Batch& b, uint64_t noiseSeed,
                      Params* g) {
    const RouterConfig& rc = s.router;
    const int L = b.length, T = b.sequences * b.length, D = s.shape.dim, E = s.shape.experts, K = s.mixerTaps, k = rc.k;
    const Activation fn = s.shape.activation;
    LossParts out;
    // Input: embedding, then the causal mixer within each sequence.
    MatD X(T, D), Hm(T, D);
    for (int t = 0; t < T; ++t) X.row(t) = p.embed.row(b.input[t]);
    for (int t = 0; t < T; ++t) {
        Hm.row(t).setZero();
        for (int j = 0; j < K && j <= t % L; ++j) Hm.row(t) += p.mixer.row(j).cwiseProduct(X.row(t - j));
    }
    // Router, on the (jittered) mixed input.
    const bool jitter = rc.jitter > 0;
    const MatD J = jitter ? toD(jitterFactors(T, D, rc.jitter, noiseSeed)) : MatD();
    const MatD R = jitter ? MatD(Hm.cwiseProduct(J)) : Hm;
    MatD Z = R * p.wg.transpose();
    Z.rowwise() += p.bg.transpose();
    MatD Zn = Z, NL, Eps;
    if (rc.noisyTopk) {
        NL = R * p.wn.transpose();
        Eps = toD(routingNoise(T, E, noiseSeed));
        for (int i = 0; i < Zn.size(); ++i) Zn.data()[i] += Eps.data()[i] * softplusD(NL.data()[i]);
    }
    const double invT = 1.0 / rc.temperature;
    MatD S;
    softmaxRows(Zn, invT, S, nullptr);

    // Decisions with the engine's own top-k and capacity code.
    Routing& r = out.routing;
    r.tokens = T, r.experts = E, r.k = k, r.mode = RoutingMode::TokenChoice;
    r.capacity = expertCapacity(rc, T, E);
    r.scores = S.cast<float>();
    r.logits = Z.cast<float>();
    const Vec biasF = bias.cast<float>();
    const Mat keys = selectionKeys(Zn.cast<float>(), r.scores, rc, biasF);
    const std::vector<int> choices = topK(keys, k);
    assignTokenChoice(choices, keys, rc, r);
    VecD norm = VecD::Ones(T);
    if (rc.renormalize)
        for (int t = 0; t < T; ++t) {
            double sum = 0;
            for (int j = 0; j < k; ++j) sum += S(t, choices[t * k + j]);
            norm[t] = sum > 0 ? 1 / sum : 0;
        }
    std::vector<double> w(r.slotCount());
    for (int sl = 0; sl < r.slotCount(); ++sl) w[sl] = S(sl / k, r.slotExpert[sl]) * norm[sl / k];

    // Experts on their own tokens; the residual carries every token, dropped or not.
    std::vector<int> offsets, slots;
    bucketByExpert(r, offsets, slots);
    std::vector<MatD> Hg(E), A1(E), Act(E), Out(E);
    MatD Y = Hm;
    for (int e = 0; e < E; ++e) {
        const int n = offsets[e + 1] - offsets[e];
        if (n == 0) continue;
        Hg[e].resize(n, D);
        for (int i = 0; i < n; ++i) Hg[e].row(i) = Hm.row(slots[offsets[e] + i] / k);
        A1[e] = Hg[e] * p.w1[e].transpose();
        A1[e].rowwise() += p.b1[e].transpose();
        Act[e] = A1[e].unaryExpr([fn](double a) { return act(a, fn); });
        Out[e] = Act[e] * p.w2[e].transpose();
        Out[e].rowwise() += p.b2[e].transpose();
        for (int i = 0; i < n; ++i) {
            const int sl = slots[offsets[e] + i];
            Y.row(sl / k) += w[sl] * Out[e].row(i);
        }
    }
    // Head and cross-entropy on the next byte.
    MatD O = Y * p.wo.transpose();
    O.rowwise() += p.bo.transpose();
    MatD P;
    VecD lseO;
    softmaxRows(O, 1.0, P, &lseO);
    double ce = 0;
    for (int t = 0; t < T; ++t) ce += lseO[t] - O(t, b.target[t]);
    out.ce = ce / T;
    // Switch aux loss (f from counts, a constant) and ST-MoE z-loss on the clean logits.
    std::vector<double> f(E);
    for (int e = 0; e < E; ++e) f[e] = double(r.requested[e]) / (double(T) * k);
    const VecD Pmean = S.colwise().mean().transpose();
    for (int e = 0; e < E; ++e) out.aux += E * f[e] * Pmean[e];
    MatD SZ;
    VecD lseZ;
    softmaxRows(Z, 1.0, SZ, &lseZ);
    out.z = lseZ.squaredNorm() / T;
    out.loss = out.ce + s.auxCoef * out.aux + s.zCoef * out.z;
    if (!g) return out;

    // ---- backward ----
    *g = p.zerosLike();
    MatD dO = P;
    for (int t = 0; t < T; ++t) dO(t, b.target[t]) -= 1;
    dO /= T;
    g->wo = dO.transpose() * Y;
    g->bo = dO.colwise().sum().transpose();
    const MatD dY = dO * p.wo;
    MatD dH = dY;  // residual
    MatD dS = MatD::Zero(T, E);
    VecD dNorm = VecD::Zero(T);
    for (int e = 0; e < E; ++e) {
        const int n = offsets[e + 1] - offsets[e];
        if (n == 0) continue;
        MatD Dout(n, D);
        for (int i = 0; i < n; ++i) {
            const int sl = slots[offsets[e] + i], t = sl / k;
            Dout.row(i) = w[sl] * dY.row(t);
            const double dw = dY.row(t).dot(Out[e].row(i));
            dS(t, r.slotExpert[sl]) += dw * norm[t];
            dNorm[t] += dw * S(t, r.slotExpert[sl]);
        }
        g->w2[e] = Dout.transpose() * Act[e];
        g->b2[e] = Dout.colwise().sum().transpose();
        MatD dA1 = Dout * p.w2[e];
        for (int i = 0; i < dA1.size(); ++i) dA1.data()[i] *= actGrad(A1[e].data()[i], fn);
        g->w1[e] = dA1.transpose() * Hg[e];
        g->b1[e] = dA1.colwise().sum().transpose();
        const MatD dHg = dA1 * p.w1[e];
        for (int i = 0; i < n; ++i) dH.row(slots[offsets[e] + i] / k) += dHg.row(i);
    }
    // w = s / sum of the k original choices' scores: the normaliser's share.
    if (rc.renormalize)
        for (int t = 0; t < T; ++t)
            for (int j = 0; j < k; ++j) dS(t, choices[t * k + j]) -= dNorm[t] * norm[t] * norm[t];
    for (int e = 0; e < E; ++e) dS.col(e).array() += s.auxCoef * E * f[e] / T;
    // Softmax with temperature.
    MatD dZn(T, E);
    for (int t = 0; t < T; ++t) {
        const double dot = dS.row(t).dot(S.row(t));
        for (int e = 0; e < E; ++e) dZn(t, e) = S(t, e) * (dS(t, e) - dot) * invT;
    }
    MatD dZ = dZn;
    for (int t = 0; t < T; ++t) dZ.row(t) += (s.zCoef * 2 * lseZ[t] / T) * SZ.row(t);
    MatD dR = dZ * p.wg;
    g->wg = dZ.transpose() * R;
    g->bg = dZ.colwise().sum().transpose();
    if (rc.noisyTopk) {
        MatD dNL(T, E);
        for (int i = 0; i < dNL.size(); ++i) dNL.data()[i] = dZn.data()[i] * Eps.data()[i] * sigmoidD(NL.data()[i]);
        g->wn = dNL.transpose() * R;
        dR += dNL * p.wn;
    }
    dH += jitter ? MatD(dR.cwiseProduct(J)) : dR;
    MatD dX = MatD::Zero(T, D);
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < K && j <= t % L; ++j) {
            g->mixer.row(j) += dH.row(t).cwiseProduct(X.row(t - j));
            dX.row(t - j) += p.mixer.row(j).cwiseProduct(dH.row(t));
        }
    for (int t = 0; t < T; ++t) g->embed.row(b.input[t]) += dX.row(t);
    return out;
}

} // namespace moe::train
