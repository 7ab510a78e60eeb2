#pragma once
// Adam (Kingma & Ba 2015) with bias correction, shared by the byte-corpus trainer and
// the sentiment experiment.
#include <cmath>
#include <Eigen/Core>

namespace moe::train {

// One step on one tensor of n values: weights w, gradient g (times gradScale, for
// clipping), first and second moments m and v, at step t (1 for the first).
inline void adamUpdate(double* w, const double* g, double* m, double* v, Eigen::Index n, int t, double lr,
                       double gradScale = 1.0) {
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
    for (Eigen::Index j = 0; j < n; ++j) {
        const double gj = g[j] * gradScale;
        m[j] = b1 * m[j] + (1 - b1) * gj;
        v[j] = b2 * v[j] + (1 - b2) * gj * gj;
        w[j] -= lr * (m[j] / c1) / (std::sqrt(v[j] / c2) + eps);
    }
}

} // namespace moe::train
