// The routing analyses of `moelab analyze` (routing_analysis.hpp has the definitions).
#include "routing_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "errors.hpp"

namespace moe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double binomial(int n, int r) {
    if (r < 0 || r > n) return 0;
    double c = 1;
    for (int i = 1; i <= r; ++i) c = c * (n - r + i) / i;
    return c;
}

// Each token's chosen experts, first choice first; empty for a token no expert picked.
std::vector<std::vector<int>> chosenSets(const Routing& r) {
    std::vector<std::vector<int>> chosen(r.tokens);
    for (int t = 0; t < r.tokens; ++t)
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (!r.skipped(s)) chosen[t].push_back(r.slotChoice[s]);
    return chosen;
}

bool intersect(const std::vector<int>& a, const std::vector<int>& b) {
    for (int e : a)
        if (std::find(b.begin(), b.end(), e) != b.end()) return true;
    return false;
}

void consecutiveRates(const std::vector<std::vector<int>>& chosen, LayerRoutingStats& s) {
    int sameFirst = 0, sameAny = 0;
    for (size_t t = 0; t + 1 < chosen.size(); ++t) {
        const auto &a = chosen[t], &b = chosen[t + 1];
        if (a.empty() || b.empty()) continue;
        ++s.pairs;
        sameFirst += a[0] == b[0];
        sameAny += intersect(a, b);
    }
    s.consecutiveSameFirst = s.pairs ? double(sameFirst) / s.pairs : kNaN;
    s.consecutiveSameAny = s.pairs ? double(sameAny) / s.pairs : kNaN;
}

void loadShares(const std::vector<int>& first, int E, LayerRoutingStats& s) {
    s.load.assign(E, 0.0);
    int n = 0;
    for (int e : first)
        if (e >= 0) {
            ++s.load[e];
            ++n;
        }
    if (n)
        for (double& v : s.load) v /= n;
}

// Every ordered pair (i, j), i != j, of a token's chosen set counts once; OLMoE's
// co-activation script (run_moe_analysis.py) pairs only adjacent ranks (1st-2nd, 2nd-3rd,
// ...), which is the same for k = 2 and fewer pairs for k > 2. The diagonal is 0 (an
// expert is never chosen twice by one token); a row whose expert was never chosen is 0.
void coactivation(const std::vector<std::vector<int>>& chosen, int E, LayerRoutingStats& s) {
    std::vector<int64_t> single(E, 0);
    std::vector<std::vector<int64_t>> both(E, std::vector<int64_t>(E, 0));
    for (const auto& set : chosen)
        for (int i : set) {
            ++single[i];
            for (int j : set)
                if (j != i) ++both[i][j];
        }
    s.coactivation.assign(E, std::vector<double>(E, 0.0));
    for (int i = 0; i < E; ++i)
        for (int j = 0; j < E; ++j)
            if (single[i]) s.coactivation[i][j] = double(both[i][j]) / single[i];
}

// Per token value, how often each expert was its first choice; the mean over values seen
// often enough of (most frequent expert's count / the value's count). OLMoE's script
// averages over every token id; values seen a few times would make it near 1 by chance.
void tokenSpecialisation(const std::vector<int>& first, const std::vector<int>& values, int E, LayerRoutingStats& s) {
    std::unordered_map<int, std::vector<int>> perValue;
    for (size_t t = 0; t < first.size(); ++t) {
        if (first[t] < 0 || values[t] < 0) continue;  // -1: a trace that does not know the token
        auto& counts = perValue[values[t]];
        if (counts.empty()) counts.assign(E, 0);
        ++counts[first[t]];
    }
    double sum = 0;
    for (const auto& [value, counts] : perValue) {
        int total = 0;
        for (int c : counts) total += c;
        if (total < kSpecialisationMinCount) continue;
        sum += double(*std::max_element(counts.begin(), counts.end())) / total;
        ++s.specialisationValues;
    }
    s.tokenSpecialisation = s.specialisationValues ? sum / s.specialisationValues : kNaN;
}

std::vector<std::vector<int64_t>> transitions(const std::vector<int>& from, const std::vector<int>& to, int E,
                                              int nextE) {
    std::vector<std::vector<int64_t>> counts(E, std::vector<int64_t>(nextE, 0));
    for (size_t t = 0; t < from.size(); ++t)
        if (from[t] >= 0 && to[t] >= 0) ++counts[from[t]][to[t]];
    return counts;
}

nlohmann::json numberOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

double chanceSameFirst(int experts) { return experts > 0 ? 1.0 / experts : kNaN; }

double chanceSameAny(int experts, int k) {
    if (experts <= 0 || k <= 0 || k > experts) return kNaN;
    return 1.0 - binomial(experts - k, k) / binomial(experts, k);
}

std::vector<int> firstChoices(const Routing& r) {
    std::vector<int> first(r.tokens, -1);
    for (int t = 0; t < r.tokens; ++t)
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (!r.skipped(s)) {
                first[t] = r.slotChoice[s];
                break;
            }
    return first;
}

std::vector<LayerRoutingStats> analyzeRouting(const std::vector<Routing>& layers, const std::vector<int>& tokenValues) {
    const int T = static_cast<int>(tokenValues.size());
    std::vector<std::vector<int>> first(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
        if (layers[l].tokens != T)
            throw InputError("routing", "layer " + std::to_string(l) + " routes " + std::to_string(layers[l].tokens) +
                                            " tokens, the text has " + std::to_string(T));
        first[l] = firstChoices(layers[l]);
    }
    std::vector<LayerRoutingStats> out(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
        const Routing& r = layers[l];
        LayerRoutingStats& s = out[l];
        s.layer = static_cast<int>(l);
        s.tokens = T;
        s.experts = r.experts;
        s.k = r.k;
        const auto chosen = chosenSets(r);
        consecutiveRates(chosen, s);
        s.chanceSameFirst = chanceSameFirst(r.experts);
        s.chanceSameAny = chanceSameAny(r.experts, r.k);
        loadShares(first[l], r.experts, s);
        coactivation(chosen, r.experts, s);
        tokenSpecialisation(first[l], tokenValues, r.experts, s);
        if (l + 1 < layers.size())
            s.layerTransition = transitions(first[l], first[l + 1], r.experts, layers[l + 1].experts);
    }
    return out;
}

Routing joinSlots(const std::vector<Routing>& pieces) {
    Routing out;
    out.slotBegin.assign(1, 0);
    if (pieces.empty()) return out;
    out.experts = pieces[0].experts;
    out.k = pieces[0].k;
    out.mode = pieces[0].mode;
    const bool anySkips =
        std::any_of(pieces.begin(), pieces.end(), [](const Routing& p) { return !p.slotSkipped.empty(); });
    for (const Routing& p : pieces) {
        const int base = out.slotCount();
        for (int t = 1; t <= p.tokens; ++t) out.slotBegin.push_back(base + p.slotBegin[t]);
        out.tokens += p.tokens;
        out.slotExpert.insert(out.slotExpert.end(), p.slotExpert.begin(), p.slotExpert.end());
        out.slotChoice.insert(out.slotChoice.end(), p.slotChoice.begin(), p.slotChoice.end());
        out.slotWeight.insert(out.slotWeight.end(), p.slotWeight.begin(), p.slotWeight.end());
        out.slotKept.insert(out.slotKept.end(), p.slotKept.begin(), p.slotKept.end());
        if (anySkips) {
            if (p.slotSkipped.empty())
                out.slotSkipped.resize(out.slotExpert.size(), 0);
            else
                out.slotSkipped.insert(out.slotSkipped.end(), p.slotSkipped.begin(), p.slotSkipped.end());
        }
    }
    return out;
}

std::vector<int> byteValues(std::string_view bytes) {
    std::vector<int> v(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) v[i] = static_cast<uint8_t>(bytes[i]);
    return v;
}

nlohmann::json layerStatsJson(const LayerRoutingStats& s) {
    return {
        {"layer", s.layer},
        {"tokens", s.tokens},
        {"pairs", s.pairs},
        {"consecutive_same_first", numberOrNull(s.consecutiveSameFirst)},
        {"consecutive_same_any", numberOrNull(s.consecutiveSameAny)},
        {"chance_same_first", numberOrNull(s.chanceSameFirst)},
        {"chance_same_any", numberOrNull(s.chanceSameAny)},
        {"load", s.load},
        {"coactivation", s.coactivation},
        {"token_specialisation", numberOrNull(s.tokenSpecialisation)},
        {"token_specialisation_values", s.specialisationValues},
        {"layer_transition", s.layerTransition.empty() ? nlohmann::json::array() : nlohmann::json(s.layerTransition)}};
}

}  // namespace moe
