#include "experts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <omp.h>

#include "combine.hpp"

namespace moe {
namespace {
// Rows per work item at most: the hidden rows (192 x 1056 floats at H = 1024) stay in L2.
constexpr int kChunkRows = 192;
// About this many work items in all, so that uneven experts still share out evenly
// over the threads: the classroom's 512 rows in 8 experts' items of up to 192 left one
// of two threads idle a third of the time. A count, not a share per thread, so the
// chunks never depend on the thread count (Eigen's GEMM, the fallback, could round a
// row differently by where it falls in its chunk).
constexpr int kWorkItems = 16;
constexpr int kParallelSlotRows = 64;

struct WorkItem {
    int expert;  // -1 - s for shared expert s
    int begin, end;
};
}  // namespace

void activate(float* p, Eigen::Index n, Activation a) {
    switch (a) {
        case Activation::Relu:
            for (Eigen::Index i = 0; i < n; ++i) p[i] = p[i] > 0 ? p[i] : 0.0f;
            break;
        case Activation::Gelu:
            for (Eigen::Index i = 0; i < n; ++i) p[i] = 0.5f * p[i] * (1.0f + std::erf(p[i] * 0.70710678f));
            break;
        case Activation::Silu:
        case Activation::SwiGlu: {  // Eigen's vectorised exp: a scalar expf per element was 10% of a forward pass
            Eigen::Map<Eigen::ArrayXf> v(p, n);
            v = v / (1.0f + (-v).exp());
            break;
        }
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

const ExpertRunner::PackedSet& ExpertRunner::pack(const ModelWeights& w) {
    for (size_t i = 0; i < m_packedSets.size(); ++i) {
        const PackedSet& p = m_packedSets[i];
        if (p.version == w.version && w.version != 0 && p.experts.size() == w.experts.size() &&
            p.shared.size() == w.shared.size()) {
            std::rotate(m_packedSets.begin() + i, m_packedSets.begin() + i + 1, m_packedSets.end());
            return m_packedSets.back();
        }
    }
    const auto packOne = [&](const ExpertWeights& e) {
        PackedExpert p;
        p.up = packWeight(e.w1, e.b1);
        if (e.wGate.size()) p.gate = packWeight(e.wGate, e.bGate);
        p.down = packWeight(e.w2, e.b2);
        return p;
    };
    if (m_packedSets.size() == kPackedSets) m_packedSets.erase(m_packedSets.begin());
    PackedSet& set = m_packedSets.emplace_back();
    for (const ExpertWeights& e : w.experts) set.experts.push_back(packOne(e));
    for (const ExpertWeights& e : w.shared) set.shared.push_back(packOne(e));
    set.version = w.version;
    return set;
}

void ExpertRunner::ffnPacked(const PackedExpert& p, Activation a, RowSet<const float> x, int n, RowSet<float> y,
                             FfnScratch& s) {
    // Rows of h one block longer than needed: a row stride of a power of two (4 KiB at
    // H = 1024) would put the kernel's rows in one cache set.
    const int ldh = p.up.outPadded + gemmColumnBlock();
    ensureSize(s.h, n, ldh);
    const RowSet<float> h{s.h.data(), ldh};
    if (a == Activation::SwiGlu) {
        ensureSize(s.g, n, ldh);
        const RowSet<float> g{s.g.data(), ldh};
        gemmRows(x, n, p.gate, Epilogue::BiasAct, Activation::Silu, {}, g);
        gemmRows(x, n, p.up, Epilogue::BiasTimesMul, a, {g.data, ldh}, h);
    } else {
        gemmRows(x, n, p.up, Epilogue::BiasAct, a, {}, h);
    }
    gemmRows({h.data, ldh}, n, p.down, Epilogue::Bias, a, {}, y);
}

namespace {

// The routed experts' slot rows (bucketed by expert: offsets) and the S shared experts'
// T rows each, in chunks of whole kernel row blocks (12 rows, 6 with AVX2).
std::vector<WorkItem> workItems(const std::vector<int>& offsets, int experts, int S, int T) {
    const int totalRows = offsets[experts] + S * T;
    const int chunk = std::clamp((totalRows / kWorkItems + 11) / 12 * 12, 12, kChunkRows);
    std::vector<WorkItem> items;
    for (int e = 0; e < experts; ++e)
        for (int b = offsets[e]; b < offsets[e + 1]; b += chunk)
            items.push_back({e, b, std::min(b + chunk, offsets[e + 1])});
    for (int s = 0; s < S; ++s)
        for (int b = 0; b < T; b += chunk) items.push_back({-1 - s, b, std::min(b + chunk, T)});
    return items;
}

// Slots grouped by expert (offsets, slots) and each one's token (slotTokens[i]: the token of slots[i]).
void bucket(const Routing& r, std::vector<int>& offsets, std::vector<int>& slots, std::vector<int>& slotTokens) {
    bucketByExpert(r, offsets, slots);
    const std::vector<int> slotToken = r.slotTokens();
    slotTokens.resize(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) slotTokens[i] = slotToken[slots[i]];
}

// MOELAB_EXPERT_GEMM=eigen: Eigen's GEMM, to compare the two in one run.
bool eigenGemmByEnv() {
    static const bool eigen = [] {
        const char* v = std::getenv("MOELAB_EXPERT_GEMM");
        return v && std::string(v) == "eigen";
    }();
    return eigen;
}

}  // namespace

void ExpertRunner::run(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) {
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols());
    const int S = static_cast<int>(w.shared.size());
    const Activation act = w.shape.activation;
    bucket(r, m_offsets, m_slots, m_slotTokens);
    const std::vector<WorkItem> items = workItems(m_offsets, r.experts, S, T);
    const bool kernel = !m_eigen && !eigenGemmByEnv() && gemmKernelAvailable();
    const PackedSet* packed = kernel ? &pack(w) : nullptr;
    // The micro-kernel writes whole column blocks: slot rows as wide as the padded output.
    const int ldOut = kernel ? gemmColumnBlock() * ((D + gemmColumnBlock() - 1) / gemmColumnBlock()) : D;
    m_slotOut.resize(r.slotCount(), ldOut);
    m_shared.setZero(S > 0 ? T : 0, D);
    // Shared experts write disjoint rows per expert; sum them afterwards in a fixed order.
    std::vector<Mat>& sharedOut = m_sharedPerExpert;
    sharedOut.resize(S > 1 ? S : 0);
    for (auto& m : sharedOut) m.resize(T, D);
    m_scratch.resize(omp_get_max_threads());
    out.resize(T, D);
    // A few rows (a generated byte's two slots) are done before a second thread wakes up.
    const bool parallel = r.slotCount() + S * T >= kParallelSlotRows;

#pragma omp parallel if (parallel)
    {
        FfnScratch& sc = m_scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < items.size(); ++i) {
            const WorkItem it = items[i];
            const int n = it.end - it.begin;
            if (it.expert >= 0 && kernel) {
                // Tokens read and slots written in place through the bucket's indices.
                ffnPacked(packed->experts[it.expert], act, {x.data(), D, &m_slotTokens[it.begin]}, n,
                          {m_slotOut.data(), ldOut, &m_slots[it.begin]}, sc);
            } else if (it.expert >= 0) {
                ensureSize(sc.x, kChunkRows, D);
                for (int j = 0; j < n; ++j) sc.x.row(j) = x.row(m_slotTokens[it.begin + j]);
                const auto y = ffnForward(w.experts[it.expert], act, sc.x.topRows(n), sc);
                for (int j = 0; j < n; ++j) m_slotOut.row(m_slots[it.begin + j]) = y.row(j);
            } else {
                const int s = -1 - it.expert;
                Mat& dst = S > 1 ? sharedOut[s] : m_shared;
                const Eigen::Map<const Mat> xs(x.data() + size_t(it.begin) * D, n, D);
                if (kernel) {
                    ensureSize(sc.y, n, ldOut);
                    ffnPacked(packed->shared[s], act, {xs.data(), D}, n, {sc.y.data(), ldOut}, sc);
                    dst.middleRows(it.begin, n) = sc.y.topRows(n).leftCols(D);
                } else {
                    dst.middleRows(it.begin, n) = ffnForward(w.shared[s], act, xs, sc);
                }
            }
        }  // the implicit barrier: every slot's output is written
        if (S > 1) {
#pragma omp for schedule(static)
            for (int t = 0; t < T; ++t) {
                m_shared.row(t) = sharedOut[0].row(t);
                for (int s = 1; s < S; ++s) m_shared.row(t) += sharedOut[s].row(t);
            }
        }
        combineSlotsInRegion(r, m_slotOut.leftCols(D), S > 0 ? &m_shared : nullptr, out);
    }
}

}  // namespace moe
