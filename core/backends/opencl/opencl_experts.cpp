#include "opencl_backend.hpp"

// The expert FFNs on the device: weights packed per expert, rows gathered by slot, and
// the tiled (GPU) or register-blocked (CPU) kernels over each expert's rows.
#include <algorithm>

#include "../../capacity.hpp"
#include "../../routing_stages.hpp"
#include "cl_util.hpp"

namespace moe {
namespace {

using opencl::kFfnLanes;
using opencl::kRowsPerTile;
using opencl::kTiledRows;
using opencl::roundUp;
using opencl::setArgs;
using opencl::tiledItems;

}  // namespace

void OpenCLBackend::uploadExperts(const ModelWeights& w) {
    if (m_expertsVersion == w.version && w.version != 0) return;
    const int D = w.shape.dim, H = w.shape.hidden;
    const int Hp = static_cast<int>(roundUp(H, kFfnLanes)), Dp = static_cast<int>(roundUp(D, kFfnLanes));
    std::vector<const ExpertWeights*> all;
    for (const auto& e : w.experts) all.push_back(&e);
    for (const auto& e : w.shared) all.push_back(&e);
    const size_t G = all.size();
    // Transposed to [in][out] and zero-padded to 32 outputs (see expert_ffn.cl).
    std::vector<float> w1t(G * D * Hp, 0.0f), b1(G * Hp, 0.0f), w2t(G * Hp * Dp, 0.0f), b2(G * Dp, 0.0f), wgt, bg;
    const bool swiglu = w.shape.activation == Activation::SwiGlu;
    if (swiglu) {
        wgt.assign(G * D * Hp, 0.0f);
        bg.assign(G * Hp, 0.0f);
    }
    using Strided = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
    for (size_t g = 0; g < G; ++g) {
        const ExpertWeights& e = *all[g];
        Strided(w1t.data() + g * D * Hp, D, H, Eigen::OuterStride<>(Hp)) = e.w1.transpose();
        Eigen::Map<Vec>(b1.data() + g * Hp, H) = e.b1;
        Strided(w2t.data() + g * Hp * Dp, H, D, Eigen::OuterStride<>(Dp)) = e.w2.transpose();
        Eigen::Map<Vec>(b2.data() + g * Dp, D) = e.b2;
        if (swiglu) {
            Strided(wgt.data() + g * D * Hp, D, H, Eigen::OuterStride<>(Hp)) = e.wGate.transpose();
            Eigen::Map<Vec>(bg.data() + g * Hp, H) = e.bGate;
        }
    }
    upload(m_b.w1t, w1t.data(), w1t.size() * 4, true);
    upload(m_b.b1, b1.data(), b1.size() * 4, true);
    upload(m_b.w2t, w2t.data(), w2t.size() * 4, true);
    upload(m_b.b2, b2.data(), b2.size() * 4, true);
    upload(m_b.wgt, wgt.data(), wgt.size() * 4, true);
    upload(m_b.bg, bg.data(), bg.size() * 4, true);
    m_expertsVersion = w.version;
}

// The expert FFNs over the gathered rows, a tile of rows of one expert per work-group
// column: the GPU's tiled kernels, or the CPU's register-blocked ones.
void OpenCLBackend::runExpertTiles(const ModelWeights& w, const std::vector<int>& offsets, cl::Buffer& bx,
                                   cl::Buffer& brt, cl::Buffer& by, ExpertTiles& t) {
    const int D = w.shape.dim, E = w.shape.experts, S = static_cast<int>(w.shared.size());
    const int Hp = static_cast<int>(roundUp(w.shape.hidden, kFfnLanes)), Dp = static_cast<int>(roundUp(D, kFfnLanes));
    cl::Buffer& bxg = m_b.xg.buf;
    const int tileRows = m_tiled ? kTiledRows : kRowsPerTile;
    for (int g = 0; g < E + S; ++g)
        for (int r0 = offsets[g]; r0 < offsets[g + 1]; r0 += tileRows) {
            t.expert.push_back(g);
            t.row.push_back(r0);
            t.rows.push_back(std::min(tileRows, offsets[g + 1] - r0));
        }
    const int tiles = static_cast<int>(t.expert.size());
    cl::Buffer& bte = upload(m_b.tileExpert, t.expert.data(), t.expert.size() * 4);
    cl::Buffer& btr = upload(m_b.tileRow, t.row.data(), t.row.size() * 4);
    cl::Buffer& btn = upload(m_b.tileRows, t.rows.data(), t.rows.size() * 4);
    cl::Buffer& bh = ensure(m_b.h, size_t(offsets.back()) * Hp * 4);
    const int act = static_cast<int>(w.shape.activation);  // relu, gelu, silu, swiglu = 0..3
    if (m_tiled) {                                         // 16 x 16 work-items per 64 x 64 block of a tile's outputs
        setArgs(m_k.ffnUpTiled, bxg, m_b.w1t.buf, m_b.b1.buf, m_b.wgt.buf, m_b.bg.buf, bte, btr, btn, bh, D, Hp, act);
        launch(m_k.ffnUpTiled, cl::NDRange(tiledItems(Hp), size_t(tiles) * 16), cl::NDRange(16, 16));
        setArgs(m_k.ffnDownTiled, bh, m_b.w2t.buf, m_b.b2.buf, bte, btr, btn, by, Dp, Hp);
        launch(m_k.ffnDownTiled, cl::NDRange(tiledItems(Dp), size_t(tiles) * 16), cl::NDRange(16, 16));
    } else {
        setArgs(m_k.ffnUp, bx, brt, m_b.w1t.buf, m_b.b1.buf, m_b.wgt.buf, m_b.bg.buf, bte, btr, btn, bh, D, Hp, act);
        launch(m_k.ffnUp, cl::NDRange(Hp / kFfnLanes, tiles));
        setArgs(m_k.ffnDown, bh, m_b.w2t.buf, m_b.b2.buf, bte, btr, btn, by, Dp, Hp);
        launch(m_k.ffnDown, cl::NDRange(Dp / kFfnLanes, tiles));
    }
}

void OpenCLBackend::experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) {
    const int T = r.tokens, D = w.shape.dim, E = w.shape.experts;
    const int Dp = static_cast<int>(roundUp(D, kFfnLanes));
    const int S = static_cast<int>(w.shared.size());
    out.resize(T, D);
    if (T == 0) return;
    try {
        uploadExperts(w);
        cl::Buffer& bx = upload(m_b.x, x.data(), x.size() * 4);
        const int slots = r.slotCount();
        const std::vector<int> slotToken = r.slotTokens();
        // Rows of the gathered block: each expert's kept slots, then each shared expert's T tokens.
        std::vector<int> offsets(E + S + 1, 0);
        for (int s = 0; s < slots; ++s)
            if (r.slotKept[s]) ++offsets[r.slotExpert[s] + 1];
        for (int g = 0; g < E + S; ++g) offsets[g + 1] += offsets[g] + (g >= E ? T : 0);
        const int rows = offsets[E + S];
        ExpertTiles tiles;  // alive until the blocking download

        cl::Buffer& bse = upload(m_b.slotExpert, r.slotExpert.data(), size_t(slots) * 4);
        cl::Buffer& bsk = upload(m_b.slotKept, r.slotKept.data(), size_t(slots));
        cl::Buffer& bst = upload(m_b.slotToken, slotToken.data(), size_t(slots) * 4);
        cl::Buffer& bsw = upload(m_b.slotWeight, r.slotWeight.data(), size_t(slots) * 4);
        cl::Buffer& bsb = upload(m_b.slotBegin, r.slotBegin.data(), size_t(T + 1) * 4);
        cl::Buffer& boff = upload(m_b.offsets, offsets.data(), offsets.size() * 4);
        cl::Buffer& brt = ensure(m_b.rowToken, size_t(rows) * 4);
        cl::Buffer& bsr = ensure(m_b.slotRow, size_t(slots) * 4);
        cl::Buffer& by = ensure(m_b.y, size_t(rows) * Dp * 4);
        if (rows > 0) {
            setArgs(m_k.bucketSlots, bse, bsk, bst, slots, boff, brt, bsr, E, S, T);
            launch(m_k.bucketSlots, cl::NDRange(E + S));
            // The tiled kernels read a gathered copy of the rows; the CPU kernels read the
            // token rows in place through row_token.
            cl::Buffer& bxg = ensure(m_b.xg, m_tiled ? size_t(rows) * D * 4 : 4);
            if (m_tiled) {
                setArgs(m_k.gatherRows, bx, brt, bxg, rows, D);
                launch(m_k.gatherRows, cl::NDRange(D, rows));
            }
            runExpertTiles(w, offsets, bx, brt, by, tiles);
        } else {
            // Nothing kept: every slot's row is -1 so the combine writes zeros.
            std::vector<int> none(slots, -1);
            upload(m_b.slotRow, none.data(), none.size() * 4, true);
        }
        cl::Buffer& bout = ensure(m_b.out, size_t(T) * D * 4);
        setArgs(m_k.combine, by, bsb, m_b.slotRow.buf, bsw, boff, bout, T, D, Dp, E, S);
        launch(m_k.combine, cl::NDRange(D, T));
        download(m_b.out, out.data(), size_t(T) * D * 4, true);
    } catch (const cl::Error& e) {
        fail("expert compute", e);
    }
}

}  // namespace moe
