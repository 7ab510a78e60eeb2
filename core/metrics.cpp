#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

using Rows = Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Each row's sum, left to right (Eigen's rowwise().sum() may pair terms up).
Eigen::ArrayXd rowSumsInOrder(const Rows& a) {
    Eigen::ArrayXd sum(a.rows());
    for (Eigen::Index t = 0; t < a.rows(); ++t) {
        double acc = 0;
        for (Eigen::Index e = 0; e < a.cols(); ++e) acc += a(t, e);
        sum[t] = acc;
    }
    return sum;
}

// One block's sums. The logarithms and exponentials go through Eigen's array functions,
// which vectorise them (one call per score in double took most of the classroom pass's
// metric time); the sums then go token by token in order, so a block's result does not
// depend on where it sits in the text.
void addRows(const Mat& logits, const Mat& scores, int from, int to, ScoreSums& out) {
    const int n = to - from, E = static_cast<int>(scores.cols());
    if (n <= 0 || E == 0) return;
    const Rows s = scores.middleRows(from, n).cast<double>().array();
    const Eigen::ArrayXd sum = rowSumsInOrder(s);
    const Rows p = s.colwise() / sum;
    // Logarithms and exponentials in float, each in an expression of its own, which Eigen
    // vectorises (its double ones, or a float one inside a double expression, are scalar
    // calls): about 1e-7 relative, far below the digits shown.
    using FloatRows = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    FloatRows logp = p.cast<float>();
    logp = logp.log();
    // Masked on the float logarithm: a p below float's range (a sigmoid score of 1e-45
    // over a sum of 2) rounds to 0 there, and its -inf times p would make the entropy
    // infinite; its true share, about 1e-44, is dropped.
    const Rows plogp = (logp > -std::numeric_limits<float>::infinity()).select(p * logp.cast<double>(), 0.0);
    // ST-MoE router z-loss (Zoph et al. 2022, eq. 5): (log sum_j exp z_j)^2.
    const Rows z = logits.middleRows(from, n).cast<double>().array();
    const Eigen::ArrayXd mx = z.rowwise().maxCoeff();
    FloatRows ezf = (z.colwise() - mx).cast<float>();
    ezf = ezf.exp();
    const Rows ez = ezf.cast<double>();
    const Eigen::ArrayXd lse = mx + rowSumsInOrder(ez).log();
    for (int t = 0; t < n; ++t) {
        if (sum[t] > 0) {
            double entropy = 0;
            for (int e = 0; e < E; ++e) {
                out.normalizedScores[e] += p(t, e);
                entropy -= plogp(t, e);
            }
            out.entropy += entropy;
        }
        out.zSquared += lse[t] * lse[t];
    }
}

// Population standard deviation / mean; 0 when the mean is 0.
double coefficientOfVariation(const std::vector<int>& load) {
    if (load.empty()) return 0.0;
    double mean = 0;
    for (int n : load) mean += n;
    mean /= double(load.size());
    double var = 0;
    for (int n : load) var += (n - mean) * (n - mean);
    var /= double(load.size());
    return mean > 0 ? std::sqrt(var) / mean : 0.0;
}

}  // namespace

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
        m.flopsPerTokenMoe = layerFlopsPerToken(shape, 0) +
                             double(E) * r.capacity / T * (layerFlopsPerToken(shape, 1) - layerFlopsPerToken(shape, 0));
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
    for (int n : r.requested) {
        mean += n;
        mx = std::max<double>(mx, n);
    }
    mean /= E;
    m.cv = coefficientOfVariation(r.requested);
    m.maxOverMean = mean > 0 ? mx / mean : 0.0;
    // The requested load does not move with the capacity; what the experts compute does.
    m.cvKept = coefficientOfVariation(r.kept);
    return m;
}

}  // namespace moe
