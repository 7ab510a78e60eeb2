#include "router.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "capacity.hpp"
#include "rng.hpp"
#include "routing_stages.hpp"

namespace moe {

namespace {
constexpr int kParallelRows = 256;  // per-token steps go parallel from here (measured: 128 tokens gain nothing)
}

Mat routingNoise(int tokens, int experts, uint64_t seed, int firstRow) {
    Mat n(tokens, experts);
    for (int t = 0; t < tokens; ++t)
        for (int e = 0; e < experts; ++e) n(t, e) = counterNormal(seed, firstRow + t, e);
    return n;
}

Mat jitterFactors(int tokens, int dim, float eps, uint64_t seed, int firstRow) {
    Mat f(tokens, dim);
    for (int t = 0; t < tokens; ++t)
        for (int j = 0; j < dim; ++j)
            f(t, j) = 1.0f - eps + 2.0f * eps * counterUniform(seed ^ 0x4A17, firstRow + t, j);
    return f;
}

void addRoutingNoise(Mat& logits, const Mat& noiseLogits, uint64_t seed, int firstRow) {
    const Mat eps = routingNoise(static_cast<int>(logits.rows()), static_cast<int>(logits.cols()), seed, firstRow);
    for (int t = 0; t < logits.rows(); ++t)
        for (int e = 0; e < logits.cols(); ++e) logits(t, e) += eps(t, e) * softplus(noiseLogits(t, e));
}

void applyJitter(Mat& x, float eps, uint64_t seed, int firstRow) {
    if (eps <= 0) return;
    x.array() *= jitterFactors(static_cast<int>(x.rows()), static_cast<int>(x.cols()), eps, seed, firstRow).array();
}

namespace {

#if defined(__AVX__)
// Rows [t0, t0 + R) x experts [e0, e0 + 8): R tokens side by side so their add chains
// overlap. Each output is still a multiply then an add per j, in j order: the bits of
// the scalar loop below and of router.cl.
template <int R>
void routerBlock8(const Mat& x, const float* wt, int E, int t0, int e0, float* out) {
    __m256 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    const int D = static_cast<int>(x.cols());
    for (int j = 0; j < D; ++j) {
        const __m256 wv = _mm256_loadu_ps(wt + size_t(j) * E + e0);
        for (int r = 0; r < R; ++r) acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(_mm256_set1_ps(x(t0 + r, j)), wv));
    }
    for (int r = 0; r < R; ++r) _mm256_storeu_ps(out + size_t(t0 + r) * E + e0, acc[r]);
}
#endif

// Rows [t0, t1) of out = x·Wᵀ, wt = Wᵀ [D][E].
void routerRows(const Mat& x, const Mat& wt, int t0, int t1, Mat& out) {
    const int D = static_cast<int>(x.cols()), E = static_cast<int>(wt.cols());
    int e0 = 0;
#if defined(__AVX__)
    for (; e0 + 8 <= E; e0 += 8) {
        int t = t0;
        for (; t + 4 <= t1; t += 4) routerBlock8<4>(x, wt.data(), E, t, e0, out.data());
        for (; t < t1; ++t) routerBlock8<1>(x, wt.data(), E, t, e0, out.data());
    }
#endif
    if (e0 == E) return;
    for (int t = t0; t < t1; ++t) {
        float* o = out.row(t).data();
        for (int e = e0; e < E; ++e) o[e] = 0.0f;
        for (int j = 0; j < D; ++j) {
            const float xv = x(t, j);
            const float* wr = wt.row(j).data();
            for (int e = e0; e < E; ++e) o[e] += xv * wr[e];
        }
    }
}

}  // namespace

void routerLinear(const Mat& x, const Mat& w, const Vec* bias, Mat& out) {
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols()), E = static_cast<int>(w.rows());
    const Mat wt = w.transpose();  // [D, E]: experts side by side
    out.resize(T, E);
    constexpr int kRows = 256;
    const int blocks = (T + kRows - 1) / kRows;
#pragma omp parallel for schedule(static) if (int64_t(T) * D * E > 200000)
    for (int b = 0; b < blocks; ++b) routerRows(x, wt, b * kRows, std::min(T, (b + 1) * kRows), out);
    if (bias)
        for (int t = 0; t < T; ++t)
            for (int e = 0; e < E; ++e) out(t, e) += (*bias)[e];
}

void scoreFunction(const Mat& z, ScoreFn fn, float temperature, Mat& scores) {
    const int T = static_cast<int>(z.rows()), E = static_cast<int>(z.cols());
    scores.resize(T, E);
    // Rows are independent: split over threads from a few hundred tokens (the classroom's 256 on).
#pragma omp parallel if (T >= kParallelRows)
    {
        std::vector<double> scaled(E);
#pragma omp for schedule(static)
        for (int t = 0; t < T; ++t) {
            if (temperature == 0.0f) {
                if (fn == ScoreFn::Softmax) {
                    int best = 0;
                    for (int e = 1; e < E; ++e)
                        if (z(t, e) > z(t, best)) best = e;
                    scores.row(t).setZero();
                    scores(t, best) = 1.0f;
                } else {
                    for (int e = 0; e < E; ++e) scores(t, e) = z(t, e) > 0 ? 1.0f : (z(t, e) < 0 ? 0.0f : 0.5f);
                }
                continue;
            }
            // Double precision: a tiny temperature can push z/T past float range. The scaled
            // logits are stored first so that z/T - max is exactly 0 for the best expert.
            const double invT = 1.0 / temperature;
            for (int e = 0; e < E; ++e) scaled[e] = z(t, e) * invT;
            if (fn == ScoreFn::Softmax) {
                const double m = *std::max_element(scaled.begin(), scaled.end());
                double sum = 0;
                for (int e = 0; e < E; ++e) sum += scaled[e] = std::exp(scaled[e] - m);
                for (int e = 0; e < E; ++e) scores(t, e) = static_cast<float>(scaled[e] / sum);
            } else {
                for (int e = 0; e < E; ++e) scores(t, e) = static_cast<float>(1.0 / (1.0 + std::exp(-scaled[e])));
            }
        }
    }
}

Mat selectionKeys(const Mat& z, const Mat& scores, const RouterConfig& cfg, const Vec& bias) {
    Mat keys = cfg.temperature == 0.0f ? z : scores;
    const int T = static_cast<int>(keys.rows()), E = static_cast<int>(keys.cols());
    if (bias.size() == E) keys.rowwise() += bias.transpose();
    const int G = cfg.groups, M = cfg.topkGroups == 0 ? cfg.groups : cfg.topkGroups;
    if (cfg.mode != RoutingMode::TokenChoice || G <= 1 || M >= G) return keys;
    // DeepSeek-V2 device-limited / V3 node-limited routing: keep the best M groups.
    const int per = E / G;
    std::vector<float> groupScore(G);
    std::vector<int> order(G);
    for (int t = 0; t < T; ++t) {
        for (int g = 0; g < G; ++g) {
            const float* k = keys.row(t).data() + g * per;
            if (cfg.groupScore == GroupScore::Max || per == 1) {
                groupScore[g] = *std::max_element(k, k + per);
            } else {  // V3: sum of the group's two best
                float a = -std::numeric_limits<float>::infinity(), b = a;
                for (int i = 0; i < per; ++i) {
                    if (k[i] > a) {
                        b = a;
                        a = k[i];
                    } else if (k[i] > b)
                        b = k[i];
                }
                groupScore[g] = a + b;
            }
        }
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return groupScore[a] > groupScore[b]; });
        for (int i = M; i < G; ++i)
            keys.row(t).segment(order[i] * per, per).setConstant(-std::numeric_limits<float>::infinity());
    }
    return keys;
}

std::vector<int> topK(const Mat& keys, int k) {
    const int T = static_cast<int>(keys.rows()), E = static_cast<int>(keys.cols());
    std::vector<int> out(static_cast<size_t>(T) * k);
#pragma omp parallel if (T >= kParallelRows)
    {
        std::vector<int> idx(E);
#pragma omp for schedule(static)
        for (int t = 0; t < T; ++t) {
            const float* row = keys.row(t).data();
            std::iota(idx.begin(), idx.end(), 0);
            std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                              [&](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
            std::copy(idx.begin(), idx.begin() + k, out.begin() + static_cast<size_t>(t) * k);
        }
    }
    return out;
}

Vec effectiveBias(const ModelWeights& w, const RouterConfig& cfg) {
    if (!cfg.expertBias.empty()) return Eigen::Map<const Vec>(cfg.expertBias.data(), cfg.expertBias.size());
    return w.expertBias.size() == w.shape.experts ? w.expertBias : Vec::Zero(w.shape.experts);
}

Routing decideRouting(RouterLogits in, const RouterConfig& cfg, const Vec& bias) {
    Routing r;
    r.tokens = static_cast<int>(in.logits.rows());
    r.experts = static_cast<int>(in.logits.cols());
    r.k = cfg.k;
    r.mode = cfg.mode;
    r.capacity = layerCapacity(cfg, r.tokens, r.experts);
    RowDecisions d = decideRows(in, cfg, bias);  // the per-row stages (routing_stages.hpp)
    r.scores = std::move(d.scores);
    r.logits = std::move(in.logits);
    if (cfg.mode == RoutingMode::TokenChoice)
        assignTokenChoice(d.choices, d.keys, cfg, r);
    else
        assignExpertChoice(d.keys, cfg, r);
    r.padded = cfg.padToCapacity && r.capacity >= 0;
    return r;
}

}  // namespace moe
