#include "trainer.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "adam.hpp"
#include "errors.hpp"
#include "metrics.hpp"
#include "rng.hpp"

namespace moe::train {

ByteClass byteClass(uint8_t b) {
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return kLetter;
    if (b >= '0' && b <= '9') return kDigit;
    if (b == ' ' || b == '\n' || b == '\t' || (b >= 0x21 && b <= 0x7E)) return kSpacePunct;
    if (b >= 0xC2 && b <= 0xF4) return kLeadByte;
    if (b >= 0x80 && b <= 0xBF) return kContinuation;
    return kOtherByte;
}

const char* byteClassName(int c) {
    static const char* names[] = {"letters", "digits", "space/punct", "UTF-8 lead", "continuation", "other"};
    return names[c];
}

Trainer::Trainer(TrainConfig cfg, std::string corpus) : m_cfg(std::move(cfg)), m_corpus(std::move(corpus)) {
    checkTrainable(m_cfg.model);
    if (m_cfg.batch < 1 || m_cfg.batch > 4096) throw InputError("--batch", "must be in 1..4096");
    if (m_cfg.seqLen < 2 || m_cfg.seqLen > 4096) throw InputError("--seq-len", "must be in 2..4096");
    const size_t need = size_t(m_cfg.seqLen + 1) * 10;
    if (m_corpus.size() < need)
        throw InputError("--corpus", "needs at least " + std::to_string(need) + " bytes for --seq-len " +
                                         std::to_string(m_cfg.seqLen) + " (got " + std::to_string(m_corpus.size()) +
                                         ")");
    m_trainEnd = m_corpus.size() * 9 / 10;
    reset();
}

void Trainer::reset() {
    m_params = initParams(m_cfg.model, m_cfg.seed);
    m_m = m_params.zerosLike();
    m_v = m_params.zerosLike();
    m_bias = VecD::Zero(m_cfg.model.shape.experts);
    m_step = 0;
    m_rngState = splitmix64(m_cfg.seed ^ 0xBA7C4ull);
}

Batch Trainer::sample() {
    Batch b;
    b.sequences = m_cfg.batch;
    b.length = m_cfg.seqLen;
    const size_t span = m_trainEnd - m_cfg.seqLen - 1;
    for (int s = 0; s < b.sequences; ++s) {
        const size_t start = splitmix64(m_rngState++) % span;
        for (int i = 0; i < b.length; ++i) {
            b.input.push_back(static_cast<uint8_t>(m_corpus[start + i]));
            b.target.push_back(static_cast<uint8_t>(m_corpus[start + i + 1]));
        }
    }
    return b;
}

Batch Trainer::heldOutBatch() const {
    Batch b;
    b.length = m_cfg.seqLen;
    const size_t span = m_corpus.size() - m_trainEnd - m_cfg.seqLen - 1;
    b.sequences = static_cast<int>(std::min<size_t>(16, std::max<size_t>(1, span / m_cfg.seqLen)));
    for (int s = 0; s < b.sequences; ++s) {
        const size_t start = m_trainEnd + span * s / b.sequences;
        for (int i = 0; i < b.length; ++i) {
            b.input.push_back(static_cast<uint8_t>(m_corpus[start + i]));
            b.target.push_back(static_cast<uint8_t>(m_corpus[start + i + 1]));
        }
    }
    return b;
}

StepLog Trainer::step() {
    const Batch b = sample();
    Params& g = m_grad;
    const LossParts parts =
        lossAndGrad(m_params, m_bias, m_cfg.model, b, splitmix64(m_cfg.seed + 7919ull * m_step), &g);
    // Global-norm clipping, then Adam (Kingma & Ba 2015) with bias correction.
    double norm2 = 0;
    g.forEach([&](const char*, double* d, Eigen::Index n) {
        for (Eigen::Index i = 0; i < n; ++i) norm2 += d[i] * d[i];
    });
    const double norm = std::sqrt(norm2), scale = norm > m_cfg.clip ? m_cfg.clip / norm : 1.0;
    ++m_step;
    std::vector<double*> gp, mp, vp;
    g.forEach([&](const char*, double* d, Eigen::Index) { gp.push_back(d); });
    m_m.forEach([&](const char*, double* d, Eigen::Index) { mp.push_back(d); });
    m_v.forEach([&](const char*, double* d, Eigen::Index) { vp.push_back(d); });
    size_t i = 0;
    m_params.forEach([&](const char*, double* p, Eigen::Index n) {
        adamUpdate(p, gp[i], mp[i], vp[i], n, m_step, m_cfg.lr, scale);
        ++i;
    });

    StepLog log;
    log.step = m_step;
    log.loss = parts.loss;
    log.ce = parts.ce;
    log.aux = parts.aux;
    log.z = parts.z;
    log.gradNorm = norm;
    const Routing& r = parts.routing;
    log.load = r.requested;
    const int E = r.experts;
    const Metrics m = computeMetrics(r, m_cfg.model.shape, r.k);
    log.cv = m.cv;
    log.dropRate = m.dropRate;
    double mean = 0;
    for (int n : r.requested) mean += n;
    mean /= E;
    // DeepSeek-V3 auxiliary-loss-free balancing: raise the bias of underloaded experts.
    if (m_cfg.biasRate > 0)
        for (int e = 0; e < E; ++e)
            m_bias[e] += m_cfg.biasRate * (mean > r.requested[e] ? 1 : mean < r.requested[e] ? -1 : 0);
    return log;
}

double Trainer::heldOutLoss() const {
    ModelSettings quiet = m_cfg.model;
    quiet.router.noisyTopk = false;
    quiet.router.jitter = 0;
    return lossAndGrad(m_params, m_bias, quiet, heldOutBatch(), 0, nullptr).ce;
}

std::vector<std::array<int, kByteClasses>> Trainer::specialisation() const {
    ModelSettings quiet = m_cfg.model;
    quiet.router.noisyTopk = false;
    quiet.router.jitter = 0;
    const Batch b = heldOutBatch();
    const LossParts parts = lossAndGrad(m_params, m_bias, quiet, b, 0, nullptr);
    std::vector<std::array<int, kByteClasses>> m(m_cfg.model.shape.experts);
    for (auto& row : m) row.fill(0);
    const Routing& r = parts.routing;
    for (int t = 0; t < r.tokens; ++t) ++m[r.slotExpert[r.slotBegin[t]]][byteClass(b.input[t])];
    return m;
}

std::string logLine(const StepLog& s) {
    return nlohmann::json{{"step", s.step}, {"loss", s.loss}, {"aux_loss", s.aux},
                          {"z_loss", s.z},  {"cv", s.cv},     {"drop_rate", s.dropRate},
                          {"load", s.load}, {"ce", s.ce},     {"grad_norm", s.gradNorm}}
        .dump();
}

}  // namespace moe::train
