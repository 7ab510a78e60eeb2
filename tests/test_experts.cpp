#include <gtest/gtest.h>

#include <cmath>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "experts.hpp"
#include "gemm_kernel.hpp"
#include "layer.hpp"
#include "rng.hpp"
#include <omp.h>

using namespace moe;

namespace {

// Plain loops, no Eigen products: the FFN written the way the formula reads.
std::vector<float> naiveFfn(const ExpertWeights& e, Activation a, const float* x, int D, int H) {
    std::vector<float> h(H), y(D);
    for (int i = 0; i < H; ++i) {
        double s = e.b1[i];
        for (int j = 0; j < D; ++j) s += double(e.w1(i, j)) * x[j];
        double v = s;
        if (a == Activation::Relu) v = std::max(0.0, s);
        if (a == Activation::Gelu) v = 0.5 * s * (1 + std::erf(s / std::sqrt(2.0)));
        if (a == Activation::Silu) v = s / (1 + std::exp(-s));
        if (a == Activation::SwiGlu) {
            double g = e.bGate[i];
            for (int j = 0; j < D; ++j) g += double(e.wGate(i, j)) * x[j];
            v = s * g / (1 + std::exp(-g));
        }
        h[i] = static_cast<float>(v);
    }
    for (int i = 0; i < D; ++i) {
        double s = e.b2[i];
        for (int j = 0; j < H; ++j) s += double(e.w2(i, j)) * h[j];
        y[i] = static_cast<float>(s);
    }
    return y;
}

}  // namespace

TEST(Experts, ActivationsByHand) {
    Mat h(1, 4);
    h << -1.0f, 0.0f, 1.0f, 2.0f;
    Mat r = h;
    activate(r, Activation::Relu);
    EXPECT_EQ(r, (Mat(1, 4) << 0, 0, 1, 2).finished());
    Mat g = h;
    activate(g, Activation::Gelu);
    EXPECT_NEAR(g(0, 2), 0.8413447, 1e-6);  // 1 * Phi(1)
    EXPECT_NEAR(g(0, 0), -0.1586553, 1e-6);
    Mat s = h;
    activate(s, Activation::Silu);
    EXPECT_NEAR(s(0, 2), 0.7310586, 1e-6);  // 1 * sigmoid(1)
}

TEST(Experts, TinyFfnByHand) {
    // D=H=1: y = 3 * relu(2x - 1) + 0.5; x = 1 -> 3.5.
    ExpertWeights e;
    e.w1 = Mat::Constant(1, 1, 2.0f);
    e.b1 = Vec::Constant(1, -1.0f);
    e.w2 = Mat::Constant(1, 1, 3.0f);
    e.b2 = Vec::Constant(1, 0.5f);
    FfnScratch sc;
    EXPECT_FLOAT_EQ(ffnForward(e, Activation::Relu, Mat::Constant(1, 1, 1.0f), sc)(0, 0), 3.5f);
    EXPECT_FLOAT_EQ(ffnForward(e, Activation::Relu, Mat::Constant(1, 1, 0.0f), sc)(0, 0), 0.5f);
}

class ExpertsVsNaive : public ::testing::TestWithParam<std::tuple<Activation, int, int>> {};

TEST_P(ExpertsVsNaive, GroupedComputeMatchesPerTokenFormula) {
    const auto [act, shared, k] = GetParam();
    ModelShape s;
    s.experts = 5;
    s.dim = 7;
    s.hidden = 13;
    s.sharedExperts = shared;
    s.activation = act;
    const ModelWeights w = initWeights(s, 3);
    std::string text = "Mixture of experts 专家混合 \xFF\x80 end";
    // Enough tokens to span several 256-row work items per expert.
    for (int i = 0; i < 5; ++i) text += text;
    const Mat x = embedBytes(w, text);
    RouterConfig cfg;
    cfg.k = k;
    cfg.capacityFactor = 1.0;  // some drops, which must contribute nothing
    EigenBackend be;
    LayerResult res;
    runLayer(be, w, cfg, x, true, res);
    ASSERT_GT(res.metrics.dropped, 0);
    const Routing& r = res.routing;
    double worst = 0, scale = 0;
    for (int t = 0; t < r.tokens; ++t) {
        std::vector<double> want(s.dim, 0.0);
        for (int sl = r.slotBegin[t]; sl < r.slotBegin[t + 1]; ++sl) {
            if (!r.slotKept[sl]) continue;
            const auto y = naiveFfn(w.experts[r.slotExpert[sl]], act, x.row(t).data(), s.dim, s.hidden);
            for (int j = 0; j < s.dim; ++j) want[j] += r.slotWeight[sl] * y[j];
        }
        for (int i = 0; i < shared; ++i) {
            const auto y = naiveFfn(w.shared[i], act, x.row(t).data(), s.dim, s.hidden);
            for (int j = 0; j < s.dim; ++j) want[j] += y[j];
        }
        for (int j = 0; j < s.dim; ++j) {
            worst = std::max(worst, std::abs(want[j] - res.outputs(t, j)));
            scale = std::max(scale, std::abs(want[j]));
        }
    }
    EXPECT_LT(worst, 1e-5 * std::max(1.0, scale));
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ExpertsVsNaive,
                         ::testing::Combine(::testing::Values(Activation::Relu, Activation::Gelu, Activation::Silu,
                                                              Activation::SwiGlu),
                                            ::testing::Values(0, 2), ::testing::Values(1, 3)));

TEST(Experts, BucketsHoldOnlyKeptAssignments) {
    Routing r;
    r.tokens = 3;
    r.experts = 2;
    r.slotBegin = {0, 2, 4, 6};
    r.slotExpert = {0, 1, 1, 0, 0, 1};
    r.slotKept = {1, 1, 0, 1, 1, 0};
    r.slotWeight.assign(6, 0.5f);
    std::vector<int> off, slots;
    bucketByExpert(r, off, slots);
    EXPECT_EQ(off, (std::vector<int>{0, 3, 4}));
    EXPECT_EQ(slots, (std::vector<int>{0, 3, 4, 1}));
}

namespace {
// n bytes of any value, the same for a given seed.
std::string randomBytes(int n, uint64_t seed) {
    std::string text(n, 'a');
    Rng rng(seed, "text");
    for (char& c : text) c = static_cast<char>(rng.next() & 0xFF);
    return text;
}
}  // namespace

TEST(Experts, OutputIndependentOfThreadCount) {
    ModelShape s;
    s.dim = 16;
    s.hidden = 40;
    const ModelWeights w = initWeights(s, 5);
    const Mat x = embedBytes(w, randomBytes(3000, 9));
    RouterConfig cfg;
    EigenBackend be;
    LayerResult a, b;
    const int threads = omp_get_max_threads();
    // Four threads even on a smaller machine (oversubscribed), so the runs really differ.
    omp_set_num_threads(4);
    ASSERT_EQ(omp_get_max_threads(), 4);
    runLayer(be, w, cfg, x, true, a);
    omp_set_num_threads(1);
    runLayer(be, w, cfg, x, true, b);
    omp_set_num_threads(threads);
    EXPECT_EQ(a.outputs, b.outputs);  // bit for bit
}

namespace {
// Values in [-1, 1] in steps of 0.001, for the micro-kernel tests.
Mat randomMat(Rng& rng, int rows, int cols) {
    Mat m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = float(rng.next() % 2001) / 1000.0f - 1.0f;
    return m;
}
}  // namespace

// gemm_kernel.cpp against x·Wᵀ + b written with Eigen: every row count up to two blocks
// and a tail, widths that are not multiples of the column block, each epilogue.
TEST(Experts, MicroKernelMatchesTheFormulaForEveryRowTailAndEpilogue) {
    if (!gemmKernelAvailable()) GTEST_SKIP() << "skipped: this build has no AVX2+FMA or AVX-512 micro-kernel";
    Rng rng(4, "gemm");
    const auto random = [&](int r, int c) { return randomMat(rng, r, c); };
    const int in = 37, out = 45;
    const Mat w = random(out, in), xAll = random(20, in), mulAll = random(20, out + 64);
    const Vec b = random(1, out).row(0).transpose();
    const PackedWeight p = packWeight(w, b);
    ASSERT_EQ(p.outPadded % gemmColumnBlock(), 0);
    ASSERT_GE(p.outPadded, out);
    for (int rows = 1; rows <= 20; ++rows) {
        const Mat x = xAll.topRows(rows);
        Mat want = (x * w.transpose()).rowwise() + b.transpose();
        for (const Epilogue e : {Epilogue::Bias, Epilogue::BiasAct, Epilogue::BiasTimesMul}) {
            Mat y = Mat::Constant(rows, p.outPadded + 3, 99.0f);
            gemmRows({x.data(), in}, rows, p, e, Activation::Gelu, {mulAll.data(), int(mulAll.cols())},
                     {y.data(), int(y.cols())});
            Mat expect = want;
            if (e == Epilogue::BiasAct) activate(expect, Activation::Gelu);
            if (e == Epilogue::BiasTimesMul) expect = expect.cwiseProduct(mulAll.topRows(rows).leftCols(out));
            EXPECT_LT((y.leftCols(out) - expect).cwiseAbs().maxCoeff(), 1e-5f) << rows << " rows, epilogue " << int(e);
            if (e == Epilogue::Bias) {
                EXPECT_EQ(y.middleCols(out, p.outPadded - out).cwiseAbs().maxCoeff(), 0.0f);  // zero padding
            }
            EXPECT_EQ(y.col(p.outPadded)(0), 99.0f);  // nothing written past the padded width
        }
    }
}

// Rows picked by an index on both sides (tokens read and slots written in place), an
// inner dimension over two depth passes and more columns than one group: every output
// must be exactly one fused multiply-add chain over its inputs in order, plus the bias,
// so the depth passes must not change a bit.
TEST(Experts, MicroKernelSumsEveryOutputInOrderThroughIndexedRows) {
    if (!gemmKernelAvailable()) GTEST_SKIP() << "skipped: this build has no AVX2+FMA or AVX-512 micro-kernel";
    Rng rng(5, "gemm.indexed");
    const auto random = [&](int r, int c) { return randomMat(rng, r, c); };
    const int in = 600, out = 300, rows = 29;
    const Mat w = random(out, in), x = random(40, in);
    const Vec b = random(1, out).row(0).transpose();
    const PackedWeight p = packWeight(w, b);
    std::vector<int> xRows(rows), yRows(rows);
    for (int i = 0; i < rows; ++i) {
        xRows[i] = (i * 17 + 3) % 40;
        yRows[i] = 2 * i + 1;  // odd rows of y only
    }
    Mat y = Mat::Constant(2 * rows + 1, p.outPadded, 99.0f);
    gemmRows({x.data(), in, xRows.data()}, rows, p, Epilogue::Bias, Activation::Relu, {},
             {y.data(), p.outPadded, yRows.data()});
    for (int i = 0; i < rows; ++i) {
        for (int o = 0; o < out; ++o) {
            float acc = 0;
            for (int k = 0; k < in; ++k) acc = std::fma(x(xRows[i], k), w(o, k), acc);
            ASSERT_EQ(y(yRows[i], o), acc + b(o)) << "row " << i << " column " << o;
        }
        EXPECT_EQ(y(2 * i, 0), 99.0f) << "row " << 2 * i << " is not in the index and must stay untouched";
    }
}

// The runner's micro-kernel path and its Eigen path give the same outputs.
TEST(Experts, MicroKernelAndEigenAgreeOnTheLayer) {
    ModelShape s;
    s.dim = 48;
    s.hidden = 200;
    s.experts = 6;
    s.sharedExperts = 1;
    s.activation = Activation::SwiGlu;
    const ModelWeights w = initWeights(s, 8);
    const Mat x = embedBytes(w, randomBytes(2000, 3));
    EigenBackend be;
    const Routing r = be.route(w, RouterConfig{}, x);
    ExpertRunner kernel, eigen;
    eigen.useEigen(true);
    Mat a, b;
    kernel.run(w, x, r, a);
    eigen.run(w, x, r, b);
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-5f * std::max(1.0f, b.cwiseAbs().maxCoeff()));
}
