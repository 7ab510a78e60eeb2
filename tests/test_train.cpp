#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <omp.h>

#include "errors.hpp"
#include "rng.hpp"
#include "safetensors.hpp"
#include "train/balance_experiment.hpp"
#include "train/history.hpp"
#include "train/trainer.hpp"
#include "atomic_file.hpp"
#include "data_dir.hpp"

using namespace moe;
using namespace moe::train;

namespace {

ModelSettings tiny(Activation a = Activation::Relu) {
    ModelSettings s;
    s.shape.experts = 4;
    s.shape.dim = 5;
    s.shape.hidden = 7;
    s.shape.activation = a;
    s.router.k = 2;
    s.router.capacityFactor = 1.0;  // some drops: dropped tokens ride the residual
    s.router.noisyTopk = true;
    s.router.jitter = 0.05f;
    s.router.temperature = 0.8f;
    s.mixerTaps = 3;
    s.auxCoef = 0.1;
    s.zCoef = 0.05;
    return s;
}

Batch batch(int sequences, int length, uint64_t seed) {
    Batch b;
    b.sequences = sequences;
    b.length = length;
    Rng rng(seed, "batch");
    const std::string pool = "moe experts route \xE4\xB8\x93\xE5\xAE\xB6 123";
    for (int i = 0; i < sequences * length; ++i) {
        b.input.push_back(static_cast<uint8_t>(pool[rng.next() % pool.size()]));
        b.target.push_back(static_cast<uint8_t>(pool[rng.next() % pool.size()]));
    }
    return b;
}

// Central differences on a few coordinates of every tensor.
void gradientCheck(const ModelSettings& s) {
    Params p = initParams(s, 3);
    // Non-zero noise weights and mixer taps, so their gradients are exercised.
    Rng rng(4, "perturb");
    p.wn = MatD::NullaryExpr(p.wn.rows(), p.wn.cols(), [&] { return rng.uniform(-0.3f, 0.3f); });
    for (int j = 1; j < p.mixer.rows(); ++j)
        for (int i = 0; i < p.mixer.cols(); ++i) p.mixer(j, i) = rng.uniform(-0.5f, 0.5f);
    const VecD bias = VecD::LinSpaced(s.shape.experts, -0.01, 0.01);
    const Batch b = batch(3, 9, 5);
    Params g;
    const LossParts base = lossAndGrad(p, bias, s, b, 11, &g);
    ASSERT_GT(base.aux, 0);
    std::vector<double*> grads;
    g.forEach([&](const char*, double* d, Eigen::Index) { grads.push_back(d); });
    size_t tensor = 0;
    int checked = 0;
    std::map<std::string, double> worst;
    p.forEach([&](const char* name, double* d, Eigen::Index n) {
        for (int c = 0; c < 4; ++c) {
            const Eigen::Index i = (c * 7919 + tensor * 31) % n;
            const double keep = d[i], h = 1e-6;
            d[i] = keep + h;
            const double up = lossAndGrad(p, bias, s, b, 11, nullptr).loss;
            d[i] = keep - h;
            const double down = lossAndGrad(p, bias, s, b, 11, nullptr).loss;
            d[i] = keep;
            const double fd = (up - down) / (2 * h), an = grads[tensor][i];
            const double err = std::abs(fd - an) / std::max(1e-6, std::abs(fd) + std::abs(an));
            worst[name] = std::max(worst[name], std::abs(fd - an) < 1e-8 ? 0.0 : err);
            ++checked;
        }
        ++tensor;
    });
    for (const auto& [name, err] : worst) EXPECT_LT(err, 1e-4) << name;
    EXPECT_GT(checked, 40);
}

std::string corpus() { return readFile(dataPath("corpus/lesson.txt")); }

}  // namespace

TEST(TrainGradients, ReluWithEveryLoss) { gradientCheck(tiny()); }
TEST(TrainGradients, Gelu) { gradientCheck(tiny(Activation::Gelu)); }
TEST(TrainGradients, SiluRawWeightsDropless) {
    ModelSettings s = tiny(Activation::Silu);
    s.router.renormalize = false;
    s.router.capacityFactor = 0;
    s.router.noisyTopk = false;
    gradientCheck(s);
}
TEST(TrainGradients, RerouteAndTopOne) {
    ModelSettings s = tiny();
    s.router.k = 1;
    s.router.overflow = Overflow::Reroute;
    s.router.capacityFactor = 0.6;
    gradientCheck(s);
}

TEST(Train, ByteClasses) {
    EXPECT_EQ(byteClass('a'), kLetter);
    EXPECT_EQ(byteClass('7'), kDigit);
    EXPECT_EQ(byteClass(' '), kSpacePunct);
    EXPECT_EQ(byteClass(0xE4), kLeadByte);
    EXPECT_EQ(byteClass(0x98), kContinuation);
    EXPECT_EQ(byteClass(0xFF), kOtherByte);
}

TEST(Train, RefusesWhatItCannotTrain) {
    TrainConfig c;
    c.model.shape.activation = Activation::SwiGlu;
    EXPECT_THROW(Trainer(c, corpus()), InputError);
    TrainConfig d;
    EXPECT_THROW(Trainer(d, "too short"), InputError);
}

TEST(Train, LossFallsAndIsDeterministic) {
    TrainConfig c;
    c.model.shape.dim = 16;
    c.model.shape.hidden = 32;
    c.batch = 8;
    c.seqLen = 32;
    c.lr = 1e-2;
    Trainer a(c, corpus()), b(c, corpus());
    const double before = a.heldOutLoss();
    StepLog la, lb;
    for (int i = 0; i < 120; ++i) {
        la = a.step();
        lb = b.step();
    }
    EXPECT_LT(a.heldOutLoss(), before - 1.0);  // from ln 256 = 5.5 nats down
    EXPECT_EQ(la.loss, lb.loss);               // same seed, same numbers
    EXPECT_EQ(serializeWeights(a.weights()), serializeWeights(b.weights()));
}

namespace {
double meanCv(double aux, double biasRate) {
    TrainConfig c;
    c.model.shape.dim = 16;
    c.model.shape.hidden = 32;
    c.model.router.capacityFactor = 0;  // let imbalance show
    c.model.auxCoef = aux;
    c.model.zCoef = 0;
    c.biasRate = biasRate;
    c.batch = 8;
    c.seqLen = 32;
    c.lr = 1e-2;
    c.seed = 2;
    Trainer t(c, corpus());
    double cv = 0;
    for (int i = 0; i < 200; ++i) {
        const StepLog l = t.step();
        if (i >= 150) cv += l.cv / 50;
    }
    return cv;
}
}  // namespace

TEST(Train, BalancingLowersLoadCv) {
    const double none = meanCv(0, 0), aux = meanCv(0.01, 0), bias = meanCv(0, 0.001);
    EXPECT_LT(aux, none);
    EXPECT_LT(bias, none);
    std::printf("load CV over steps 150-200: none %.3f, aux 0.01 %.3f, bias 0.001 %.3f\n", none, aux, bias);
}

TEST(Train, SeriesStaysBoundedAndSpansEveryStep) {
    Series s(100);
    for (int step = 1; step <= 100000; ++step) s.add(step, float(step) * 0.5f);
    EXPECT_LE(s.size(), 100u);
    EXPECT_GE(s.size(), 50u);
    EXPECT_EQ(s.steps().front(), 1);
    EXPECT_GT(s.steps().back(), 100000 - 100000 / 50);  // the newest points are still there
    for (size_t i = 1; i < s.size(); ++i) {
        EXPECT_LT(s.steps()[i - 1], s.steps()[i]);
        EXPECT_EQ(s.values()[i], float(s.steps()[i]) * 0.5f);
    }
}

TEST(BalanceExperiment, WithoutBalancingOneExpertTakesOverWithTheAuxLossTheLoadEvensOut) {
    // The lesson's experiment, from the same seed: no balancing ends with one expert
    // dominant (max/mean >= 3 or >= 40 % of the assignments at E = 8); the auxiliary
    // loss ends balanced (max/mean <= 1.5). Loads over the last 20 steps.
    const std::string text = corpus();
    const BalanceRun collapsed = runBalanceExperiment(false, text);
    const BalanceRun balanced = runBalanceExperiment(true, text);
    EXPECT_TRUE(collapsed.outcome.maxOverMean >= 3 || collapsed.outcome.topShare >= 0.4)
        << "max/mean " << collapsed.outcome.maxOverMean << ", top share " << collapsed.outcome.topShare;
    EXPECT_LE(balanced.outcome.maxOverMean, 1.5);
    // Both runs still learn the task (held-out loss at step 0 is about 5.6 nats).
    EXPECT_LT(collapsed.heldOutLoss, 3.5);
    EXPECT_LT(balanced.heldOutLoss, 3.5);
}

TEST(BalanceExperiment, TheOutcomeDoesNotDependOnTheCallersThreads) {
    // The app trains on one thread per session; `moelab bench` and the README quote the
    // same outcome whatever the thread count it is run with.
    const int threads = omp_get_max_threads();
    omp_set_num_threads(2);
    const BalanceRun two = runBalanceExperiment(true, corpus());
    omp_set_num_threads(1);
    const BalanceRun one = runBalanceExperiment(true, corpus());
    omp_set_num_threads(threads);
    EXPECT_EQ(two.outcome.share, one.outcome.share);
}

TEST(BalanceExperiment, OutcomeIsTheShareOverTheLastSteps) {
    std::deque<std::vector<int>> loads = {{100, 0}, {3, 1}, {1, 3}};
    const LoadOutcome o = loadOutcome(loads, 2);  // the last two steps: 4 and 4
    EXPECT_DOUBLE_EQ(o.share[0], 0.5);
    EXPECT_DOUBLE_EQ(o.maxOverMean, 1.0);
    EXPECT_DOUBLE_EQ(o.cv, 0.0);
    const LoadOutcome all = loadOutcome(loads, 3);  // 104 and 4
    EXPECT_NEAR(all.topShare, 104.0 / 108, 1e-12);
    EXPECT_NEAR(all.maxOverMean, 2 * 104.0 / 108, 1e-12);
}

// Core says what it can train: the nearest trainable model to a layer's settings, and
// one sentence per change, so the app never changes the settings silently.
TEST(Train, TheTrainableModelSaysWhatItChanged) {
    ModelShape shape;
    RouterConfig router;
    const train::TrainableModel same = train::trainableModel(shape, router);  // the defaults train as they are
    EXPECT_TRUE(same.changes.empty());
    EXPECT_NO_THROW(train::checkTrainable(same.model));

    shape.activation = Activation::SwiGlu;
    shape.sharedExperts = 2;
    router.mode = RoutingMode::ExpertChoice;
    router.score = ScoreFn::Sigmoid;
    router.temperature = 0;
    router.expertBias.assign(shape.experts, 0.5f);
    const train::TrainableModel t = train::trainableModel(shape, router);
    EXPECT_EQ(t.changes.size(), 6u);  // every entry of kTrainableChanges
    EXPECT_EQ(t.model.shape.activation, Activation::Silu);
    EXPECT_EQ(t.model.shape.sharedExperts, 0);
    EXPECT_EQ(t.model.router.mode, RoutingMode::TokenChoice);
    EXPECT_EQ(t.model.router.score, ScoreFn::Softmax);
    EXPECT_FLOAT_EQ(t.model.router.temperature, 0.05f);
    EXPECT_TRUE(t.model.router.expertBias.empty());
    EXPECT_EQ(t.model.shape.experts, shape.experts);  // what training can take stays
    EXPECT_NO_THROW(train::checkTrainable(t.model));

    router = RouterConfig{};
    router.temperature = 0.5f;  // above the floor: kept, no change
    EXPECT_TRUE(train::trainableModel(ModelShape{}, router).changes.empty());
    EXPECT_FLOAT_EQ(train::trainableModel(ModelShape{}, router).model.router.temperature, 0.5f);
}
