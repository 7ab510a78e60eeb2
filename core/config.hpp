#pragma once
// The MoE layer's shape and routing settings, and the spellings of their choices
// (docs/contract.md). Ranges, defaults and help live in settings_schema.cpp.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

enum class Activation { Relu, Gelu, Silu, SwiGlu };
enum class ScoreFn { Softmax, Sigmoid };
enum class RoutingMode { TokenChoice, ExpertChoice };
enum class Overflow { Drop, Reroute };
enum class DropPriority { Position, Score, Random };
enum class RouteLevel { Token, Sentence };
enum class GroupScore { Max, Top2Sum };

// Shapes of the weights; fixed by a weights file when one is loaded.
struct ModelShape {
    int experts = 8;
    int dim = 32;
    int hidden = 128;
    int sharedExperts = 0;
    Activation activation = Activation::Relu;
};

struct RouterConfig {
    int k = 2;
    ScoreFn score = ScoreFn::Softmax;
    float temperature = 1.0f;  // 0 = hard argmax
    bool renormalize = true;
    RoutingMode mode = RoutingMode::TokenChoice;
    double capacityFactor = 1.25;  // 0 = dropless; negative: Tutel's dynamic capacity, at most |C|
    int minCapacity = 0;
    int capacityGroups = 1;  // GShard: capacity per group of consecutive tokens (as on G devices)
    Overflow overflow = Overflow::Drop;
    DropPriority dropPriority = DropPriority::Position;
    bool noisyTopk = false;  // Shazeer et al. 2017
    float jitter = 0.0f;     // Switch Transformer input jitter epsilon
    uint64_t noiseSeed = 0;
    int groups = 1;      // DeepSeek-V2/V3 group-limited routing
    int topkGroups = 0;  // 0 = all groups
    GroupScore groupScore = GroupScore::Max;
    std::vector<float> expertBias;         // DeepSeek-V3 selection bias; empty = zeros
    bool randomRouting = false;            // GShard: the 2nd choice is kept only when 2·w2 > U(0,1)
    bool padToCapacity = false;            // Megatron: every expert computes a full capacity (FLOPs, traffic)
    RouteLevel level = RouteLevel::Token;  // sentence: one routing decision per sentence
};

// The flag spelling of every value of an enum, in declaration order.
template <typename Enum>
struct EnumNames;
template <>
struct EnumNames<Activation> {
    static constexpr std::array<std::string_view, 4> names{"relu", "gelu", "silu", "swiglu"};
};
template <>
struct EnumNames<ScoreFn> {
    static constexpr std::array<std::string_view, 2> names{"softmax", "sigmoid"};
};
template <>
struct EnumNames<RoutingMode> {
    static constexpr std::array<std::string_view, 2> names{"token-choice", "expert-choice"};
};
template <>
struct EnumNames<Overflow> {
    static constexpr std::array<std::string_view, 2> names{"drop", "reroute"};
};
template <>
struct EnumNames<DropPriority> {
    static constexpr std::array<std::string_view, 3> names{"position", "score", "random"};
};
template <>
struct EnumNames<RouteLevel> {
    static constexpr std::array<std::string_view, 2> names{"token", "sentence"};
};
template <>
struct EnumNames<GroupScore> {
    static constexpr std::array<std::string_view, 2> names{"max", "top2sum"};
};

template <typename Enum>
std::string_view toString(Enum v) {
    const auto& n = EnumNames<Enum>::names;
    const auto i = static_cast<size_t>(v);
    return i < n.size() ? n[i] : "?";
}

// "a|b|c": the accepted spellings, for messages.
std::string joinChoices(const std::string_view* names, size_t count);

// Throws InputError(field, "must be one of a|b|c (got 'x')").
[[noreturn]] void throwBadChoice(const std::string& field, std::string_view got, const std::string_view* names,
                                 size_t count);

template <typename Enum>
Enum parseEnum(std::string_view s, const std::string& field) {
    const auto& n = EnumNames<Enum>::names;
    for (size_t i = 0; i < n.size(); ++i)
        if (n[i] == s) return static_cast<Enum>(i);
    throwBadChoice(field, s, n.data(), n.size());
}

}  // namespace moe
