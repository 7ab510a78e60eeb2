// The language model's ops on the OpenCL device (shaders/lm.cl, shaders/attention.cl):
// upload the host inputs, run, read the result back (see opencl_backend.hpp for what
// keeping them on the device would take).
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cl_util.hpp"
#include "opencl_backend.hpp"

namespace moe {
namespace {

using opencl::roundUp;
using opencl::setArgs;
using opencl::tiledItems;
// linear_blocked shares expert_ffn.cl's blocking: RM rows and 32 outputs (the weights' padding) a work-item.
constexpr int kLinearRows = opencl::kRowsPerTile;
constexpr int kLinearLanes = opencl::kFfnLanes;

constexpr int kNormGroup = 64;            // RN in lm.cl
constexpr int kMaxHeadDim = 128;          // ATT_MAX_HD in attention.cl
constexpr int kAttentionKeys = 32;        // ATT_BK
constexpr int kAttentionRows = 64;        // ATT_BQ
constexpr int kAttentionRowsPerItem = 4;  // ATT_RQ
// Work-items per work-group of the CPU attention: PoCL keeps a group's private arrays
// (4.5 KB a work-item) on a worker thread's stack, which a size of its own choosing overflowed.
constexpr int kAttentionCpuGroup = 16;

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("OpenCL " + what);
}

}  // namespace

void OpenCLBackend::rmsNorm(const Mat& x, const Vec& gain, float eps, Mat& out) {
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols());
    require(gain.size() == D,
            "rmsNorm: gain has " + std::to_string(gain.size()) + " entries for rows of " + std::to_string(D));
    out.resize(T, D);
    if (T == 0 || D == 0) return;
    try {
        cl::Buffer& bx = upload(m_lmb.x, x.data(), x.size() * 4);
        cl::Buffer& bg = upload(m_lmb.gain, gain.data(), size_t(D) * 4);
        cl::Buffer& bo = ensure(m_lmb.out, out.size() * 4);
        setArgs(m_lmk.rmsNorm, bx, bg, eps, bo, D);
        launch(m_lmk.rmsNorm, cl::NDRange(size_t(T) * kNormGroup), cl::NDRange(kNormGroup));
        download(m_lmb.out, out.data(), out.size() * 4, true);
    } catch (const cl::Error& e) {
        fail("RMSNorm", e);
    }
}

void OpenCLBackend::linear(const Mat& x, const Mat& w, Mat& out) {
    const int T = static_cast<int>(x.rows()), K = static_cast<int>(x.cols()), N = static_cast<int>(w.rows());
    require(w.cols() == K, "linear: x has " + std::to_string(K) + " columns, w " + std::to_string(w.cols()));
    out.resize(T, N);
    if (T == 0 || N == 0) return;
    const int Np = static_cast<int>(roundUp(N, kLinearLanes));
    // w transposed to [K][Np], zero-padded: both kernels read 32 (or 64) outputs of a row of it.
    std::vector<float> wt(size_t(K) * Np, 0.0f);
    Eigen::Map<Mat, 0, Eigen::OuterStride<>>(wt.data(), K, N, Eigen::OuterStride<>(Np)) = w.transpose();
    try {
        cl::Buffer& bx = upload(m_lmb.x, x.data(), x.size() * 4);
        cl::Buffer& bw = upload(m_lmb.w, wt.data(), wt.size() * 4);
        cl::Buffer& bo = ensure(m_lmb.out, out.size() * 4);
        if (m_tiled) {  // 16 x 16 work-items per 64 rows x 64 outputs
            setArgs(m_lmk.linearTiled, bx, bw, bo, T, K, N, Np);
            launch(m_lmk.linearTiled, cl::NDRange(tiledItems(N), tiledItems(T)), cl::NDRange(16, 16));
        } else {
            setArgs(m_lmk.linearBlocked, bx, bw, bo, T, K, N, Np);
            launch(m_lmk.linearBlocked, cl::NDRange(Np / kLinearLanes, roundUp(T, kLinearRows) / kLinearRows));
        }
        download(m_lmb.out, out.data(), out.size() * 4, true);  // wt lives until here
    } catch (const cl::Error& e) {
        fail("linear", e);
    }
}

void OpenCLBackend::rope(Mat& qk, int heads, const RopeTable& table, int firstPos) {
    const int n = static_cast<int>(qk.rows()), hd = table.headDim;
    require(heads * hd <= qk.cols(), "rope: " + std::to_string(heads) + " heads of " + std::to_string(hd) +
                                         " columns do not fit rows of " + std::to_string(qk.cols()));
    require(firstPos >= 0 && firstPos + n <= table.cos.rows(), "rope: positions up to " + std::to_string(firstPos + n) +
                                                                   " but the table has " +
                                                                   std::to_string(table.cos.rows()));
    if (n == 0 || heads == 0 || hd / 2 == 0) return;
    try {
        // Only this call's rows of the table: positions firstPos..firstPos+n-1.
        const size_t rows = size_t(n) * hd * 4;
        cl::Buffer& bq = upload(m_lmb.q, qk.data(), qk.size() * 4);
        cl::Buffer& bc = upload(m_lmb.cos, table.cos.row(firstPos).data(), rows);
        cl::Buffer& bs = upload(m_lmb.sin, table.sin.row(firstPos).data(), rows);
        setArgs(m_lmk.rope, bq, bc, bs, hd, static_cast<int>(qk.cols()));
        launch(m_lmk.rope, cl::NDRange(hd / 2, heads, n));
        download(m_lmb.q, qk.data(), qk.size() * 4, true);
    } catch (const cl::Error& e) {
        fail("RoPE", e);
    }
}

void OpenCLBackend::causalAttention(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s, int firstPos,
                                    Mat& out) {
    const int n = static_cast<int>(q.rows()), hd = s.headDim, keys = firstPos + n;
    // attention.cl keeps a query and its sum in private arrays of kMaxHeadDim floats, as
    // float16 vectors on CPUs; other widths (the model's is 32) run on the reference.
    if (hd > kMaxHeadDim || hd % 16 != 0) return Backend::causalAttention(q, k, v, s, firstPos, out);
    require(s.kvHeads > 0 && s.heads % s.kvHeads == 0,
            "attention: " + std::to_string(s.heads) + " heads are no multiple of " + std::to_string(s.kvHeads));
    require(q.cols() == s.heads * hd && k.cols() == s.kvHeads * hd && v.cols() == k.cols(),
            "attention: q, k, v columns do not match heads x headDim");
    require(firstPos >= 0 && k.rows() >= keys && v.rows() >= keys,
            "attention: " + std::to_string(keys) + " positions but k and v have " + std::to_string(k.rows()) + " and " +
                std::to_string(v.rows()) + " rows");
    out.setZero(n, q.cols());
    if (n == 0 || hd == 0) return;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    try {
        const size_t kvBytes = size_t(keys) * k.cols() * 4;  // the first `keys` rows, contiguous
        cl::Buffer& bq = upload(m_lmb.q, q.data(), q.size() * 4);
        std::vector<float> kt;  // the CPU kernel's k; alive until the blocking download
        cl::Buffer& bv = upload(m_lmb.v, v.data(), kvBytes);
        cl::Buffer& bo = ensure(m_lmb.out, out.size() * 4);
        if (m_tiled) {  // ATT_BQ query rows of one head per work-group, k and v blocks in local memory
            const cl::LocalSpaceArg block = cl::Local(size_t(kAttentionKeys) * hd * 4);
            cl::Buffer& bk = upload(m_lmb.k, k.data(), kvBytes);
            setArgs(m_lmk.attentionTiled, bq, bk, bv, bo, block, block, n, firstPos, s.heads, s.kvHeads, hd, scale);
            launch(m_lmk.attentionTiled, cl::NDRange(roundUp(n, kAttentionRows), s.heads),
                   cl::NDRange(kAttentionRows, 1));
        } else {  // k transposed per KV head, [kvHeads][hd][ldk], keys padded to 16 with zeros
            const int ldk = static_cast<int>(roundUp(keys, 16));
            kt.assign(size_t(s.kvHeads) * hd * ldk, 0.0f);
            for (int g = 0; g < s.kvHeads; ++g)
                Eigen::Map<Mat, 0, Eigen::OuterStride<>>(kt.data() + size_t(g) * hd * ldk, hd, keys,
                                                         Eigen::OuterStride<>(ldk)) =
                    k.block(0, g * hd, keys, hd).transpose();
            cl::Buffer& bkt = upload(m_lmb.k, kt.data(), kt.size() * 4);
            setArgs(m_lmk.attention, bq, bkt, bv, bo, n, firstPos, s.heads, s.kvHeads, hd, ldk, scale);
            const size_t items = roundUp(n, kAttentionRowsPerItem) / kAttentionRowsPerItem;
            launch(m_lmk.attention, cl::NDRange(roundUp(items, kAttentionCpuGroup), s.heads),
                   cl::NDRange(kAttentionCpuGroup, 1));
        }
        download(m_lmb.out, out.data(), out.size() * 4, true);
    } catch (const cl::Error& e) {
        fail("attention", e);
    }
}

}  // namespace moe
