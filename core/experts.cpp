#include "experts.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <omp.h>

#include "combine.hpp"

namespace moe {
namespace {
constexpr int kChunkRows = 512;  // rows per GEMM work item; 256 measured 30% slower at H=1024

struct WorkItem {
    int expert;  // -1 - s for shared expert s
    int begin, end;
};
} // namespace

void activate(float* p, Eigen::Index n, Activation a) {
    switch (a) {
    case Activation::Relu:
        for (Eigen::Index i = 0; i < n; ++i) p[i] = p[i] > 0 ? p[i] : 0.0f;
        break;
    case Activation::Gelu:
        for (Eigen::Index i = 0; i < n; ++i) p[i] = 0.5f * p[i] * (1.0f + std::erf(p[i] * 0.70710678f));
        break;
    case Activation::Silu:
    case Activation::SwiGlu:
        for (Eigen::Index i = 0; i < n; ++i) p[i] = p[i] / (1.0f + std::exp(-p[i]));
        break;
    }
}

void ensureSize(Mat& m, Eigen::Index rows, Eigen::Index cols) {
    if (m.rows() < rows || m.cols() != cols) m.resize(std::max(rows, m.rows()), cols);
}

Mat::RowsBlockXpr ffnForward(const ExpertWeights& e, Activation a, const Eigen::Ref<const Mat>& x, FfnScratch& s) {
    const Eigen::Index n = x.rows(), H = e.w1.rows();
    ensureSize(s.h, n, H);
    auto h = s.h.topRows(n);  // contiguous: full rows of a row-major matrix
    h.noalias() = x * e.w1.transpose();
    h.rowwise() += e.b1.transpose();
    if (a == Activation::SwiGlu) {
        ensureSize(s.g, n, H);
        auto g = s.g.topRows(n);
        g.noalias() = x * e.wGate.transpose();
        g.rowwise() += e.bGate.transpose();
        activate(g.data(), g.size(), Activation::Silu);
        h.array() *= g.array();
    } else {
        activate(h.data(), h.size(), a);
    }
    ensureSize(s.y, n, e.w2.rows());
    auto y = s.y.topRows(n);
    y.noalias() = h * e.w2.transpose();
    y.rowwise() += e.b2.transpose();
    return y;
}

void bucketByExpert(const Routing& r, std::vector<int>& offsets, std::vector<int>& slots) {
    offsets.assign(r.experts + 1, 0);
    for (int s = 0; s < r.slotCount(); ++s)
        if (r.slotKept[s]) ++offsets[r.slotExpert[s] + 1];
    for (int e = 0; e < r.experts; ++e) offsets[e + 1] += offsets[e];
    slots.resize(offsets[r.experts]);
    std::vector<int> fill(offsets.begin(), offsets.end() - 1);
    for (int s = 0; s < r.slotCount(); ++s)
        if (r.slotKept[s]) slots[fill[r.slotExpert[s]]++] = s;
}

void ExpertRunner::pack(const ModelWeights& w) {
    if (m_packedVersion == w.version && w.version != 0 && m_packed.size() == w.experts.size() &&
        m_packedShared.size() == w.shared.size())
        return;
    const auto packOne = [&](const ExpertWeights& e) {
        PackedExpert p;
        p.up = packWeight(e.w1, e.b1);
        if (e.wGate.size()) p.gate = packWeight(e.wGate, e.bGate);
        p.down = packWeight(e.w2, e.b2);
        return p;
    };
    m_packed.clear(), m_packedShared.clear();
    for (const ExpertWeights& e : w.experts) m_packed.push_back(packOne(e));
    for (const ExpertWeights& e : w.shared) m_packedShared.push_back(packOne(e));
    m_packedVersion = w.version;
}

ExpertRunner::RowsOut ExpertRunner::ffnPacked(const PackedExpert& p, Activation a, const float* x, int ldx, int n,
                                               FfnScratch& s) {
    // Rows of h one block longer than needed: a row stride of a power of two (4 KiB at
    // H = 1024) would put the kernel's eight rows in one cache set.
    const int ldh = p.up.outPadded + gemmColumnBlock();
    ensureSize(s.h, n, ldh);
    if (a == Activation::SwiGlu) {
        ensureSize(s.g, n, ldh);
        gemmRows(x, ldx, n, p.gate, Epilogue::BiasAct, Activation::Silu, nullptr, 0, s.g.data(), ldh);
        gemmRows(x, ldx, n, p.up, Epilogue::BiasTimesMul, a, s.g.data(), ldh, s.h.data(), ldh);
    } else {
        gemmRows(x, ldx, n, p.up, Epilogue::BiasAct, a, nullptr, 0, s.h.data(), ldh);
    }
    ensureSize(s.y, n, p.down.outPadded);
    gemmRows(s.h.data(), ldh, n, p.down, Epilogue::Bias, a, nullptr, 0, s.y.data(), p.down.outPadded);
    return RowsOut(s.y.data(), n, p.down.out, Eigen::OuterStride<>(p.down.outPadded));
}

void ExpertRunner::run(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) {
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols());
    const int S = static_cast<int>(w.shared.size());
    const Activation act = w.shape.activation;
    bucketByExpert(r, m_offsets, m_slots);
    const std::vector<int> slotToken = r.slotTokens();  // for the gather

    std::vector<WorkItem> items;
    for (int e = 0; e < r.experts; ++e)
        for (int b = m_offsets[e]; b < m_offsets[e + 1]; b += kChunkRows)
            items.push_back({e, b, std::min(b + kChunkRows, m_offsets[e + 1])});
    for (int s = 0; s < S; ++s)
        for (int b = 0; b < T; b += kChunkRows) items.push_back({-1 - s, b, std::min(b + kChunkRows, T)});

    m_slotOut.resize(r.slotCount(), D);
    m_shared.setZero(S > 0 ? T : 0, D);
    // Shared experts write disjoint rows per expert; sum them afterwards in a fixed order.
    std::vector<Mat>& sharedOut = m_sharedPerExpert;
    sharedOut.resize(S > 1 ? S : 0);
    for (auto& m : sharedOut) m.resize(T, D);
    m_scratch.resize(omp_get_max_threads());
    // MOELAB_EXPERT_GEMM=eigen: Eigen's GEMM, to compare the two in one run.
    static const bool eigenByEnv = [] {
        const char* v = std::getenv("MOELAB_EXPERT_GEMM");
        return v && std::string(v) == "eigen";
    }();
    const bool kernel = !m_eigen && !eigenByEnv && gemmKernelAvailable();
    if (kernel) pack(w);

#pragma omp parallel
    {
        FfnScratch& sc = m_scratch[omp_get_thread_num()];
        ensureSize(sc.x, kChunkRows, D);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < items.size(); ++i) {
            const WorkItem it = items[i];
            const int n = it.end - it.begin;
            // n rows of x (stride D) through one expert: the micro-kernel or Eigen.
            const auto ffn = [&](const ExpertWeights& e, const PackedExpert* p, const float* xr) -> RowsOut {
                if (p) return ffnPacked(*p, act, xr, D, n, sc);
                const auto y = ffnForward(e, act, Eigen::Map<const Mat>(xr, n, D), sc);
                return RowsOut(y.data(), n, D, Eigen::OuterStride<>(sc.y.cols()));
            };
            if (it.expert >= 0) {
                for (int j = 0; j < n; ++j) sc.x.row(j) = x.row(slotToken[m_slots[it.begin + j]]);
                const RowsOut y = ffn(w.experts[it.expert], kernel ? &m_packed[it.expert] : nullptr, sc.x.data());
                for (int j = 0; j < n; ++j) m_slotOut.row(m_slots[it.begin + j]) = y.row(j);
            } else {
                const int s = -1 - it.expert;
                Mat& dst = S > 1 ? sharedOut[s] : m_shared;
                dst.middleRows(it.begin, n) =
                    ffn(w.shared[s], kernel ? &m_packedShared[s] : nullptr, x.data() + size_t(it.begin) * D);
            }
        }
    }
    if (S > 1) {
        m_shared = sharedOut[0];
        for (int s = 1; s < S; ++s) m_shared += sharedOut[s];
    }

    combineSlots(r, m_slotOut, S > 0 ? &m_shared : nullptr, out);
}

} // namespace moe
