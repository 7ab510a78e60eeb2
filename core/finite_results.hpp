#pragma once
// moelab computes in 32-bit floats: finite but huge weights (a file's 3e38) overflow to
// infinity or NaN, which would print as "-nan", score 0 or vanish into a ReLU. These
// refuse such a result with an InputError naming the weights tensor behind it.
#include "metrics.hpp"
#include "routing.hpp"
#include "weights.hpp"

namespace moe {

// Router logits and scores; firstToken numbers the rows in the message (a chunk's offset).
void checkFiniteRouting(const ModelWeights& w, const Mat& logits, const Mat& scores, int firstToken = 0);
void checkFiniteOutputs(const ModelWeights& w, const Mat& x, const Routing& r, const Mat& outputs);
void checkFiniteMetrics(const ModelWeights& w, const Metrics& m);

}  // namespace moe
