#include "sentiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>

#include "adam.hpp"
#include "errors.hpp"
#include "rng.hpp"

namespace moe::train {

std::vector<Review> parseReviews(const std::string& tsv) {
    std::vector<Review> out;
    std::istringstream in(tsv);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const size_t a = line.find('\t'), b = a == std::string::npos ? a : line.find('\t', a + 1);
        const std::string where = "reviews line " + std::to_string(n);
        if (b == std::string::npos) throw InputError(where, "expected label<TAB>language<TAB>text");
        const std::string label = line.substr(0, a), lang = line.substr(a + 1, b - a - 1);
        Review r;
        if (label == "pos")
            r.label = kPositive;
        else if (label == "neg")
            r.label = kNegative;
        else
            throw InputError(where, "label must be pos or neg (got '" + label + "')");
        if (lang == "zh")
            r.language = kChinese;
        else if (lang == "en")
            r.language = kEnglish;
        else
            throw InputError(where, "language must be zh or en (got '" + lang + "')");
        r.text = line.substr(b + 1);
        if (r.text.empty()) throw InputError(where, "empty text");
        out.push_back(std::move(r));
    }
    return out;
}

double mutualInformationBits(const std::vector<std::array<int, 2>>& counts) {
    double n = 0;
    std::array<double, 2> col{};
    for (const auto& row : counts)
        for (int y = 0; y < 2; ++y) {
            n += row[y];
            col[y] += row[y];
        }
    if (n == 0) return 0;
    double mi = 0;
    for (const auto& row : counts) {
        const double rowSum = row[0] + row[1];
        for (int y = 0; y < 2; ++y)
            if (row[y] > 0) mi += row[y] / n * std::log2(row[y] * n / (rowSum * col[y]));
    }
    return std::max(0.0, mi);
}

SentimentVerdict verdict(const SentimentResult& r) {
    const bool bySentiment = r.sentimentBits >= kSplitBits, byLanguage = r.languageBits >= kSplitBits;
    if (bySentiment && byLanguage) return SentimentVerdict::Both;
    if (bySentiment) return SentimentVerdict::Sentiment;
    if (byLanguage) return SentimentVerdict::Language;
    if (std::max(r.sentimentBits, r.languageBits) < kLeanBits) return SentimentVerdict::Neither;
    return r.sentimentBits >= r.languageBits ? SentimentVerdict::LeansSentiment : SentimentVerdict::LeansLanguage;
}

const char* verdictName(SentimentVerdict v) {
    switch (v) {
        case SentimentVerdict::Sentiment:
            return "sentiment";
        case SentimentVerdict::Language:
            return "language";
        case SentimentVerdict::Both:
            return "both";
        case SentimentVerdict::LeansSentiment:
            return "leans-sentiment";
        case SentimentVerdict::LeansLanguage:
            return "leans-language";
        default:
            return "neither";
    }
}

namespace sentiment {
namespace {

void softmaxInPlace(VecD& v) {
    v = (v.array() - v.maxCoeff()).exp();
    v /= v.sum();
}

void fillUniform(MatD& m, Rng& r, double bound) {
    for (int i = 0; i < m.size(); ++i) m.data()[i] = r.uniform(-1, 1) * bound;
}
void fillUniform(VecD& v, Rng& r, double bound) {
    for (int i = 0; i < v.size(); ++i) v[i] = r.uniform(-1, 1) * bound;
}

}  // namespace

std::vector<int> featureRows(const std::string& text, int buckets) {
    std::vector<int> rows;
    const auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(text[i])); };
    for (size_t i = 0; i < text.size(); ++i) {
        rows.push_back(static_cast<int>(byte(i)));
        if (i >= 1) rows.push_back(256 + static_cast<int>(splitmix64(byte(i - 1) << 8 | byte(i)) % buckets));
        if (i >= 2)
            rows.push_back(
                256 +
                static_cast<int>(splitmix64(1ull << 24 | byte(i - 2) << 16 | byte(i - 1) << 8 | byte(i)) % buckets));
    }
    return rows;
}

Params initParams(const SentimentConfig& c) {
    Params p;
    const double bd = 1 / std::sqrt(double(c.dim)), bh = 1 / std::sqrt(double(c.hidden));
    Rng re(c.seed, "sentiment.embed"), rg(c.seed, "sentiment.gate"), rf(c.seed, "sentiment.ffn"),
        ro(c.seed, "sentiment.head");
    p.embed.resize(256 + c.buckets, c.dim);
    for (int i = 0; i < p.embed.size(); ++i) p.embed.data()[i] = c.embedStd * re.normal();
    p.wg.resize(c.experts, c.dim);
    p.bg.resize(c.experts);
    fillUniform(p.wg, rg, bd);
    fillUniform(p.bg, rg, bd);
    for (int e = 0; e < c.experts; ++e) {
        p.w1.emplace_back(c.hidden, c.dim);
        p.b1.emplace_back(c.hidden);
        p.w2.emplace_back(c.dim, c.hidden);
        p.b2.emplace_back(c.dim);
        fillUniform(p.w1[e], rf, bd);
        fillUniform(p.b1[e], rf, bd);
        fillUniform(p.w2[e], rf, bh);
        fillUniform(p.b2[e], rf, bh);
    }
    p.wo.resize(2, c.dim);
    p.bo.resize(2);
    fillUniform(p.wo, ro, bd);
    fillUniform(p.bo, ro, bd);
    return p;
}

namespace {

// What the backward pass needs of the forward one, per example of the batch.
struct ForwardCache {
    std::vector<VecD> xs, ss, hs, ps;         // gate input, scores, head input, class probabilities
    std::vector<std::vector<VecD>> as, outs;  // each chosen expert's pre-activation and output
    std::vector<double> norms;                // 1 / Σ top-k scores
    std::vector<int> assigned;                // assignments per expert in the batch
};

// Every example forward, first: the aux loss needs the batch's assignment shares.
ForwardCache forwardBatch(const Params& p, const SentimentConfig& c, const std::vector<Example>& batch, Pass& out) {
    const int N = static_cast<int>(batch.size()), E = c.experts, k = c.k, D = c.dim;
    ForwardCache f{std::vector<VecD>(N),
                   std::vector<VecD>(N),
                   std::vector<VecD>(N),
                   std::vector<VecD>(N),
                   std::vector<std::vector<VecD>>(N),
                   std::vector<std::vector<VecD>>(N),
                   std::vector<double>(N),
                   std::vector<int>(E, 0)};
    VecD meanScore = VecD::Zero(E);
    for (int i = 0; i < N; ++i) {
        VecD x = VecD::Zero(D);
        for (int r : batch[i].rows) x += p.embed.row(r).transpose();
        x /= std::max<size_t>(1, batch[i].rows.size());
        VecD s = p.wg * x + p.bg;
        softmaxInPlace(s);
        std::vector<int> order(E);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] > s[b]; });
        order.resize(k);
        double sum = 0;
        for (int e : order) {
            sum += s[e];
            ++f.assigned[e];
        }
        f.norms[i] = 1 / sum;
        VecD h = x;
        for (int e : order) {
            VecD a = p.w1[e] * x + p.b1[e];
            const VecD o = p.w2[e] * a.cwiseMax(0.0) + p.b2[e];
            h += s[e] * f.norms[i] * o;
            f.as[i].push_back(std::move(a));
            f.outs[i].push_back(o);
        }
        VecD prob = p.wo * h + p.bo;
        softmaxInPlace(prob);
        out.ce -= std::log(std::max(prob[batch[i].label], 1e-300)) / N;
        out.correct += (prob[1] > prob[0]) == (batch[i].label == 1);
        meanScore += s / N;
        out.choices[i] = std::move(order);
        f.xs[i] = std::move(x);
        f.ss[i] = std::move(s);
        f.hs[i] = std::move(h);
        f.ps[i] = std::move(prob);
    }
    // aux = E · Σ f_e · P_e, f_e = assignments / (N·k) held constant (Switch).
    for (int e = 0; e < E; ++e) out.aux += E * (double(f.assigned[e]) / (double(N) * k)) * meanScore[e];
    return f;
}

// Example i's gradient, added into g.
void backwardOne(const Params& p, const SentimentConfig& c, const std::vector<Example>& batch, const ForwardCache& f,
                 const std::vector<int>& chosen, int i, Params& g) {
    const int N = static_cast<int>(batch.size()), E = c.experts, k = c.k;
    VecD dl = f.ps[i];
    dl[batch[i].label] -= 1;
    dl /= N;
    g.wo += dl * f.hs[i].transpose();
    g.bo += dl;
    const VecD dh = p.wo.transpose() * dl;
    VecD dx = dh;  // the residual
    VecD ds = VecD::Zero(E);
    std::vector<double> dw(k);
    for (int j = 0; j < k; ++j) {
        const int e = chosen[j];
        const double w = f.ss[i][e] * f.norms[i];
        const VecD dout = w * dh;
        const VecD act = f.as[i][j].cwiseMax(0.0);
        g.w2[e] += dout * act.transpose();
        g.b2[e] += dout;
        VecD da = p.w2[e].transpose() * dout;
        for (int u = 0; u < da.size(); ++u) da[u] *= f.as[i][j][u] > 0 ? 1 : 0;
        g.w1[e] += da * f.xs[i].transpose();
        g.b1[e] += da;
        dx += p.w1[e].transpose() * da;
        dw[j] = dh.dot(f.outs[i][j]);
    }
    // w_j = s_j / Σ s: d w_j / d s_m = δ_jm / Σ − s_j / Σ².
    double weighted = 0;
    for (int j = 0; j < k; ++j) weighted += dw[j] * f.ss[i][chosen[j]];
    for (int j = 0; j < k; ++j) ds[chosen[j]] += dw[j] * f.norms[i] - weighted * f.norms[i] * f.norms[i];
    for (int e = 0; e < E; ++e) ds[e] += c.auxCoef * E * (double(f.assigned[e]) / (double(N) * k)) / N;
    const VecD dz = f.ss[i].cwiseProduct((ds.array() - ds.dot(f.ss[i])).matrix());
    g.wg += dz * f.xs[i].transpose();
    g.bg += dz;
    dx += p.wg.transpose() * dz;
    const double share = 1.0 / std::max<size_t>(1, batch[i].rows.size());
    for (int r : batch[i].rows) g.embed.row(r) += share * dx.transpose();
}

}  // namespace

Pass lossAndGrad(const Params& p, const SentimentConfig& c, const std::vector<Example>& batch, Params* g) {
    const int N = static_cast<int>(batch.size());
    Pass out;
    out.choices.resize(N);
    if (g) {
        *g = p;
        g->forEach([](double* d, Eigen::Index n) { std::fill(d, d + n, 0.0); });
    }
    const ForwardCache f = forwardBatch(p, c, batch, out);
    out.loss = out.ce + c.auxCoef * out.aux;
    if (!g) return out;
    for (int i = 0; i < N; ++i) backwardOne(p, c, batch, f, out.choices[i], i, *g);
    return out;
}

}  // namespace sentiment

namespace {

using namespace sentiment;

// Adam over every tensor of the parameters.
class Adam {
public:
    explicit Adam(const Params& p) : m_m(zeros(p)), m_v(zeros(p)) {}
    void step(Params& p, Params& g, double lr) {
        ++m_t;
        std::vector<double*> gs, ms, vs;
        g.forEach([&](double* d, Eigen::Index) { gs.push_back(d); });
        m_m.forEach([&](double* d, Eigen::Index) { ms.push_back(d); });
        m_v.forEach([&](double* d, Eigen::Index) { vs.push_back(d); });
        size_t i = 0;
        p.forEach([&](double* w, Eigen::Index n) {
            adamUpdate(w, gs[i], ms[i], vs[i], n, m_t, lr);
            ++i;
        });
    }

private:
    static Params zeros(Params p) {
        p.forEach([](double* d, Eigen::Index n) { std::fill(d, d + n, 0.0); });
        return p;
    }
    Params m_m, m_v;
    int m_t = 0;
};

}  // namespace

SentimentResult runSentimentExperiment(const std::vector<Review>& reviews, const SentimentConfig& c,
                                       const std::function<void(int, double)>& progress,
                                       const std::atomic<bool>* cancel) {
    if (c.k < 1 || c.k > c.experts) throw InputError("k", "must be in 1..experts");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Example> train, held;
    std::vector<const Review*> heldReviews;
    for (size_t i = 0; i < reviews.size(); ++i) {
        Example ex{featureRows(reviews[i].text, c.buckets), reviews[i].label};
        if (c.heldOutEvery > 0 && i % c.heldOutEvery == static_cast<size_t>(c.heldOutEvery - 1)) {
            held.push_back(std::move(ex));
            heldReviews.push_back(&reviews[i]);
        } else {
            train.push_back(std::move(ex));
        }
    }
    if (train.size() < 2 || held.empty()) throw InputError("reviews", "need at least 2 training and 1 held-out review");

    SentimentResult res;
    res.trainCount = static_cast<int>(train.size());
    res.heldOutCount = static_cast<int>(held.size());
    Params p = initParams(c), g;
    Adam adam(p);
    Rng shuffle(c.seed, "sentiment.shuffle");
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
        for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[shuffle.next() % (i + 1)]);
        for (size_t b = 0; b < order.size(); b += c.batch) {
            std::vector<Example> mb;
            for (size_t i = b; i < std::min(order.size(), b + c.batch); ++i) mb.push_back(train[order[i]]);
            lossAndGrad(p, c, mb, &g);
            adam.step(p, g, c.lr);
        }
        const double acc = double(lossAndGrad(p, c, held, nullptr).correct) / held.size();
        res.heldOutAccuracyPerEpoch.push_back(acc);
        if (progress) progress(epoch, acc);
        if (cancel && cancel->load()) {
            res.cancelled = true;
            break;
        }
    }
    res.trainAccuracy = double(lossAndGrad(p, c, train, nullptr).correct) / train.size();
    const Pass h = lossAndGrad(p, c, held, nullptr);
    res.heldOutAccuracy = double(h.correct) / held.size();
    for (RoutingTable* t : {&res.firstChoice, &res.topK}) {
        t->bySentiment.assign(c.experts, {});
        t->byLanguage.assign(c.experts, {});
    }
    const auto count = [](RoutingTable& t, int e, const Review& r) {
        ++t.bySentiment[e][r.label];
        ++t.byLanguage[e][r.language];
    };
    for (size_t i = 0; i < held.size(); ++i)
        for (int j = 0; j < c.k; ++j) {
            count(res.topK, h.choices[i][j], *heldReviews[i]);
            if (j == 0) count(res.firstChoice, h.choices[i][j], *heldReviews[i]);
        }
    res.sentimentBits = mutualInformationBits(res.firstChoice.bySentiment);
    res.languageBits = mutualInformationBits(res.firstChoice.byLanguage);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace moe::train
