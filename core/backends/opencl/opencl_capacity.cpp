// The capacity stage on the device (shaders/capacity.cl, expert_choice.cl): token choice's
// drop or reroute kernels and expert choice's selection, after the routing's top-k.
#include <algorithm>
#include <vector>

#include "../../capacity.hpp"
#include "../../router.hpp"
#include "../../routing_stages.hpp"
#include "cl_util.hpp"
#include "opencl_backend.hpp"

namespace moe {

using opencl::setArgs;

// Inside one choice rank, the order slots are handed out in: by score (a kernel), or
// Random Token Selection's order from the noise seed alone (the host's, as the reference).
cl::Buffer& OpenCLBackend::capacityOrder(const RouterConfig& cfg, const Routing& r) {
    const int T = r.tokens, E = r.experts, k = r.k;
    const size_t TK = size_t(T) * k;
    const bool byScore = cfg.dropPriority == DropPriority::Score, byRandom = cfg.dropPriority == DropPriority::Random;
    cl::Buffer& border = ensure(m_b.order, byScore || byRandom ? TK * 4 : 4);
    if (byScore) {
        setArgs(m_k.priorityOrder, m_b.scores.buf, m_b.choices.buf, border, T, E, k);
        launch(m_k.priorityOrder, cl::NDRange(T, k));
    }
    if (byRandom) {
        std::vector<int> randomOrder;
        for (int rank = 0; rank < k; ++rank) {
            const std::vector<int> o = priorityOrder(r, {}, cfg, rank);
            randomOrder.insert(randomOrder.end(), o.begin(), o.end());
        }
        upload(m_b.order, randomOrder.data(), TK * 4, true);
    }
    return border;
}

// Tutel's dynamic capacity: the busiest expert's requests, counted on the host from the
// device's top-k (GShard's undispatched second choices left out).
int OpenCLBackend::dynamicCapacityFromDevice(const RouterConfig& cfg, const Routing& r) {
    const size_t TK = size_t(r.tokens) * r.k;
    std::vector<int> choices(TK);
    std::vector<float> weights(TK);
    download(m_b.choices, choices.data(), TK * 4, false);
    download(m_b.weights, weights.data(), TK * 4, true);
    const std::vector<uint8_t> skip = randomRoutingSkips(cfg, weights, r.tokens);
    std::vector<int> requested(r.experts, 0);
    for (size_t s = 0; s < TK; ++s)
        if (!skip[s]) ++requested[choices[s]];
    return dynamicCapacity(cfg, r.capacity, requested);
}

// The capacity kernels' results into the reference's slot layout.
void OpenCLBackend::downloadCapacity(Routing& r, bool choicesRead) {
    const size_t TK = size_t(r.tokens) * r.k, E = r.experts;
    download(m_b.choices, r.slotExpert.data(), TK * 4, false);
    download(m_b.weights, r.slotWeight.data(), TK * 4, false);
    download(m_b.kept, r.slotKept.data(), TK, false);
    download(m_b.requested, r.requested.data(), E * 4, false);
    download(m_b.load, r.kept.data(), E * 4, false);
    download(m_b.overflow, r.overflow.data(), E * 4, false);
    if (!choicesRead) download(m_b.choices, r.slotChoice.data(), TK * 4, false);
    r.slotSkipped.resize(TK);
    download(m_b.skipped, r.slotSkipped.data(), TK, false);
}

void OpenCLBackend::capacityTokenChoice(const RouterConfig& cfg, Routing& r) {
    const int T = r.tokens, E = r.experts, k = r.k;
    const size_t TK = size_t(T) * k;
    cl::Buffer& breq = ensure(m_b.requested, size_t(E) * 4);
    const int G = std::max(1, cfg.capacityGroups);
    cl::Buffer& bload = ensure(m_b.load, size_t(E) * G * 4);  // reroute: per (group, expert)
    cl::Buffer& bover = ensure(m_b.overflow, size_t(E) * 4);
    const bool useOrder = cfg.dropPriority != DropPriority::Position;
    cl::Buffer& border = capacityOrder(cfg, r);
    // GShard random routing: the draws come from the host's generator, as the noise does.
    std::vector<float> draws(cfg.randomRouting ? T : 1, 0.0f);
    for (int t = 0; cfg.randomRouting && t < T; ++t) draws[t] = randomRoutingDraw(cfg.noiseSeed, t);
    cl::Buffer& bu = upload(m_b.draws, draws.data(), draws.size() * 4, true);
    cl::Buffer& bskip = ensure(m_b.skipped, TK);
    if (cfg.capacityFactor < 0) r.capacity = dynamicCapacityFromDevice(cfg, r);
    // GShard: one capacity per group of consecutive tokens; one group otherwise.
    const std::vector<int> caps = G > 1 ? groupCapacities(cfg, T, E) : std::vector<int>{r.capacity};
    cl::Buffer& bcaps = upload(m_b.caps, caps.data(), caps.size() * 4, true);
    cl::Buffer& bkept = ensure(m_b.kept, TK);
    tokenChoiceLayout(r);  // the reference's slot layout (routing_stages.hpp), filled by the downloads below
    const bool reroute = cfg.overflow == Overflow::Reroute && r.capacity >= 0;
    // The queue is in order: this reads the choices before the reroute rewrites them.
    if (reroute) download(m_b.choices, r.slotChoice.data(), TK * 4, false);
    if (reroute) {  // sequential by nature: one work-item
        setArgs(m_k.capacityReroute, m_b.choices.buf, m_b.weights.buf, border, int(useOrder), bcaps, G, m_b.keys.buf,
                m_b.scores.buf, m_b.norms.buf, bkept, breq, bload, bover, T, E, k, bu, int(cfg.randomRouting), bskip);
        launch(m_k.capacityReroute, cl::NDRange(1));
    } else {
        setArgs(m_k.capacityDrop, m_b.choices.buf, border, int(useOrder), bcaps, G, bkept, breq, bload, bover, T, E, k,
                m_b.weights.buf, bu, int(cfg.randomRouting), bskip);
        launch(m_k.capacityDrop, cl::NDRange(E));
    }
    downloadCapacity(r, reroute);
}

void OpenCLBackend::selectExpertChoice(const RouterConfig& cfg, Routing& r) {
    const int T = r.tokens, E = r.experts;
    const size_t TE = size_t(T) * E;
    const int cap = std::min(r.capacity, T);
    cl::Buffer& bp = ensure(m_b.picked, TE);
    setArgs(m_k.expertChoiceSelect, m_b.keys.buf, cap, bp, T, E);
    launch(m_k.expertChoiceSelect, cl::NDRange(E));
    setArgs(m_k.expertChoiceGather, bp, m_b.keys.buf, m_b.scores.buf, int(cfg.renormalize),
            ensure(m_b.ecExpert, TE * 4), ensure(m_b.ecWeight, TE * 4), ensure(m_b.ecCount, size_t(T) * 4), T, E);
    launch(m_k.expertChoiceGather, cl::NDRange(T));
    std::vector<int> ex(TE), cnt(T);
    std::vector<float> ew(TE);
    download(m_b.ecExpert, ex.data(), TE * 4, false);
    download(m_b.ecWeight, ew.data(), TE * 4, false);
    download(m_b.ecCount, cnt.data(), size_t(T) * 4, true);
    r.slotBegin.assign(1, 0);
    for (int t = 0; t < T; ++t) {
        for (int i = 0; i < cnt[t]; ++i) {
            r.slotExpert.push_back(ex[size_t(t) * E + i]);
            r.slotWeight.push_back(ew[size_t(t) * E + i]);
        }
        r.slotBegin.push_back(static_cast<int>(r.slotExpert.size()));
    }
    r.slotKept.assign(r.slotExpert.size(), 1);
    r.slotChoice = r.slotExpert;
    r.requested.assign(E, cap);
    r.kept = r.requested;
}

}  // namespace moe
