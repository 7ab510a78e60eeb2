// The seeds' sentiment experiment: parsing, the classifier's gradient, the measure
// of specialisation, and the outcome on the bundled reviews.
#include <gtest/gtest.h>

#include <cmath>

#include "data_dir.hpp"
#include "errors.hpp"
#include "atomic_file.hpp"
#include "train/sentiment.hpp"

namespace moe::train {
namespace {

TEST(Sentiment, ParsesReviewsAndNamesTheBadLine) {
    const auto r = parseReviews("pos\ten\tGreat soup.\r\n\nneg\tzh\t太难吃了。\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].label, kPositive);
    EXPECT_EQ(r[0].language, kEnglish);
    EXPECT_EQ(r[0].text, "Great soup.");
    EXPECT_EQ(r[1].label, kNegative);
    EXPECT_EQ(r[1].language, kChinese);
    try {
        parseReviews("pos\ten\tfine\nmeh\ten\tso-so\n");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parseReviews("pos\tfr\tbien\n"), InputError);
    EXPECT_THROW(parseReviews("pos en no tabs\n"), InputError);
    EXPECT_THROW(parseReviews("pos\ten\t\n"), InputError);
}

TEST(Sentiment, MutualInformationInBits) {
    EXPECT_DOUBLE_EQ(mutualInformationBits({{10, 0}, {0, 10}}), 1.0);  // the expert tells the label
    EXPECT_DOUBLE_EQ(mutualInformationBits({{5, 5}, {5, 5}}), 0.0);    // it tells nothing
    EXPECT_DOUBLE_EQ(mutualInformationBits({{0, 0}, {7, 7}}), 0.0);
    // [[3,1],[1,3]]: H(Y) = 1, H(Y|X) = H(1/4) = 0.811278 bits.
    EXPECT_NEAR(mutualInformationBits({{3, 1}, {1, 3}}), 1 - 0.8112781244591328, 1e-12);
}

TEST(Sentiment, FeaturesAreBytesBigramsAndTrigrams) {
    const auto rows = sentiment::featureRows("abc", 64);
    ASSERT_EQ(rows.size(), 6u);  // 3 bytes, 2 bigrams, 1 trigram
    EXPECT_EQ(rows[0], 'a');
    EXPECT_EQ(rows[1], 'b');
    EXPECT_EQ(rows[3], 'c');
    for (int r : {rows[2], rows[4], rows[5]}) {
        EXPECT_GE(r, 256);
        EXPECT_LT(r, 256 + 64);
    }
    EXPECT_EQ(sentiment::featureRows("", 64).size(), 0u);
    // The same bigram lands in the same row wherever it occurs.
    EXPECT_EQ(sentiment::featureRows("ab", 64)[2], sentiment::featureRows("xab", 64)[4]);
}

TEST(Sentiment, GradientMatchesFiniteDifferences) {
    SentimentConfig c;
    c.dim = 4;
    c.hidden = 5;
    c.buckets = 16;
    c.experts = 4;
    c.k = 2;
    c.auxCoef = 0.1;
    c.seed = 3;
    sentiment::Params p = sentiment::initParams(c);
    const std::vector<sentiment::Example> batch = {{sentiment::featureRows("good", c.buckets), 1},
                                                   {sentiment::featureRows("不好", c.buckets), 0},
                                                   {sentiment::featureRows("ok!", c.buckets), 1}};
    sentiment::Params g;
    const sentiment::Pass base = sentiment::lossAndGrad(p, c, batch, &g);
    std::vector<double*> ws, gs;
    std::vector<Eigen::Index> sizes;
    p.forEach([&](double* d, Eigen::Index n) {
        ws.push_back(d);
        sizes.push_back(n);
    });
    g.forEach([&](double* d, Eigen::Index) { gs.push_back(d); });
    int checked = 0;
    for (size_t t = 0; t < ws.size(); ++t)
        for (Eigen::Index i = 0; i < sizes[t]; ++i) {
            const double keep = ws[t][i], h = 1e-6;
            ws[t][i] = keep + h;
            const sentiment::Pass up = sentiment::lossAndGrad(p, c, batch, nullptr);
            ws[t][i] = keep - h;
            const sentiment::Pass down = sentiment::lossAndGrad(p, c, batch, nullptr);
            ws[t][i] = keep;
            if (up.choices != base.choices || down.choices != base.choices) continue;  // a top-k switch: no derivative
            const double numeric = (up.loss - down.loss) / (2 * h);
            EXPECT_NEAR(gs[t][i], numeric, 1e-7 + 1e-5 * std::abs(numeric)) << "tensor " << t << " index " << i;
            checked += gs[t][i] != 0;
        }
    EXPECT_GT(checked, 150);  // the router, every chosen expert and the rows these bytes use
}

std::vector<Review> bundledReviews() { return parseReviews(readFile(dataPath("corpus/reviews.tsv"))); }

TEST(Sentiment, BundledSetIsBalanced) {
    const auto reviews = bundledReviews();
    ASSERT_GE(reviews.size(), 400u);
    int counts[2][2] = {};
    for (const Review& r : reviews) ++counts[r.label][r.language];
    for (int l = 0; l < 2; ++l)
        for (int g = 0; g < 2; ++g) EXPECT_EQ(counts[l][g], int(reviews.size()) / 4) << l << g;
}

TEST(Sentiment, ClassifierLearnsAndRoutingIsCounted) {
    const auto reviews = bundledReviews();
    SentimentConfig c;
    const SentimentResult r = runSentimentExperiment(reviews, c);
    EXPECT_EQ(r.heldOutCount, int(reviews.size()) / c.heldOutEvery);
    EXPECT_EQ(r.trainCount + r.heldOutCount, int(reviews.size()));
    EXPECT_GE(r.trainAccuracy, 0.95);
    // Well above the 0.5 of guessing; seeds 0-3 give 0.74-0.77, naive Bayes on the same
    // split 0.756.
    EXPECT_GE(r.heldOutAccuracy, 0.70);
    int firsts = 0, all = 0;
    for (int e = 0; e < c.experts; ++e) {
        firsts += r.firstChoice.bySentiment[e][0] + r.firstChoice.bySentiment[e][1];
        all += r.topK.byLanguage[e][0] + r.topK.byLanguage[e][1];
    }
    EXPECT_EQ(firsts, r.heldOutCount);
    EXPECT_EQ(all, r.heldOutCount * c.k);
    EXPECT_GE(r.sentimentBits, 0.0);
    EXPECT_LE(r.sentimentBits, 1.0);
    EXPECT_LE(r.languageBits, 1.0);
    EXPECT_EQ(r.heldOutAccuracyPerEpoch.size(), size_t(c.epochs));
    // Deterministic for a seed.
    const SentimentResult again = runSentimentExperiment(reviews, c);
    EXPECT_EQ(again.heldOutAccuracy, r.heldOutAccuracy);
    EXPECT_EQ(again.firstChoice.bySentiment, r.firstChoice.bySentiment);
}

TEST(Sentiment, CancelStopsAfterTheCurrentEpoch) {
    std::atomic<bool> cancel{true};
    SentimentConfig c;
    const SentimentResult r = runSentimentExperiment(bundledReviews(), c, {}, &cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.heldOutAccuracyPerEpoch.size(), 1u);
}

TEST(Sentiment, VerdictByBits) {
    SentimentResult r;
    const auto at = [&](double s, double l) {
        r.sentimentBits = s;
        r.languageBits = l;
        return verdict(r);
    };
    EXPECT_EQ(at(0.9, 0.1), SentimentVerdict::Sentiment);
    EXPECT_EQ(at(0.5, 0.6), SentimentVerdict::Both);
    EXPECT_EQ(at(0.05, 0.7), SentimentVerdict::Language);
    EXPECT_EQ(at(0.22, 0.05), SentimentVerdict::LeansSentiment);  // E1 3:1 positive, E2 3:1 negative
    EXPECT_EQ(at(0.12, 0.3), SentimentVerdict::LeansLanguage);
    EXPECT_EQ(at(0.09, 0.02), SentimentVerdict::Neither);
    EXPECT_STREQ(verdictName(SentimentVerdict::LeansSentiment), "leans-sentiment");
}

}  // namespace
}  // namespace moe::train
