#pragma once
// The seeds' sentiment claim, tested. Seed 002 routes whole reviews: one gate vector
// per sentence (g = [0.7, 0.25, 0.04, 0.01] for a positive one, E1 and E2 chosen) and
// says the experts will specialise in positive and negative reviews. Here a
// sentence-level MoE classifier (4 experts, top-2, as the seed) learns positive vs
// negative from labelled short reviews, and the held-out routing is counted by
// sentiment and by language, so the claim can be checked rather than believed.
//
// Model, per sentence: x = mean of the embeddings of its bytes and hashed byte
// bigrams and trigrams (a bag of single bytes cannot tell "good" from "dog");
// s = softmax(W_g x + b_g); top-k with renormalised weights w; h = x + Σ w_e FFN_e(x);
// p = softmax(W_o h + b_o) over {negative, positive}. Loss: cross-entropy plus
// α · Switch's aux loss over the minibatch. Doubles, Adam, deterministic for a seed.
#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace moe::train {

enum Sentiment { kNegative = 0, kPositive = 1 };
enum Language { kChinese = 0, kEnglish = 1 };

struct Review {
    Sentiment label = kNegative;
    Language language = kEnglish;
    std::string text;
};
// One review per line: "pos|neg <TAB> zh|en <TAB> text". Throws InputError naming the line.
std::vector<Review> parseReviews(const std::string& tsv);

struct SentimentConfig {
    int experts = 4, k = 2, dim = 32, hidden = 32;
    int buckets = 4096;  // hashed bigram and trigram rows, beside the 256 byte rows
    int epochs = 40, batch = 32;
    double lr = 0.01, auxCoef = 0.01;
    double embedStd = 0.1;  // initial embedding rows ~ N(0, embedStd²); 1.0 holds out 2 points worse
    int heldOutEvery = 5;   // every 5th review is held out
    uint64_t seed = 0;
};

// Held-out routing counted two ways: [expert][sentiment] and [expert][language].
struct RoutingTable {
    std::vector<std::array<int, 2>> bySentiment, byLanguage;
};

struct SentimentResult {
    int trainCount = 0, heldOutCount = 0;
    double trainAccuracy = 0, heldOutAccuracy = 0;
    std::vector<double> heldOutAccuracyPerEpoch;
    RoutingTable firstChoice, topK;  // first choice only; every one of the k choices
    // Mutual information between the first choice and each property, in bits
    // (1 bit: the first choice alone tells the property; 0: it tells nothing).
    double sentimentBits = 0, languageBits = 0;
    double seconds = 0;
    bool cancelled = false;
};

// progress(epoch, held-out accuracy) after each epoch; cancel, when set, stops early.
SentimentResult runSentimentExperiment(const std::vector<Review>& reviews, const SentimentConfig& cfg,
                                       const std::function<void(int, double)>& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

// What the first choice splits by: a property splits the experts when the choice tells
// at least half a bit of it (a perfect split is 1 bit), and the routing leans towards
// it from a tenth of a bit (a 3:1 split per expert is about 0.19).
enum class SentimentVerdict { Sentiment, Language, Both, LeansSentiment, LeansLanguage, Neither };
inline constexpr double kSplitBits = 0.5, kLeanBits = 0.1;
SentimentVerdict verdict(const SentimentResult& r);
// Its name for scripts: "sentiment", "language", "both", "leans-sentiment", "leans-language", "neither".
const char* verdictName(SentimentVerdict v);

// I(X; Y) in bits of a joint count table [x][y].
double mutualInformationBits(const std::vector<std::array<int, 2>>& counts);

// The classifier itself, exposed for the gradient check.
namespace sentiment {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VecD = Eigen::VectorXd;

struct Params {
    MatD embed;                // [256 + buckets, D]
    MatD wg;                   // [E, D]
    VecD bg;                   // [E]
    std::vector<MatD> w1, w2;  // [H, D], [D, H]
    std::vector<VecD> b1, b2;  // [H], [D]
    MatD wo;                   // [2, D]
    VecD bo;                   // [2]

    template <typename F>
    void forEach(F&& f) {
        f(embed.data(), embed.size());
        f(wg.data(), wg.size());
        f(bg.data(), bg.size());
        for (size_t e = 0; e < w1.size(); ++e) {
            f(w1[e].data(), w1[e].size());
            f(b1[e].data(), b1[e].size());
            f(w2[e].data(), w2[e].size());
            f(b2[e].data(), b2[e].size());
        }
        f(wo.data(), wo.size());
        f(bo.data(), bo.size());
    }
};

// The embedding rows a sentence averages: its bytes, then its hashed bigrams and trigrams.
std::vector<int> featureRows(const std::string& text, int buckets);
Params initParams(const SentimentConfig& cfg);

struct Example {
    std::vector<int> rows;
    int label = 0;
};
struct Pass {
    double loss = 0, ce = 0, aux = 0;
    int correct = 0;
    std::vector<std::vector<int>> choices;  // per example, the k experts, best first
};
// Mean loss over the examples and, when grads is given, its gradient (overwritten).
Pass lossAndGrad(const Params& p, const SentimentConfig& cfg, const std::vector<Example>& batch, Params* grads);

}  // namespace sentiment
}  // namespace moe::train
