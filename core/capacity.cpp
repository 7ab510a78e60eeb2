// Capacity and overflow: who keeps a slot when an expert is full.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "capacity.hpp"
#include "routing_stages.hpp"
#include "rng.hpp"

namespace moe {

int expertCapacity(const RouterConfig& c, int tokens, int experts) {
    if (c.capacityFactor == 0.0) {
        // Expert choice has no dropless form: each expert takes its fair share k*T/E.
        if (c.mode == RoutingMode::ExpertChoice)
            return std::max(static_cast<int>(std::ceil(double(c.k) * tokens / experts - 1e-9)), c.minCapacity);
        return -1;
    }
    // The epsilon keeps 2*10/8*1.6 = 4.000000001 from rounding up to 5. A negative factor
    // (Tutel's dynamic capacity) gives the upper bound here; dynamicCapacity() the value.
    const double raw = double(c.k) * tokens / experts * std::abs(c.capacityFactor);
    const double cap = std::ceil(raw - 1e-9);
    return std::max(static_cast<int>(std::min(cap, 2e9)), c.minCapacity);
}

std::vector<int> groupCapacities(const RouterConfig& c, int tokens, int experts) {
    const int G = std::max(1, c.capacityGroups);
    // Tokens t with floor(t·G/T) = g: from first(g) = ceil(g·T/G) to first(g + 1) - 1.
    const auto first = [&](int64_t g) { return static_cast<int>((g * tokens + G - 1) / G); };
    std::vector<int> caps(G);
    for (int g = 0; g < G; ++g) caps[g] = expertCapacity(c, first(g + 1) - first(g), experts);
    return caps;
}

int layerCapacity(const RouterConfig& c, int tokens, int experts) {
    if (c.capacityGroups <= 1) return expertCapacity(c, tokens, experts);
    const std::vector<int> caps = groupCapacities(c, tokens, experts);
    if (caps[0] < 0) return -1;
    int64_t sum = 0;
    for (int v : caps) sum += v;
    return static_cast<int>(std::min<int64_t>(sum, 2'000'000'000));
}

int dynamicCapacity(const RouterConfig& c, int bound, const std::vector<int>& requested) {
    const int busiest = requested.empty() ? 0 : *std::max_element(requested.begin(), requested.end());
    return std::max(std::min(busiest, bound), c.minCapacity);
}

float randomRoutingDraw(uint64_t seed, int token) { return counterUniform(seed ^ 0x52414E44ull, uint64_t(token), 1); }

std::vector<uint8_t> randomRoutingSkips(const RouterConfig& cfg, const std::vector<float>& weights, int T) {
    std::vector<uint8_t> skip(weights.size(), 0);
    if (!cfg.randomRouting || cfg.k < 2) return skip;
    for (int t = 0; t < T; ++t)
        skip[size_t(t) * cfg.k + 1] = !(2.0f * weights[size_t(t) * cfg.k + 1] > randomRoutingDraw(cfg.noiseSeed, t));
    return skip;
}

std::vector<int> priorityOrder(const Routing& r, const std::vector<int>& choices, const RouterConfig& cfg, int rank) {
    const int T = r.tokens, k = cfg.k;
    std::vector<int> order(T);
    std::iota(order.begin(), order.end(), 0);
    if (cfg.dropPriority == DropPriority::Score)  // higher score first, ties by position
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return r.scores(a, choices[a * k + rank]) > r.scores(b, choices[b * k + rank]);
        });
    if (cfg.dropPriority == DropPriority::Random) {  // DeepSpeed-MoE Random Token Selection
        std::vector<float> key(T);
        for (int t = 0; t < T; ++t) key[t] = counterUniform(cfg.noiseSeed ^ 0x525453ull, uint64_t(t), uint64_t(rank));
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key[a] < key[b]; });
    }
    return order;
}

void assignTokenChoice(const std::vector<int>& choices, const Mat& keys, const RouterConfig& cfg, Routing& r) {
    const int T = r.tokens, E = r.experts, k = cfg.k;
    tokenChoiceLayout(r);
    r.slotExpert = choices;
    r.slotChoice = choices;

    // Weights are fixed before capacity: score / sum of the k best scores (GShard, Mixtral),
    // or the raw score (Switch with k=1, DeepSeek-V2).
    const std::vector<float> norm = combineNorms(r.scores, choices, k, cfg.renormalize);
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < k; ++j) r.slotWeight[t * k + j] = r.scores(t, choices[t * k + j]) * norm[t];
    r.slotSkipped = randomRoutingSkips(cfg, r.slotWeight, T);
    if (cfg.capacityFactor < 0) {  // Tutel: the busiest expert's load, up to the bound
        std::vector<int> requested(E, 0);
        for (size_t s = 0; s < choices.size(); ++s)
            if (!r.slotSkipped[s]) ++requested[choices[s]];
        r.capacity = dynamicCapacity(cfg, r.capacity, requested);
    }

    // Loads per (group, expert); one group unless GShard's group-local capacity is on.
    const int G = std::max(1, cfg.capacityGroups);
    const std::vector<int> caps = G > 1 ? groupCapacities(cfg, T, E) : std::vector<int>{r.capacity};
    std::vector<int> groupLoad(size_t(G) * E, 0);
    for (int rank = 0; rank < k; ++rank) {
        for (int t : priorityOrder(r, choices, cfg, rank)) {
            const int s = t * k + rank;
            if (r.slotSkipped[s]) continue;  // never dispatched: not requested, not dropped
            const int e = r.slotExpert[s];
            const int g = capacityGroupOf(t, T, G), cap = caps[g];
            int* load = &groupLoad[size_t(g) * E];
            ++r.requested[e];
            if (cap < 0 || load[e] < cap) {
                ++load[e];
                r.slotKept[s] = 1;
                continue;
            }
            ++r.overflow[e];
            if (cfg.overflow != Overflow::Reroute) continue;
            // GShard-style second chance: the best-scoring expert the token lacks that has room.
            int best = -1;
            for (int c = 0; c < E; ++c) {
                if (load[c] >= cap || !std::isfinite(keys(t, c))) continue;
                bool has = false;
                for (int j = 0; j < k; ++j) has |= r.slotExpert[t * k + j] == c;
                if (has) continue;
                if (best < 0 || keys(t, c) > keys(t, best)) best = c;
            }
            if (best < 0) continue;
            r.slotExpert[s] = best;
            r.slotWeight[s] = r.scores(t, best) * norm[t];
            r.slotKept[s] = 1;
            ++load[best];
        }
    }
    for (int g = 0; g < G; ++g)
        for (int e = 0; e < E; ++e) r.kept[e] += groupLoad[size_t(g) * E + e];
}

void assignExpertChoice(const Mat& keys, const RouterConfig& cfg, Routing& r) {
    const int T = r.tokens, E = r.experts;
    const int cap = std::min(r.capacity, T);
    std::vector<std::vector<int>> picked(T);  // experts per token
    std::vector<int> order(T);
    r.requested.assign(E, 0);
    r.overflow.assign(E, 0);
    for (int e = 0; e < E; ++e) {
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + cap, order.end(),
                          [&](int a, int b) { return keys(a, e) > keys(b, e) || (keys(a, e) == keys(b, e) && a < b); });
        for (int i = 0; i < cap; ++i) picked[order[i]].push_back(e);
        r.requested[e] = cap;
    }
    r.kept = r.requested;
    r.slotBegin.assign(1, 0);
    r.slotExpert.clear();
    r.slotWeight.clear();
    for (int t = 0; t < T; ++t) {
        auto& p = picked[t];
        std::stable_sort(p.begin(), p.end(), [&](int a, int b) { return keys(t, a) > keys(t, b); });
        float sum = 0;
        for (int e : p) sum += r.scores(t, e);
        const float norm = cfg.renormalize ? (sum > 0 ? 1.0f / sum : 0.0f) : 1.0f;
        for (int e : p) {
            r.slotExpert.push_back(e);
            r.slotWeight.push_back(r.scores(t, e) * norm);
        }
        r.slotBegin.push_back(static_cast<int>(r.slotExpert.size()));
    }
    r.slotKept.assign(r.slotExpert.size(), 1);
    r.slotChoice = r.slotExpert;
}

std::vector<int> slotPositions(const Routing& r, const RouterConfig& cfg) {
    std::vector<int> pos(r.slotCount(), -1);
    if (r.mode != RoutingMode::TokenChoice) return pos;
    const int k = r.k;
    // The order capacity was handed out in (assignTokenChoice): rank by rank, within a
    // rank by priority. A slot takes the next place of the expert that finally serves
    // it, rerouted or not.
    std::vector<int> filled(r.experts, 0);
    for (int rank = 0; rank < k; ++rank) {
        for (int t : priorityOrder(r, r.slotChoice, cfg, rank)) {
            const int s = t * k + rank;
            if (r.slotKept[s]) pos[s] = filled[r.slotExpert[s]]++;
        }
    }
    return pos;
}

}  // namespace moe
