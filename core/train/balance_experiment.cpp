#include "balance_experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <omp.h>

namespace moe::train {

TrainConfig balanceExperimentConfig(bool balanced, uint64_t seed) {
    TrainConfig c;
    c.model.shape = {.experts = 8, .dim = 32, .hidden = 128, .sharedExperts = 0, .activation = Activation::Relu};
    RouterConfig& r = c.model.router;
    r.k = 1;
    r.renormalize = false;  // w = s: the router learns from the output
    r.temperature = 0.5f;
    r.capacityFactor = 0;  // dropless: capacity does not hide the collapse
    c.model.auxCoef = balanced ? kBalancedAuxCoef : 0.0;
    c.model.zCoef = 0;
    c.lr = 0.2;
    c.seed = seed;
    return c;
}

LoadOutcome loadOutcome(const std::deque<std::vector<int>>& loads, size_t window) {
    LoadOutcome o;
    if (loads.empty()) return o;
    const size_t E = loads.back().size(), first = loads.size() > window ? loads.size() - window : 0;
    std::vector<double> sum(E, 0.0);
    for (size_t s = first; s < loads.size(); ++s)
        for (size_t e = 0; e < E && e < loads[s].size(); ++e) sum[e] += loads[s][e];
    double total = 0;
    for (double v : sum) total += v;
    if (total <= 0) return o;
    o.share.resize(E);
    double var = 0;
    const double mean = 1.0 / E;
    for (size_t e = 0; e < E; ++e) {
        o.share[e] = sum[e] / total;
        var += (o.share[e] - mean) * (o.share[e] - mean);
    }
    o.topShare = *std::max_element(o.share.begin(), o.share.end());
    o.maxOverMean = o.topShare / mean;
    o.cv = std::sqrt(var / E) / mean;
    return o;
}

BalanceRun runBalanceExperiment(bool balanced, const std::string& corpus, uint64_t seed) {
    // On one thread, as the app's training session runs it: Eigen blocks its products by
    // the thread count, and this learning rate amplifies a last-bit difference into
    // another outcome (aux loss run: max/mean 1.32 on two threads, 1.30 on one).
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto t0 = std::chrono::steady_clock::now();
    Trainer t(balanceExperimentConfig(balanced, seed), corpus);
    std::deque<std::vector<int>> loads;
    for (int s = 0; s < kBalanceSteps; ++s) {
        loads.push_back(t.step().load);
        if (loads.size() > kOutcomeWindow) loads.pop_front();
    }
    BalanceRun run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.outcome = loadOutcome(loads);
    run.heldOutLoss = t.heldOutLoss();
    omp_set_num_threads(threads);
    return run;
}

}  // namespace moe::train
