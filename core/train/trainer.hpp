#pragma once
// Training on a byte corpus: next-byte prediction with Adam, gradient clipping,
// Switch aux loss, ST-MoE z-loss and DeepSeek-V3's aux-loss-free bias updates.
// Deterministic for a seed.
#include <array>
#include <string>
#include <vector>

#include "train_model.hpp"

namespace moe::train {

struct TrainConfig {
    ModelSettings model;
    double lr = 3e-3;
    double biasRate = 0;  // gamma: b_i += gamma * sign(mean load - load_i) after each step
    double clip = 1.0;    // global gradient-norm clip
    int batch = 16;       // sequences per step
    int seqLen = 64;      // bytes per sequence
    uint64_t seed = 0;
};

struct StepLog {
    int step = 0;
    double loss = 0, ce = 0, aux = 0, z = 0, cv = 0, dropRate = 0, gradNorm = 0;
    std::vector<int> load;  // [E] assignments requested this step
};

// Byte classes of the specialisation matrix.
enum ByteClass { kLetter, kDigit, kSpacePunct, kLeadByte, kContinuation, kOtherByte, kByteClasses };
ByteClass byteClass(uint8_t b);
const char* byteClassName(int c);

class Trainer {
public:
    // Throws InputError when the corpus is too short or the settings cannot be trained.
    Trainer(TrainConfig cfg, std::string corpus);

    StepLog step();
    // Cross-entropy on a fixed held-out slice (the corpus's last tenth), no noise.
    double heldOutLoss() const;
    // First-choice assignments on the held-out slice: [expert][byte class].
    std::vector<std::array<int, kByteClasses>> specialisation() const;
    ModelWeights weights() const { return toWeights(m_params, m_cfg.model, m_bias); }

    TrainConfig& config() { return m_cfg; }  // lr, coefficients and batch may change between steps
    // Back to the seed's initialisation (optimiser state cleared).
    void reset();

private:
    Batch sample();
    Batch heldOutBatch() const;

    TrainConfig m_cfg;
    std::string m_corpus;
    size_t m_trainEnd = 0;
    Params m_params, m_m, m_v;  // weights, Adam moments
    Params m_grad;              // kept between steps, so its memory is reused
    VecD m_bias;
    int m_step = 0;
    uint64_t m_rngState = 0;
};

// One JSON object of `moelab train --log` (docs/contract.md).
std::string logLine(const StepLog& s);

}  // namespace moe::train
