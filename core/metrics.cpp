#include "metrics.hpp"

#include <algorithm>
#include <cmath>

#include "weights.hpp"

namespace moe {

int64_t layerParams(const ModelShape& s, int activeExperts) {
    const int64_t router = int64_t(s.experts) * s.dim + s.experts;
    return router + (activeExperts + int64_t(s.sharedExperts)) * expertParams(s);
}

double layerFlopsPerToken(const ModelShape& s, int activeExperts) {
    const double router = 2.0 * s.dim * s.experts;
    const double matmuls = s.activation == Activation::SwiGlu ? 3.0 : 2.0;
    const double expert = matmuls * 2.0 * s.dim * s.hidden;
    return router + (activeExperts + s.sharedExperts) * expert;
}

namespace {

void addRows(const Mat& logits, const Mat& scores, int from, int to, ScoreSums& out) {
    const int E = static_cast<int>(scores.cols());
    for (int t = from; t < to; ++t) {
        double sum = 0, entropy = 0;
        for (int e = 0; e < E; ++e) sum += scores(t, e);
        if (sum > 0) {
            for (int e = 0; e < E; ++e) {
                const double p = scores(t, e) / sum;
                out.normalizedScores[e] += p;
                if (p > 0) entropy -= p * std::log(p);
            }
        }
        out.entropy += entropy;
        // ST-MoE router z-loss (Zoph et al. 2022, eq. 5): (log sum_j exp z_j)^2.
        double mx = logits(t, 0);
        for (int e = 1; e < E; ++e) mx = std::max<double>(mx, logits(t, e));
        double s = 0;
        for (int e = 0; e < E; ++e) s += std::exp(double(logits(t, e)) - mx);
        const double lse = mx + std::log(s);
        out.zSquared += lse * lse;
    }
}

} // namespace

std::vector<ScoreSums> scoreSumBlocks(const Mat& logits, const Mat& scores) {
    const int T = static_cast<int>(scores.rows()), E = static_cast<int>(scores.cols());
    const int blocks = (T + kScoreSumBlock - 1) / kScoreSumBlock;
    std::vector<ScoreSums> part(blocks);
#pragma omp parallel for schedule(static) if (blocks > 1)
    for (int b = 0; b < blocks; ++b) {
        part[b].normalizedScores.assign(E, 0.0);
        addRows(logits, scores, b * kScoreSumBlock, std::min(T, (b + 1) * kScoreSumBlock), part[b]);
    }
    return part;
}

ScoreSums addScoreSumBlocks(const std::vector<ScoreSums>& blocks, int experts) {
    ScoreSums out;
    out.normalizedScores.assign(experts, 0.0);
    for (const ScoreSums& p : blocks) {
        for (int e = 0; e < experts; ++e) out.normalizedScores[e] += p.normalizedScores[e];
        out.entropy += p.entropy;
        out.zSquared += p.zSquared;
    }
    return out;
}

ScoreSums scoreSums(const Routing& r) { return addScoreSumBlocks(scoreSumBlocks(r.logits, r.scores), r.experts); }

Metrics computeMetrics(const Routing& r, const ModelShape& shape, int k) {
    return computeMetrics(r, shape, k, r.tokens > 0 && r.experts > 0 ? scoreSums(r) : ScoreSums{});
}

Metrics computeMetrics(const Routing& r, const ModelShape& shape, int k, const ScoreSums& sums) {
    Metrics m;
    const int T = r.tokens, E = r.experts;
    m.tokens = T;
    m.assignments = r.slotCount();
    for (int s = 0; s < r.slotCount(); ++s) m.assignments -= r.skipped(s);  // GShard's undispatched 2nd choices
    m.totalParams = layerParams(shape, shape.experts);
    m.activeParams = layerParams(shape, k);
    m.flopsPerTokenMoe = layerFlopsPerToken(shape, k);
    m.flopsPerTokenDense = layerFlopsPerToken(shape, shape.experts) - 2.0 * shape.dim * shape.experts;
    // Megatron's padding: every expert computes a full capacity of slots.
    if (r.padded && T > 0)
        m.flopsPerTokenMoe = layerFlopsPerToken(shape, 0) + double(E) * r.capacity / T * (layerFlopsPerToken(shape, 1) -
                                                                                          layerFlopsPerToken(shape, 0));
    if (T == 0 || E == 0) return m;

    if (r.mode == RoutingMode::TokenChoice) {
        for (int s = 0; s < r.slotCount(); ++s) m.dropped += !r.slotKept[s] && !r.skipped(s);
        m.dropRate = m.assignments ? double(m.dropped) / m.assignments : 0.0;
    } else {
        for (int t = 0; t < T; ++t) m.dropped += r.slotBegin[t + 1] == r.slotBegin[t] ? 1 : 0;
        m.dropRate = double(m.dropped) / T;
    }

    // Switch Transformer eq. 4: aux = E * sum_i f_i * P_i.
    double aux = 0;
    for (int e = 0; e < E; ++e) aux += double(r.requested[e]) / (double(T) * k) * (sums.normalizedScores[e] / T);
    m.auxLoss = E * aux;
    m.zLoss = sums.zSquared / T;
    m.entropy = sums.entropy / T;

    double mean = 0, mx = 0;
    for (int n : r.requested) mean += n, mx = std::max<double>(mx, n);
    mean /= E;
    double var = 0;
    for (int n : r.requested) var += (n - mean) * (n - mean);
    var /= E;
    m.cv = mean > 0 ? std::sqrt(var) / mean : 0.0;
    m.maxOverMean = mean > 0 ? mx / mean : 0.0;
    return m;
}

} // namespace moe
