#include "config.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "errors.hpp"

namespace moe {
namespace {

template <typename Enum, size_t N>
using Names = std::array<std::pair<Enum, std::string_view>, N>;

constexpr Names<Activation, 4> kActivations{{{Activation::Relu, "relu"},
                                              {Activation::Gelu, "gelu"},
                                              {Activation::Silu, "silu"},
                                              {Activation::SwiGlu, "swiglu"}}};
constexpr Names<ScoreFn, 2> kScoreFns{{{ScoreFn::Softmax, "softmax"}, {ScoreFn::Sigmoid, "sigmoid"}}};
constexpr Names<RoutingMode, 2> kModes{
    {{RoutingMode::TokenChoice, "token-choice"}, {RoutingMode::ExpertChoice, "expert-choice"}}};
constexpr Names<Overflow, 2> kOverflows{{{Overflow::Drop, "drop"}, {Overflow::Reroute, "reroute"}}};
constexpr Names<DropPriority, 2> kPriorities{
    {{DropPriority::Position, "position"}, {DropPriority::Score, "score"}}};
constexpr Names<GroupScore, 2> kGroupScores{{{GroupScore::Max, "max"}, {GroupScore::Top2Sum, "top2sum"}}};

template <typename Enum, size_t N>
std::string_view nameOf(const Names<Enum, N>& names, Enum v) {
    for (const auto& [e, s] : names)
        if (e == v) return s;
    return "?";
}

template <typename Enum, size_t N>
Enum parseEnum(const Names<Enum, N>& names, std::string_view s, const std::string& flag) {
    std::string choices;
    for (const auto& [e, name] : names) {
        if (name == s) return e;
        choices += choices.empty() ? "" : "|";
        choices += name;
    }
    throw InputError(flag, "must be one of " + choices + " (got '" + std::string(s) + "')");
}

void requireRange(const std::string& flag, double v, double lo, double hi, const std::string& range) {
    if (!(v >= lo && v <= hi)) throw InputError(flag, "must be in " + range + " (got " + std::to_string(v) + ")");
}

} // namespace

std::string_view toString(Activation v) { return nameOf(kActivations, v); }
std::string_view toString(ScoreFn v) { return nameOf(kScoreFns, v); }
std::string_view toString(RoutingMode v) { return nameOf(kModes, v); }
std::string_view toString(Overflow v) { return nameOf(kOverflows, v); }
std::string_view toString(DropPriority v) { return nameOf(kPriorities, v); }
std::string_view toString(GroupScore v) { return nameOf(kGroupScores, v); }

Activation parseActivation(std::string_view s, const std::string& f) { return parseEnum(kActivations, s, f); }
ScoreFn parseScoreFn(std::string_view s, const std::string& f) { return parseEnum(kScoreFns, s, f); }
RoutingMode parseRoutingMode(std::string_view s, const std::string& f) { return parseEnum(kModes, s, f); }
Overflow parseOverflow(std::string_view s, const std::string& f) { return parseEnum(kOverflows, s, f); }
DropPriority parseDropPriority(std::string_view s, const std::string& f) { return parseEnum(kPriorities, s, f); }
GroupScore parseGroupScore(std::string_view s, const std::string& f) { return parseEnum(kGroupScores, s, f); }

void validate(const ModelShape& s) {
    requireRange("--experts", s.experts, 1, 4096, "1..4096");
    requireRange("--dim", s.dim, 1, 65536, "1..65536");
    requireRange("--hidden", s.hidden, 1, 262144, "1..262144");
    requireRange("--shared-experts", s.sharedExperts, 0, 64, "0..64");
}

void validate(const RouterConfig& c, int experts) {
    const std::string e = std::to_string(experts);
    requireRange("--k", c.k, 1, experts, "1.." + e + " (the expert count)");
    if (!std::isfinite(c.temperature) || c.temperature < 0)
        throw InputError("--temperature", "must be a finite number >= 0 (got " + std::to_string(c.temperature) + ")");
    if (!std::isfinite(c.capacityFactor) || c.capacityFactor < 0)
        throw InputError("--capacity-factor", "must be a finite number >= 0 (got " + std::to_string(c.capacityFactor) + ")");
    requireRange("--min-capacity", c.minCapacity, 0, 1e9, "0..1e9");
    requireRange("--jitter", c.jitter, 0, 1, "0..1");
    requireRange("--groups", c.groups, 1, experts, "1.." + e);
    if (experts % c.groups != 0)
        throw InputError("--groups", "must divide the expert count " + e + " (got " + std::to_string(c.groups) + ")");
    requireRange("--topk-groups", c.topkGroups, 0, c.groups, "0.." + std::to_string(c.groups) + " (0 = all)");
    const int kept = c.topkGroups == 0 ? c.groups : c.topkGroups;
    if (c.mode == RoutingMode::TokenChoice && c.k > kept * (experts / c.groups))
        throw InputError("--k", "must be <= the experts in the kept groups, " + std::to_string(kept * (experts / c.groups)) +
                                    " (got " + std::to_string(c.k) + ")");
    if (!c.expertBias.empty() && static_cast<int>(c.expertBias.size()) != experts)
        throw InputError("--expert-bias", "needs one value per expert, " + e + " (got " +
                                              std::to_string(c.expertBias.size()) + ")");
    for (float b : c.expertBias)
        if (!std::isfinite(b)) throw InputError("--expert-bias", "values must be finite");
}

int expertCapacity(const RouterConfig& c, int tokens, int experts) {
    if (c.capacityFactor == 0.0) {
        // Expert choice has no dropless form: each expert takes its fair share k*T/E.
        if (c.mode == RoutingMode::ExpertChoice)
            return std::max(static_cast<int>(std::ceil(double(c.k) * tokens / experts - 1e-9)), c.minCapacity);
        return -1;
    }
    // The epsilon keeps 2*10/8*1.6 = 4.000000001 from rounding up to 5.
    const double raw = double(c.k) * tokens / experts * c.capacityFactor;
    const double cap = std::ceil(raw - 1e-9);
    return std::max(static_cast<int>(std::min(cap, 2e9)), c.minCapacity);
}

} // namespace moe
