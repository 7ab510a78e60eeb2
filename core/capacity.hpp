#pragma once
// Capacity and overflow: how many assignments an expert takes, who keeps a slot when it
// is full, and the combine weights fixed before that (docs/contract.md, "capacity").
#include <algorithm>
#include <cstdint>
#include <vector>

#include "routing.hpp"

namespace moe {

// Capacity per expert for T tokens, or -1 when dropless.
// Switch Transformer: capacity = ceil(k*T/E * C), here bounded below by min-capacity.
// With C < 0 (Tutel's dynamic capacity) this is the bound ceil(k*T/E * |C|).
int expertCapacity(const RouterConfig& cfg, int tokens, int experts);
// GShard (Lepikhin et al. 2020) splits the T tokens into G groups of consecutive tokens
// and gives each expert its capacity per group: token t is in group floor(t·G/T), and
// group g's capacity is expertCapacity(cfg, its token count, E). A token competes only
// with its own group, so an expert can drop tokens of a busy group while another group
// leaves its slots empty. One entry per group ({capacity} when G = 1).
std::vector<int> groupCapacities(const RouterConfig& cfg, int tokens, int experts);
inline int capacityGroupOf(int token, int tokens, int groups) {
    return static_cast<int>(int64_t(token) * groups / std::max(tokens, 1));
}
// An expert's slots in all: the sum over groups, or -1 when dropless.
int layerCapacity(const RouterConfig& cfg, int tokens, int experts);
// Tutel: the busiest expert's requested assignments, at most `bound`, at least min-capacity.
int dynamicCapacity(const RouterConfig& cfg, int bound, const std::vector<int>& requested);

// GShard random routing (Lepikhin et al. 2020, Algorithm 1): token t's second choice is
// dispatched only when 2·w2 > u, u = randomRoutingDraw(noise seed, t) in [0, 1).
float randomRoutingDraw(uint64_t seed, int token);
// Which slots ([T*k], weights in slot order) the rule leaves undispatched.
std::vector<uint8_t> randomRoutingSkips(const RouterConfig& cfg, const std::vector<float>& weights, int T);
// The order tokens get slots in for one choice rank: by position, by the score of that
// choice (ties by position), or in a random order drawn from the noise seed (DeepSpeed-
// MoE's Random Token Selection).
std::vector<int> priorityOrder(const Routing& r, const std::vector<int>& choices, const RouterConfig& cfg, int rank);

// Per token, what its chosen scores are multiplied by: 1 / (sum of its k chosen scores)
// when renormalising (GShard, Mixtral), else 1 (Switch with k = 1, DeepSeek-V2).
// choices: [T*k]; scores may be float or double.
template <typename ScoreMat>
std::vector<typename ScoreMat::Scalar> combineNorms(const ScoreMat& scores, const std::vector<int>& choices, int k,
                                                    bool renormalize) {
    using S = typename ScoreMat::Scalar;
    const int T = static_cast<int>(scores.rows());
    std::vector<S> norm(T, S(1));
    if (!renormalize) return norm;
    for (int t = 0; t < T; ++t) {
        S sum = 0;
        for (int j = 0; j < k; ++j) sum += scores(t, choices[size_t(t) * k + j]);
        norm[t] = sum > 0 ? S(1) / sum : S(0);
    }
    return norm;
}

// Token choice, in the contract's order: every 1st choice before any 2nd, by position or score.
void assignTokenChoice(const std::vector<int>& choices, const Mat& keys, const RouterConfig& cfg, Routing& r);
// Expert choice (Zhou et al. 2022): each expert takes its `capacity` best tokens.
void assignExpertChoice(const Mat& keys, const RouterConfig& cfg, Routing& r);

// Each kept slot's place in its expert (0 = the first assignment it took), in the
// order capacity was handed out; -1 for dropped slots and for expert choice.
std::vector<int> slotPositions(const Routing& r, const RouterConfig& cfg);

}  // namespace moe
