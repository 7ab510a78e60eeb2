#pragma once
// One token's whole way through the layer, every number of it: byte, embedding row,
// logits, scores, top-k, combine weights, capacity, each expert's output and the
// weighted sum. The app's token-journey view draws it; each number is the one
// `moelab route --json` prints for the same settings (tests/test_journey.cpp).
#include <string>
#include <vector>

#include "layer.hpp"
#include "tokenizer.hpp"
#include "weights.hpp"

namespace moe {

struct JourneyStop {   // one of the token's assignment slots
    int expert = 0;    // who serves it (after a reroute)
    int choice = 0;    // who it asked for
    float score = 0;   // the serving expert's score
    float weight = 0;  // its combine weight
    bool kept = false;
    bool rerouted = false;
    bool skipped = false;             // GShard random routing left it undispatched (not a drop)
    int place = -1;                   // its place in the expert's capacity (0-based), -1 when dropped
    std::vector<float> expertOutput;  // Expert_e(x), D values (empty when dropped)
};

struct TokenJourney {
    int token = 0;
    ByteToken byte;
    std::vector<float> embedding;  // embed[byte], the table row
    std::vector<float> input;      // x: the row after a trained model's mixer
    std::vector<float> logits;     // x·W_gᵀ + b
    std::vector<float> scores;     // f(logits / T), noise included when on
    float temperature = 1;
    ScoreFn scoreFn = ScoreFn::Softmax;
    bool renormalize = true;
    float chosenScoreSum = 0;  // Σ of the k chosen scores (the renormaliser)
    int capacity = -1;         // -1: dropless
    std::vector<JourneyStop> stops;
    std::vector<std::vector<float>> sharedOutputs;  // each shared expert's output
    std::vector<float> output;                      // y = Σ kept w·Expert(x) + Σ shared
};

// The journey of token t of `text`, from the routing and outputs of one forward pass
// (res must hold outputs). Each chosen expert's FFN is run once more for its output.
TokenJourney traceToken(const ModelWeights& w, const RouterConfig& cfg, const std::string& text, const Mat& x,
                        const LayerResult& res, int t);

}  // namespace moe
