#pragma once
// Every setting of the MoE layer, as the CLI flags of CONTRACT.md name them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

enum class Activation { Relu, Gelu, Silu, SwiGlu };
enum class ScoreFn { Softmax, Sigmoid };
enum class RoutingMode { TokenChoice, ExpertChoice };
enum class Overflow { Drop, Reroute };
enum class DropPriority { Position, Score };
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
    double capacityFactor = 1.25;  // 0 = dropless
    int minCapacity = 0;
    Overflow overflow = Overflow::Drop;
    DropPriority dropPriority = DropPriority::Position;
    bool noisyTopk = false;  // Shazeer et al. 2017
    float jitter = 0.0f;     // Switch Transformer input jitter epsilon
    uint64_t noiseSeed = 0;
    int groups = 1;          // DeepSeek-V2/V3 group-limited routing
    int topkGroups = 0;      // 0 = all groups
    GroupScore groupScore = GroupScore::Max;
    std::vector<float> expertBias;  // DeepSeek-V3 selection bias; empty = zeros
};

// Throws InputError naming the flag when a setting is out of range for E experts.
void validate(const ModelShape& shape);
void validate(const RouterConfig& cfg, int experts);

// Capacity per expert for T tokens, or -1 when dropless.
// Switch Transformer: capacity = ceil(k*T/E * C), here bounded below by min-capacity.
int expertCapacity(const RouterConfig& cfg, int tokens, int experts);

// Flag spellings, shared by the CLI, the JSON and session files.
std::string_view toString(Activation v);
std::string_view toString(ScoreFn v);
std::string_view toString(RoutingMode v);
std::string_view toString(Overflow v);
std::string_view toString(DropPriority v);
std::string_view toString(GroupScore v);
// Parse a flag value; throws InputError(flag, "must be one of ...").
Activation parseActivation(std::string_view s, const std::string& flag = "--activation");
ScoreFn parseScoreFn(std::string_view s, const std::string& flag = "--score");
RoutingMode parseRoutingMode(std::string_view s, const std::string& flag = "--routing");
Overflow parseOverflow(std::string_view s, const std::string& flag = "--overflow");
DropPriority parseDropPriority(std::string_view s, const std::string& flag = "--drop-priority");
GroupScore parseGroupScore(std::string_view s, const std::string& flag = "--group-score");

} // namespace moe
