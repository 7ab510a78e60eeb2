#pragma once
// Load-balancing and cost metrics of one routing decision (docs/contract.md, "metrics").
#include <cstdint>

#include "config.hpp"
#include "routing.hpp"

namespace moe {

struct Metrics {
    int tokens = 0;
    int assignments = 0;
    int dropped = 0;           // token choice: assignments lost; expert choice: tokens no expert took
    double dropRate = 0;       // dropped / assignments (token choice) or / tokens (expert choice)
    double auxLoss = 0;        // Switch Transformer: E * sum_i f_i P_i
    double zLoss = 0;          // ST-MoE: mean (logsumexp logits)^2
    double cv = 0;             // std / mean of requested (before capacity)
    double maxOverMean = 0;    // max / mean of requested
    double cvKept = 0;         // std / mean of kept (after capacity, reroutes included)
    double entropy = 0;        // mean -sum p ln p of the scores (nats)
    int64_t totalParams = 0;   // router + all experts + shared experts
    int64_t activeParams = 0;  // router + k experts + shared experts
    double flopsPerTokenMoe = 0;
    double flopsPerTokenDense = 0;  // a dense FFN as large as all E experts together
};

// The reductions over tokens behind aux loss, z-loss and entropy; a backend may
// compute them where the scores live (OpenCL: metrics.cl).
struct ScoreSums {
    std::vector<double> normalizedScores;  // [E] sum over tokens of scores normalised to sum 1
    double zSquared = 0;                   // sum over tokens of (logsumexp logits)^2
    double entropy = 0;                    // sum over tokens of -sum p ln p
};
ScoreSums scoreSums(const Routing& r);
// The sums go by blocks of kScoreSumBlock rows, each block summed on its own and the
// blocks added in order: the same bits for any thread count, and for rows computed in
// chunks that start at block boundaries (core/route_stream.cpp).
constexpr int kScoreSumBlock = 128;
std::vector<ScoreSums> scoreSumBlocks(const Mat& logits, const Mat& scores);
ScoreSums addScoreSumBlocks(const std::vector<ScoreSums>& blocks, int experts);

Metrics computeMetrics(const Routing& r, const ModelShape& shape, int k);
Metrics computeMetrics(const Routing& r, const ModelShape& shape, int k, const ScoreSums& sums);

// Cost model shared with the "dense vs MoE" view: 2 FLOPs per multiply-add.
int64_t layerParams(const ModelShape& shape, int activeExperts);
double layerFlopsPerToken(const ModelShape& shape, int activeExperts);

}  // namespace moe
