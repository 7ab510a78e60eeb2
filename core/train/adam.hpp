#pragma once
// Adam (Kingma & Ba 2015) with bias correction, shared by the byte-corpus trainer and
// the sentiment experiment.
#include <algorithm>
#include <cmath>
#include <Eigen/Core>

namespace moe::train {

// One step on one tensor of n values: weights w, gradient g (times gradScale, for
// clipping), first and second moments m and v, at step t (1 for the first). Each value
// on its own, so the work splits over threads and Eigen's vector square root (a plain
// std::sqrt stays scalar, for errno) without changing a bit.
inline void adamUpdate(double* w, const double* g, double* m, double* v, Eigen::Index n, int t, double lr,
                       double gradScale = 1.0) {
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
    constexpr Eigen::Index kBlock = 16384;
    const Eigen::Index blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 4)
    for (Eigen::Index b = 0; b < blocks; ++b) {
        const Eigen::Index at = b * kBlock, len = std::min(kBlock, n - at);
        const Eigen::Map<const Eigen::ArrayXd> G(g + at, len);
        Eigen::Map<Eigen::ArrayXd> W(w + at, len), M(m + at, len), V(v + at, len);
        const Eigen::ArrayXd gs = G * gradScale;
        M = b1 * M + (1 - b1) * gs;
        V = b2 * V + (1 - b2) * gs * gs;
        W -= lr * (M / c1) / ((V / c2).sqrt() + eps);
    }
}

}  // namespace moe::train
