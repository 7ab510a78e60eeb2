#include "lm_ops.hpp"

#include <cmath>

namespace moe {

void rmsNormReference(const Mat& x, const Vec& gain, float eps, Mat& out) {
    out.resize(x.rows(), x.cols());
    for (Eigen::Index t = 0; t < x.rows(); ++t) {
        const float meanSquare = x.row(t).squaredNorm() / static_cast<float>(x.cols());
        const float inv = 1.0f / std::sqrt(meanSquare + eps);
        out.row(t) = (x.row(t) * inv).cwiseProduct(gain.transpose());
    }
}

void linearReference(const Mat& x, const Mat& w, Mat& out) { out.noalias() = x * w.transpose(); }

RopeTable ropeTable(int positions, int headDim, double theta) {
    RopeTable t;
    t.headDim = headDim;
    t.cos.resize(positions, headDim);
    t.sin.resize(positions, headDim);
    const int half = headDim / 2;
    for (int p = 0; p < positions; ++p) {
        for (int i = 0; i < half; ++i) {
            const double invFreq = std::pow(theta, -2.0 * i / headDim);
            const double angle = static_cast<double>(p) * invFreq;
            t.cos(p, i) = t.cos(p, i + half) = static_cast<float>(std::cos(angle));
            t.sin(p, i) = t.sin(p, i + half) = static_cast<float>(std::sin(angle));
        }
    }
    return t;
}

void ropeReference(Mat& qk, int heads, const RopeTable& table, int firstPos) {
    const int hd = table.headDim, half = hd / 2;
    for (Eigen::Index r = 0; r < qk.rows(); ++r) {
        const auto c = table.cos.row(firstPos + r);
        const auto s = table.sin.row(firstPos + r);
        for (int h = 0; h < heads; ++h) {
            float* x = qk.row(r).data() + h * hd;
            for (int i = 0; i < half; ++i) {
                const float x1 = x[i], x2 = x[i + half];
                x[i] = x1 * c(i) - x2 * s(i);
                x[i + half] = x2 * c(i + half) + x1 * s(i + half);
            }
        }
    }
}

void causalAttentionReference(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s, int firstPos,
                              Mat& out) {
    const Eigen::Index n = q.rows();
    const int group = s.heads / s.kvHeads, hd = s.headDim;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    out.setZero(n, static_cast<Eigen::Index>(s.heads) * hd);
    Eigen::VectorXf p;
    for (int h = 0; h < s.heads; ++h) {
        const int kvCol = (h / group) * hd;
        for (Eigen::Index i = 0; i < n; ++i) {
            const Eigen::Index visible = firstPos + i + 1;
            const auto qi = (q.row(i).segment(h * hd, hd) * scale).eval();
            p = k.block(0, kvCol, visible, hd) * qi.transpose();
            p = (p.array() - p.maxCoeff()).exp();
            p /= p.sum();
            out.row(i).segment(h * hd, hd) = p.transpose() * v.block(0, kvCol, visible, hd);
        }
    }
}

}  // namespace moe
