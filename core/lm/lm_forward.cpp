#include "lm_forward.hpp"

#include <cmath>

#include "../errors.hpp"
#include "../settings_schema.hpp"

namespace moe {

RouterConfig trainedRouting(const LmConfig& c) {
    RouterConfig r;
    r.k = c.expertsPerToken;
    r.score = ScoreFn::Softmax;
    r.temperature = 1.0f;
    r.renormalize = true;
    r.mode = RoutingMode::TokenChoice;
    r.capacityFactor = 0;  // dropless
    return r;
}

namespace {

// o_proj(Attn(normed)) for rows at positions firstPos..; their keys and values join the cache.
void attention(Backend& b, const LmModel& m, const LmLayer& layer, const RopeTable& rope, const Mat& normed,
               int firstPos, Mat& kCache, Mat& vCache, Mat& out) {
    const AttentionShape shape = m.config.attention();
    Mat q, k, v, mixed;
    b.linear(normed, layer.q, q);
    b.linear(normed, layer.k, k);
    b.linear(normed, layer.v, v);
    b.rope(q, shape.heads, rope, firstPos);
    b.rope(k, shape.kvHeads, rope, firstPos);
    const Eigen::Index n = normed.rows();
    kCache.conservativeResize(firstPos + n, k.cols());
    vCache.conservativeResize(firstPos + n, v.cols());
    kCache.bottomRows(n) = k;
    vCache.bottomRows(n) = v;
    b.causalAttention(q, kCache, vCache, shape, firstPos, mixed);
    b.linear(mixed, layer.o, out);
}

// One decoder layer on the rows of x, in place; the MoE is runLayer with `routing`.
void decoderLayer(Backend& b, const LmModel& m, const LmLayer& layer, const RouterConfig& routing,
                  std::string_view bytes, const RopeTable& rope, int firstPos, Mat& kCache, Mat& vCache, Mat& x,
                  LayerResult& moe) {
    const float eps = m.config.rmsEps;
    Mat normed, attended;
    b.rmsNorm(x, layer.inputNorm, eps, normed);
    attention(b, m, layer, rope, normed, firstPos, kCache, vCache, attended);
    x += attended;  // h
    b.rmsNorm(x, layer.postNorm, eps, normed);
    runLayer(b, layer.moe, routing, bytes, normed, true, moe);
    x += moe.outputs;  // a dropped assignment added nothing: the residual carries the token
}

}  // namespace

Mat lmStep(Backend& b, const LmModel& m, const RouterConfig& routing, std::string_view bytes, const RopeTable& rope,
           LmCache& cache, std::vector<LayerResult>& layers) {
    const int n = static_cast<int>(bytes.size()), L = m.config.layers, first = cache.positions;
    if (rope.cos.rows() < first + n) throw std::logic_error("lmStep: the rope table is shorter than the text");
    cache.k.resize(L);
    cache.v.resize(L);
    layers.resize(L);
    Mat x(n, m.config.hidden);
    for (int t = 0; t < n; ++t) x.row(t) = m.embed.row(static_cast<unsigned char>(bytes[t]));
    for (int l = 0; l < L; ++l)
        decoderLayer(b, m, m.layers[l], routing, bytes, rope, first, cache.k[l], cache.v[l], x, layers[l]);
    cache.positions += n;
    Mat normed, logits;
    b.rmsNorm(x, m.finalNorm, m.config.rmsEps, normed);
    b.linear(normed, m.lmHead, logits);
    return logits;
}

// In float with Eigen's vectorised exp, as PyTorch's float32 log_softmax: a scalar double
// exp per logit was 5% of a forward pass at T = 256.
Mat logSoftmaxRows(const Mat& z) {
    Mat out(z.rows(), z.cols());
    for (Eigen::Index t = 0; t < z.rows(); ++t) {
        const float top = z.row(t).maxCoeff();
        const float logSum = top + std::log((z.row(t).array() - top).exp().sum());
        out.row(t) = z.row(t).array() - logSum;
    }
    return out;
}

LmRun runLm(Backend& b, const LmModel& m, const RouterConfig& routing, std::string_view bytes) {
    if (bytes.empty()) throw InputError("text", "is empty: the language model needs at least one byte");
    validate(routing, m.config.experts);
    const int T = static_cast<int>(bytes.size());
    RopeTable longer;  // longer than the cached table: RoPE extends (quality may not)
    if (m.rope.cos.rows() < T) longer = ropeTable(T, m.config.headDim(), m.config.ropeTheta);
    const RopeTable& rope = m.rope.cos.rows() < T ? longer : m.rope;
    LmRun run;
    LmCache cache;
    run.logits = lmStep(b, m, routing, bytes, rope, cache, run.layers);
    run.logprobs = logSoftmaxRows(run.logits);
    double nats = 0;
    for (int t = 1; t < T; ++t) nats -= run.logprobs(t - 1, static_cast<unsigned char>(bytes[t]));
    run.bitsPerByte = T < 2 ? 0.0 : nats / (T - 1) / std::log(2.0);
    return run;
}

}  // namespace moe
