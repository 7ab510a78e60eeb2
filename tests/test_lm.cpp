// The little MoE language model: its operations against hand-computed numbers, the
// loader's checks, the forward pass's formulas and the KV cache against the full pass.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "backends/eigen_backend.hpp"
#include "data_dir.hpp"
#include "errors.hpp"
#include "lm/lm_generate.hpp"
#include "test_support.hpp"
#include "tiny_lm_file.hpp"

using namespace moe;

TEST(LmOps, RmsNormByHand) {
    Mat x(1, 2);
    x << 3, 4;
    Vec gain(2);
    gain << 1, 2;
    Mat out;
    // mean(x²) + eps = (9 + 16) / 2 + 0.5 = 13; out = x / sqrt(13) * gain
    rmsNormReference(x, gain, 0.5f, out);
    EXPECT_NEAR(out(0, 0), 0.83205029f, 1e-6);  // 3 / 3.6055513
    EXPECT_NEAR(out(0, 1), 2.21880078f, 1e-6);  // 4 / 3.6055513 * 2
}

TEST(LmOps, RopeByHand) {
    // headDim 4, theta 100: inv_freq = [100^0, 100^(-2/4)] = [1, 0.1]; position 1: angles [1, 0.1].
    const RopeTable table = ropeTable(2, 4, 100.0);
    EXPECT_FLOAT_EQ(table.cos(1, 0), std::cos(1.0f));
    EXPECT_FLOAT_EQ(table.sin(1, 3), std::sin(0.1f));
    Mat qk(2, 4);
    qk << 1, 2, 3, 4,  // position 0: angle 0, unchanged
        1, 2, 3, 4;    // position 1: x1 = [1, 2], x2 = [3, 4]
    ropeReference(qk, 1, table, 0);
    EXPECT_NEAR(qk(0, 0), 1.0f, 1e-7);
    EXPECT_NEAR(qk(0, 3), 4.0f, 1e-7);
    EXPECT_NEAR(qk(1, 0), -1.98411065f, 1e-6);  // 1·cos 1 − 3·sin 1
    EXPECT_NEAR(qk(1, 1), 1.59067466f, 1e-6);   // 2·cos 0.1 − 4·sin 0.1
    EXPECT_NEAR(qk(1, 2), 2.46237790f, 1e-6);   // 3·cos 1 + 1·sin 1
    EXPECT_NEAR(qk(1, 3), 4.17968349f, 1e-6);   // 4·cos 0.1 + 2·sin 0.1
    // The same row alone at firstPos 1 gets position 1's rotation.
    Mat one(1, 4);
    one << 1, 2, 3, 4;
    ropeReference(one, 1, table, 1);
    EXPECT_EQ(one, qk.bottomRows(1));
}

namespace {
// Two positions, head size 2: keys [1, 0] and [0, 1]. With q = [√2·ln 3, 0] the scaled scores
// are [ln 3, 0] (q·k / √2), softmax [3/4, 1/4]; with q = 0 they are equal, softmax [1/2, 1/2].
struct AttentionCase {
    Mat q, k, v;
};
AttentionCase attentionCase(int kvHeads) {
    const float a = std::sqrt(2.0f) * std::log(3.0f);
    AttentionCase c;
    c.q.resize(2, 4);   // heads 2: columns [0, 2) head 0, [2, 4) head 1
    c.q << 5, 7, 1, 1,  // position 0 sees only itself: q does not matter
        a, 0, 0, 0;
    c.k.resize(2, 2 * kvHeads);
    c.v.resize(2, 2 * kvHeads);
    if (kvHeads == 1) {
        c.k << 1, 0, 0, 1;
        c.v << 1, 2, 3, 4;
    } else {
        c.k << 1, 0, 1, 0, 0, 1, 0, 1;
        c.v << 1, 2, 10, 20, 3, 4, 30, 40;
    }
    return c;
}
}  // namespace

TEST(LmOps, GroupedAttentionByHand) {
    AttentionCase c = attentionCase(1);  // both query heads read the one KV head
    Mat out;
    causalAttentionReference(c.q, c.k, c.v, {2, 1, 2}, 0, out);
    EXPECT_NEAR(out(0, 0), 1.0f, 1e-6);  // position 0: v[0] = [1, 2], both heads
    EXPECT_NEAR(out(0, 1), 2.0f, 1e-6);
    EXPECT_NEAR(out(0, 2), 1.0f, 1e-6);
    EXPECT_NEAR(out(0, 3), 2.0f, 1e-6);
    EXPECT_NEAR(out(1, 0), 1.5f, 1e-6);  // 3/4 [1, 2] + 1/4 [3, 4]
    EXPECT_NEAR(out(1, 1), 2.5f, 1e-6);
    EXPECT_NEAR(out(1, 2), 2.0f, 1e-6);  // 1/2 [1, 2] + 1/2 [3, 4]
    EXPECT_NEAR(out(1, 3), 3.0f, 1e-6);

    c = attentionCase(2);  // head 1 reads KV head 1: values [10, 20] and [30, 40]
    causalAttentionReference(c.q, c.k, c.v, {2, 2, 2}, 0, out);
    EXPECT_NEAR(out(1, 0), 1.5f, 1e-6);
    EXPECT_NEAR(out(1, 2), 20.0f, 1e-5);
    EXPECT_NEAR(out(1, 3), 30.0f, 1e-5);

    // Position 1 alone (firstPos 1) against the cache of both positions: the same row.
    Mat last;
    causalAttentionReference(c.q.bottomRows(1), c.k, c.v, {2, 2, 2}, 1, last);
    EXPECT_EQ(last, out.bottomRows(1));
}

TEST(LmModel, LoadsTheTinyFileAndMapsMixtralNames) {
    const LmModel m = parseLm(test::tinyLmFile(), "tiny.safetensors");
    EXPECT_EQ(m.config.headDim(), 4);
    ASSERT_EQ(m.layers.size(), 2u);
    const ModelWeights& moe = m.layers[1].moe;
    EXPECT_EQ(moe.shape.activation, Activation::SwiGlu);
    EXPECT_EQ(moe.experts.size(), 4u);
    EXPECT_EQ(moe.experts[0].wGate.rows(), 6);  // Mixtral's w1 is the gated (silu) one
    EXPECT_TRUE(moe.routerB.isZero(0) && moe.experts[3].b2.isZero(0));
    EXPECT_EQ(m.rope.cos.rows(), 16);
}

TEST(LmModel, BadConfigNamesFileAndKey) {
    const auto fieldFor = [](const std::string& key, const nlohmann::json& value) {
        nlohmann::json c = test::tinyConfig();
        if (value.is_null())
            c.erase(key);
        else
            c[key] = value;
        return test::inputErrorField([&] { parseLm(test::tinyLmFile(c), "m.safetensors"); });
    };
    EXPECT_EQ(fieldFor("hidden_size", 0), "m.safetensors config.hidden_size");
    EXPECT_EQ(fieldFor("hidden_size", 9), "m.safetensors config.hidden_size");  // not a multiple of 2 heads
    EXPECT_EQ(fieldFor("hidden_size", 6), "m.safetensors config.hidden_size");  // head size 3: odd
    EXPECT_EQ(fieldFor("num_key_value_heads", 3), "m.safetensors config.num_attention_heads");
    EXPECT_EQ(fieldFor("vocab_size", 128), "m.safetensors config.vocab_size");
    EXPECT_EQ(fieldFor("num_experts_per_tok", 5), "m.safetensors config.num_experts_per_tok");
    EXPECT_EQ(fieldFor("rope_theta", -1), "m.safetensors config.rope_theta");
    EXPECT_EQ(fieldFor("rms_norm_eps", "small"), "m.safetensors config.rms_norm_eps");
    EXPECT_EQ(fieldFor("num_hidden_layers", 1.5), "m.safetensors config.num_hidden_layers");
    EXPECT_EQ(fieldFor("tie_word_embeddings", nullptr), "m.safetensors config.tie_word_embeddings");
}

TEST(LmModel, MissingOrMisshapedTensorIsNamed) {
    EXPECT_INPUT_ERROR(
        parseLm(test::tinyLmFile(test::tinyConfig(), "model.layers.1.block_sparse_moe.experts.2.w3.weight"), "m"),
        "model.layers.1.block_sparse_moe.experts.2.w3.weight");
    nlohmann::json c = test::tinyConfig();
    c["num_key_value_heads"] = 2;  // k_proj should then be [8, 8]; the file's is [4, 8]
    EXPECT_INPUT_ERROR(parseLm(test::tinyLmFile(c), "m"), "model.layers.0.self_attn.k_proj.weight");
    c = test::tinyConfig();
    c["tie_word_embeddings"] = true;  // tied: lm_head.weight is not read, the embedding is
    const LmModel tied = parseLm(test::tinyLmFile(c, "lm_head.weight"), "m");
    EXPECT_EQ(tied.lmHead, tied.embed);
    EXPECT_INPUT_ERROR(parseLm(test::tinyLmFile(test::tinyConfig(), "lm_head.weight"), "m"), "lm_head.weight");
    const std::string file = test::tinyLmFile();
    EXPECT_INPUT_ERROR(parseLm(file.substr(0, file.size() - 3), "m"), "lm_head.weight");  // truncated data
    EXPECT_INPUT_ERROR(parseLm(file.substr(0, 20), "m"), "m");                            // truncated header
}

TEST(LmForward, LogprobsAndBitsPerByteFollowTheirFormulas) {
    const LmModel m = parseLm(test::tinyLmFile(), "tiny");
    EigenBackend eigen;
    const std::string text = "hello";
    const LmRun run = runLm(eigen, m, trainedRouting(m.config), text);
    ASSERT_EQ(run.layers.size(), 2u);
    ASSERT_EQ(run.logprobs.rows(), 5);
    double nats = 0;
    for (int t = 0; t < 5; ++t) {
        EXPECT_NEAR(run.logprobs.row(t).array().exp().sum(), 1.0, 1e-5);  // a distribution
        const float shift = run.logits(t, 0) - run.logprobs(t, 0);        // log Σ exp(logits)
        EXPECT_NEAR(run.logits(t, 200) - run.logprobs(t, 200), shift, 1e-4);
        if (t > 0) nats -= run.logprobs(t - 1, static_cast<unsigned char>(text[t]));
    }
    EXPECT_NEAR(run.bitsPerByte, nats / 4 / std::log(2.0), 1e-6);  // 4 predicted bytes
    EXPECT_EQ(runLm(eigen, m, trainedRouting(m.config), "h").bitsPerByte, 0.0);
    EXPECT_INPUT_ERROR(runLm(eigen, m, trainedRouting(m.config), ""), "text");
    // As trained: 2 experts per byte, weights renormalised to 1, nothing dropped.
    const Routing& r = run.layers[1].routing;
    EXPECT_EQ(r.capacity, -1);
    EXPECT_EQ(r.slotBegin[1] - r.slotBegin[0], 2);
    EXPECT_NEAR(r.slotWeight[0] + r.slotWeight[1], 1.0f, 1e-6);
}

TEST(LmForward, CausalPrefixesAgreeAndLongTextsExtendRope) {
    // Row t depends on bytes 0..t only: a prefix's logits are the longer text's first rows.
    // 20 bytes pass the model's 16 positions, so the rope table extends.
    const LmModel m = parseLm(test::tinyLmFile(), "tiny");
    EigenBackend eigen;
    const std::string text = "the quick brown fox!";
    const LmRun all = runLm(eigen, m, trainedRouting(m.config), text);
    const LmRun prefix = runLm(eigen, m, trainedRouting(m.config), text.substr(0, 7));
    EXPECT_LT((all.logits.topRows(7) - prefix.logits).cwiseAbs().maxCoeff(), 1e-5f);
}

TEST(LmGenerate, KvCacheLogitsEqualTheFullPass) {
    const LmModel m = loadLm("tiny-lm");
    EigenBackend eigen;
    const RouterConfig routing = trainedRouting(m.config);
    const std::string text = "床前明月光，疑是地上霜。 In the beginning";
    const LmRun full = runLm(eigen, m, routing, text);
    LmSession session(eigen, m, routing, static_cast<int>(text.size()));
    // A prompt of 5 bytes, then one byte at a time: each new row attends to the cache only.
    const Mat prompt = session.feed(text.substr(0, 5));
    float worstLogit = (prompt - full.logits.topRows(5)).cwiseAbs().maxCoeff(), worstRelative = 0, worstProb = 0;
    for (size_t t = 5; t < text.size(); ++t) {
        const Mat row = session.feed(text.substr(t, 1));
        const float delta = (row - full.logits.row(t)).cwiseAbs().maxCoeff();
        worstLogit = std::max(worstLogit, delta);
        worstRelative = std::max(worstRelative, delta / std::max(1.0f, full.logits.row(t).cwiseAbs().maxCoeff()));
        const Mat probs = logSoftmaxRows(row).array().exp().matrix();
        worstProb = std::max(worstProb, (probs - full.logprobs.row(t).array().exp().matrix()).cwiseAbs().maxCoeff());
        // The byte's routing in every layer is the full pass's for that byte: both experts, in order.
        for (int l = 0; l < m.config.layers; ++l) {
            const Routing& one = session.lastLayers()[l].routing;
            const Routing& all = full.layers[l].routing;
            EXPECT_EQ(one.slotExpert[0], all.slotExpert[2 * t]) << "layer " << l << " byte " << t;
            EXPECT_EQ(one.slotExpert[1], all.slotExpert[2 * t + 1]) << "layer " << l << " byte " << t;
        }
    }
    // One row (a matrix-vector product) sums in another order than the whole text's matrix
    // product: float rounding, a few ulps of logits up to ~26 in size (1.2e-5 measured).
    std::printf(
        "KV cache vs full pass: max |logit diff| %.3g (relative to the row's largest %.3g), "
        "max |probability diff| %.3g\n",
        double(worstLogit), double(worstRelative), double(worstProb));
    EXPECT_LT(worstRelative, 1e-5f);
    EXPECT_LT(worstProb, 1e-5f);
}

TEST(LmGenerate, ChooseByteGreedyAndByHand) {
    const float logits[2] = {0.0f, std::log(3.0f)};  // softmax [1/4, 3/4]
    EXPECT_EQ(chooseByte(logits, 2, 0, 0.0), 1);
    EXPECT_EQ(chooseByte(logits, 2, 1.0, 0.2), 0);  // u < 1/4
    EXPECT_EQ(chooseByte(logits, 2, 1.0, 0.3), 1);
    EXPECT_EQ(chooseByte(logits, 2, 0.5, 0.09), 0);  // T = 1/2: [1/10, 9/10]
    EXPECT_EQ(chooseByte(logits, 2, 0.5, 0.11), 1);
    const float tie[3] = {1.0f, 2.0f, 2.0f};
    EXPECT_EQ(chooseByte(tie, 3, 0, 0.0), 1);  // the lowest of the likeliest
}

TEST(LmGenerate, GreedyIsTheFullPassArgmaxAndSamplingIsSeeded) {
    const LmModel m = parseLm(test::tinyLmFile(), "tiny");
    EigenBackend eigen;
    const RouterConfig routing = trainedRouting(m.config);
    const LmGeneration g = generate(eigen, m, routing, "ab", {.bytes = 20});  // past the 16 positions
    ASSERT_EQ(g.text.size(), 22u);
    for (int i = 0; i < 20; ++i) {
        const LmRun run = runLm(eigen, m, routing, std::string_view(g.text).substr(0, 2 + i));
        Eigen::Index best;
        run.logits.row(1 + i).maxCoeff(&best);
        EXPECT_EQ(int(g.generated[i].byte), int(best)) << "byte " << i;
        EXPECT_NEAR(g.generated[i].logprob, run.logprobs(1 + i, best), 1e-5);
        ASSERT_EQ(g.generated[i].experts.size(), 2u);
        EXPECT_EQ(g.generated[i].experts[0].size(), 2u);
    }
    const SampleOptions hot{.bytes = 30, .temperature = 1.0, .seed = 5};
    EXPECT_EQ(generate(eigen, m, routing, "ab", hot).text, generate(eigen, m, routing, "ab", hot).text);
    EXPECT_NE(generate(eigen, m, routing, "ab", hot).text,
              generate(eigen, m, routing, "ab", {.bytes = 30, .temperature = 1.0, .seed = 6}).text);
}
