// The language model's ops on OpenCL (shaders/lm.cl, shaders/attention.cl) against the
// Eigen reference (core/lm/lm_ops), on both kernel sets (the GPU's work-group tiled ones
// and the CPU's) whatever the device, over odd shapes. Without a device every test says "skipped: no OpenCL device".
//
// Tolerance: max|ocl - ref| / max(1, max|ref|) < 1e-5, the parity table's measure. Both
// sides round in float32 but sum in different orders (Eigen's vectorised dot products,
// the kernels' fused multiply-adds; the attention's online softmax rescales its sums
// block by block instead of normalising the probabilities first). A dot of 128 terms
// of size ~1 carries ~128 * 2^-24 ~ 8e-6 at worst and ~1e-6 in practice (PoCL: at most
// 5.4e-7 here, RoPE bit for bit), so 1e-5 holds for every shape while a wrong index, mask
// or scale misses it by orders of magnitude.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/eigen_backend.hpp"
#include "backends/opencl/opencl_backend.hpp"
#include "opencl_test_device.hpp"
#include "lm/lm_ops.hpp"
#include "rng.hpp"

using namespace moe;

namespace {

using test::Device;
using test::makeDevice;

// Both kernel sets on whatever device there is: the GPU's (work-group tiled) and the CPU's.
Device& device(OpenCLBackend::FfnKernels kernels) {
    static Device tiled = makeDevice(OpenCLBackend::FfnKernels::Tiled);
    static Device blocked = makeDevice(OpenCLBackend::FfnKernels::Blocked);
    return kernels == OpenCLBackend::FfnKernels::Tiled ? tiled : blocked;
}

std::vector<std::pair<std::string, OpenCLBackend*>> kernelSets() {
    std::vector<std::pair<std::string, OpenCLBackend*>> out;
    for (auto k : {OpenCLBackend::FfnKernels::Tiled, OpenCLBackend::FfnKernels::Blocked})
        if (device(k).backend)
            out.emplace_back(device(k).backend->tiledKernels() ? "tiled" : "blocked", device(k).backend.get());
    return out;
}

#define REQUIRE_OPENCL()                                     \
    if (!device(OpenCLBackend::FfnKernels::Blocked).backend) \
    GTEST_SKIP() << "skipped: no OpenCL device: " << device(OpenCLBackend::FfnKernels::Blocked).why

Mat randomMat(int rows, int cols, uint64_t seed, float scale = 1.0f) {
    Rng rng(seed, "lm.parity");
    Mat m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.uniform(-1.0f, 1.0f);
    return m;
}

double relError(const Mat& ref, const Mat& got) {
    EXPECT_EQ(ref.rows(), got.rows());
    EXPECT_EQ(ref.cols(), got.cols());
    if (ref.rows() != got.rows() || ref.cols() != got.cols() || ref.size() == 0)
        return ref.size() == got.size() ? 0 : 1;
    EXPECT_TRUE(got.allFinite());
    return (ref - got).cwiseAbs().maxCoeff() / std::max(1.0f, ref.cwiseAbs().maxCoeff());
}

constexpr double kTolerance = 1e-5;

// Records the largest error per kernel set (gtest's XML output: max_error_tiled, ...).
struct MaxError {
    std::map<std::string, double> worst;
    void add(const std::string& kernels, double e) { worst[kernels] = std::max(worst[kernels], e); }
    ~MaxError() {
        for (const auto& [kernels, e] : worst) {
            char text[32];
            std::snprintf(text, sizeof text, "%.3g", e);
            ::testing::Test::RecordProperty("max_error_" + kernels, text);
        }
    }
};

TEST(OpenCLLm, RmsNormMatchesTheReference) {
    MaxError worst;
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        for (int T : {1, 7, 257})
            for (int D : {128, 37}) {
                const Mat x = randomMat(T, D, T * 7 + D, 3.0f);
                const Vec gain = randomMat(D, 1, D).col(0);
                Mat ref, got;
                rmsNormReference(x, gain, 1e-5f, ref);
                cl->rmsNorm(x, gain, 1e-5f, got);
                const double e = relError(ref, got);
                worst.add(name, e);
                EXPECT_LT(e, kTolerance) << "T=" << T << " D=" << D;
            }
    }
}

TEST(OpenCLLm, RmsNormByHand) {
    // [3, 4]: mean square 12.5, so each entry over sqrt(12.5) = 3.5355339, times gain [1, 2].
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        Mat x(1, 2), out;
        x << 3.0f, 4.0f;
        Vec gain(2);
        gain << 1.0f, 2.0f;
        cl->rmsNorm(x, gain, 0.0f, out);
        EXPECT_NEAR(out(0, 0), 3.0 / std::sqrt(12.5), 1e-6);
        EXPECT_NEAR(out(0, 1), 8.0 / std::sqrt(12.5), 1e-6);
    }
}

TEST(OpenCLLm, LinearMatchesTheReference) {
    // The model's shapes ([T,128]x[128,128], [64,128], the head's [256,128], T up to 4096)
    // and widths that are no multiple of 32 or 64.
    struct Shape {
        int T, K, N;
    };
    MaxError worst;
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        for (const Shape s : {Shape{1, 128, 128}, Shape{7, 128, 64}, Shape{257, 128, 256}, Shape{4096, 128, 256},
                              Shape{13, 37, 19}, Shape{65, 5, 70}, Shape{9, 128, 33}}) {
            const Mat x = randomMat(s.T, s.K, s.T + s.K), w = randomMat(s.N, s.K, s.N * 3);
            Mat ref, got;
            linearReference(x, w, ref);
            cl->linear(x, w, got);
            const double e = relError(ref, got);
            worst.add(name, e);
            EXPECT_LT(e, kTolerance) << "T=" << s.T << " K=" << s.K << " N=" << s.N;
        }
    }
}

TEST(OpenCLLm, RopeMatchesTheReference) {
    const RopeTable table = ropeTable(600, 32, 10000.0);
    MaxError worst;
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        for (int T : {1, 7, 257})
            for (int firstPos : {0, 5, 300}) {
                Mat ref = randomMat(T, 4 * 32, T + firstPos), got = ref;
                ropeReference(ref, 4, table, firstPos);
                cl->rope(got, 4, table, firstPos);
                const double e = relError(ref, got);
                worst.add(name, e);
                EXPECT_LT(e, 1e-6) << "T=" << T << " firstPos=" << firstPos;  // two products and a sum
            }
    }
}

TEST(OpenCLLm, RopeByHandOnBothBackends) {
    // head_dim 4, theta 10000: inv_freq = 1 and 10000^(-1/2) = 0.01; at position 1 the
    // pairs (x0, x2) and (x1, x3) turn by 1 and 0.01 radians.
    const RopeTable table = ropeTable(2, 4, 10000.0);
    const double c1 = std::cos(1.0), s1 = std::sin(1.0), c2 = std::cos(0.01), s2 = std::sin(0.01);
    const double want[4] = {1 * c1 - 3 * s1, 2 * c2 - 4 * s2, 3 * c1 + 1 * s1, 4 * c2 + 2 * s2};
    EigenBackend eigen;
    const auto check = [&](Backend& b) {
        Mat x(1, 4);
        x << 1.0f, 2.0f, 3.0f, 4.0f;
        b.rope(x, 1, table, 1);  // row 0 is position 1
        for (int i = 0; i < 4; ++i) EXPECT_NEAR(x(0, i), want[i], 1e-6) << b.name() << " column " << i;
    };
    check(eigen);
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        check(*cl);
    }
}

struct AttentionCase {
    int n, firstPos, heads, kvHeads, headDim;
};

// Query heads / KV heads 4/2, 4/4 and 2/1; one row (decoding) and odd blocks, with and
// without a KV cache before them; T up to 4096; head widths 16, 32, 64 and 128 (the most
// attention.cl holds).
const AttentionCase kAttentionCases[] = {
    {1, 0, 4, 2, 32},   {1, 300, 4, 2, 32},   {7, 0, 4, 4, 32},    {7, 5, 2, 1, 32},
    {257, 0, 4, 2, 32}, {257, 100, 4, 4, 16}, {1024, 0, 4, 2, 32}, {1000, 24, 2, 1, 64},
    {65, 3, 2, 1, 128}, {64, 64, 4, 2, 32},   {4096, 0, 4, 2, 32},  // the model's longest context
};

TEST(OpenCLLm, CausalAttentionMatchesTheReference) {
    MaxError worst;
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        for (const AttentionCase& c : kAttentionCases) {
            const AttentionShape s{c.heads, c.kvHeads, c.headDim};
            const int keys = c.firstPos + c.n, seed = c.n * 13 + c.firstPos;
            const Mat q = randomMat(c.n, c.heads * c.headDim, seed, 2.0f);
            const Mat k = randomMat(keys, c.kvHeads * c.headDim, seed + 1, 2.0f);
            const Mat v = randomMat(keys, c.kvHeads * c.headDim, seed + 2);
            Mat ref, got;
            causalAttentionReference(q, k, v, s, c.firstPos, ref);
            cl->causalAttention(q, k, v, s, c.firstPos, got);
            const double e = relError(ref, got);
            worst.add(name, e);
            EXPECT_LT(e, kTolerance) << "n=" << c.n << " firstPos=" << c.firstPos << " heads=" << c.heads << "/"
                                     << c.kvHeads << " headDim=" << c.headDim;
        }
    }
}

TEST(OpenCLLm, AttentionWithACacheEqualsTheWholeSequence) {
    // Rows 200..299 attending over a 200-row cache are rows 200..299 of the whole pass.
    const AttentionShape s{4, 2, 32};
    const Mat q = randomMat(300, 128, 1), k = randomMat(300, 64, 2), v = randomMat(300, 64, 3);
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        Mat whole, tail;
        cl->causalAttention(q, k, v, s, 0, whole);
        cl->causalAttention(q.bottomRows(100), k, v, s, 200, tail);
        EXPECT_LT(relError(whole.bottomRows(100), tail), kTolerance);
        // The first row sees only position 0: its output is v's row 0, head by head.
        for (int h = 0; h < 4; ++h)
            for (int d = 0; d < 32; ++d) EXPECT_FLOAT_EQ(whole(0, h * 32 + d), v(0, (h / 2) * 32 + d));
    }
}

TEST(OpenCLLm, AttentionIsStableForLargeScores) {
    // Scores in the thousands overflow exp without the max subtraction.
    const AttentionShape s{2, 1, 32};
    const Mat q = randomMat(40, 64, 4, 30.0f), k = randomMat(40, 32, 5, 30.0f), v = randomMat(40, 32, 6);
    Mat ref;
    causalAttentionReference(q, k, v, s, 0, ref);
    ASSERT_TRUE(ref.allFinite());
    REQUIRE_OPENCL();
    for (auto& [name, cl] : kernelSets()) {
        SCOPED_TRACE(name);
        Mat got;
        cl->causalAttention(q, k, v, s, 0, got);
        EXPECT_LT(relError(ref, got), kTolerance);
    }
}

TEST(OpenCLLm, OtherHeadWidthsRunOnTheReference) {
    // attention.cl holds heads of up to 128 columns, a multiple of 16; others take the
    // reference's path, bit for bit.
    REQUIRE_OPENCL();
    for (const int hd : {160, 8}) {
        const AttentionShape s{2, 1, hd};
        const Mat q = randomMat(5, 2 * hd, 7), k = randomMat(5, hd, 8), v = randomMat(5, hd, 9);
        Mat ref;
        causalAttentionReference(q, k, v, s, 0, ref);
        for (auto& [name, cl] : kernelSets()) {
            SCOPED_TRACE(name);
            Mat got;
            cl->causalAttention(q, k, v, s, 0, got);
            EXPECT_EQ(ref, got) << "headDim " << hd;
        }
    }
}

}  // namespace
