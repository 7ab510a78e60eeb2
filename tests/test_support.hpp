#pragma once
// Helpers for hand-computed routing cases.
#include <cmath>
#include <vector>

#include "errors.hpp"
#include "routing.hpp"

namespace moe::test {

// Logits whose softmax (T=1) is exactly the given probabilities: z = ln p.
inline Mat logitsFromProbs(const std::vector<std::vector<float>>& probs) {
    Mat z(probs.size(), probs[0].size());
    for (size_t t = 0; t < probs.size(); ++t)
        for (size_t e = 0; e < probs[t].size(); ++e) z(t, e) = std::log(probs[t][e]);
    return z;
}

inline Routing routeProbs(const std::vector<std::vector<float>>& probs, const RouterConfig& cfg) {
    RouterLogits in;
    in.logits = logitsFromProbs(probs);
    return decideRouting(in, cfg, Vec::Zero(in.logits.cols()));
}

} // namespace moe::test
