#pragma once
// `moelab bench --shape lm`: the little language model's forward pass and generation,
// beside the same model in eager PyTorch timed in the same run (examples/lm/bench_tiny_lm.py).
#include <nlohmann/json.hpp>

#include "backends/backend.hpp"

namespace moe::cli {

struct LmBenchOptions {
    double minTime = 0.5;  // seconds of repeats per measurement (at least 3 runs)
    int generateBytes = 64;
    bool print = true;  // a readable table on stdout
};

// {"model", "threads", "forward": [{"tokens", "moelab_ms", "pytorch_ms", "ratio"}],
//  "generate": {"bytes", "moelab_bytes_per_s", "pytorch_bytes_per_s", "ratio"}, "pytorch": {...} or
//  "pytorch_missing": why}. Ratios are PyTorch's time over moelab's (> 1: moelab is faster).
nlohmann::json benchLanguageModel(Backend& backend, const LmBenchOptions& options);

}  // namespace moe::cli
