#pragma once
// The load-balancing experiment of the lesson: the same model, seed and data trained
// twice, without balancing and with the Switch auxiliary loss, so a class sees one
// expert take over and the loss spread the load again.
//
// Why it collapses: top-1 routing whose combine weight is the raw score (Switch style,
// so the router learns from the output), a sharp router (T = 0.5) and a high learning
// rate (0.2). The router's first updates overshoot: the expert that gets ahead in the
// first steps wins most tokens, the others get no tokens and so no gradient, and they
// never catch up. The auxiliary loss (α = 0.3; a high learning rate needs a stronger
// pull than the papers' 0.01) pushes the overloaded expert's mean score down.
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "trainer.hpp"

namespace moe::train {

// The experiment's settings; balanced adds the auxiliary loss. Same seed, same data.
TrainConfig balanceExperimentConfig(bool balanced, uint64_t seed = 0);
inline constexpr int kBalanceSteps = 300;
inline constexpr double kBalancedAuxCoef = 0.3;
inline constexpr size_t kOutcomeWindow = 20;  // steps the outcome averages over

// The load at the end of a run: assignments per expert summed over the last steps.
struct LoadOutcome {
    std::vector<double> share;  // per expert, sums to 1
    double maxOverMean = 0, topShare = 0, cv = 0;
};
LoadOutcome loadOutcome(const std::deque<std::vector<int>>& loads, size_t window = kOutcomeWindow);

struct BalanceRun {
    LoadOutcome outcome;
    double seconds = 0;
    double heldOutLoss = 0;
};
// Trains one of the two runs to the end (for tests and `moelab bench`), on one thread
// as the app does, so that all three show the same outcome.
BalanceRun runBalanceExperiment(bool balanced, const std::string& corpus, uint64_t seed = 0);

}  // namespace moe::train
