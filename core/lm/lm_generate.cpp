#include "lm_generate.hpp"

#include <cmath>

#include "../errors.hpp"
#include "../rng.hpp"
#include "../settings_schema.hpp"

namespace moe {

LmSession::LmSession(Backend& backend, const LmModel& m, const RouterConfig& routing, int positions)
    : m_backend(backend), m_model(m), m_routing(routing) {
    validate(routing, m.config.experts);
    m_rope = m.rope.cos.rows() >= positions ? m.rope : ropeTable(positions, m.config.headDim(), m.config.ropeTheta);
}

Mat LmSession::feed(std::string_view bytes) {
    if (m_cache.positions + static_cast<int64_t>(bytes.size()) > m_rope.cos.rows())
        m_rope = ropeTable(m_cache.positions + static_cast<int>(bytes.size()), m_model.config.headDim(),
                           m_model.config.ropeTheta);
    return lmStep(m_backend, m_model, m_routing, bytes, m_rope, m_cache, m_layers);
}

int chooseByte(const float* logits, int vocab, double temperature, double u) {
    int best = 0;
    for (int j = 1; j < vocab; ++j)
        if (logits[j] > logits[best]) best = j;
    if (temperature <= 0) return best;
    std::vector<double> p(vocab);
    double sum = 0;
    for (int j = 0; j < vocab; ++j) sum += p[j] = std::exp((double(logits[j]) - logits[best]) / temperature);
    double below = 0;
    for (int j = 0; j < vocab; ++j) {
        below += p[j] / sum;
        if (u < below) return j;
    }
    return best;  // u within rounding of 1
}

namespace {

// The kept experts of the last fed byte, per layer.
std::vector<std::vector<int>> lastByteExperts(const std::vector<LayerResult>& layers) {
    std::vector<std::vector<int>> out;
    for (const LayerResult& l : layers) {
        const Routing& r = l.routing;
        const int t = r.tokens - 1;
        std::vector<int> experts;
        for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
            if (r.slotKept[s] && !r.skipped(s)) experts.push_back(r.slotExpert[s]);
        out.push_back(std::move(experts));
    }
    return out;
}

}  // namespace

LmGeneration generate(Backend& backend, const LmModel& m, const RouterConfig& routing, std::string_view prompt,
                      const SampleOptions& o) {
    if (prompt.empty()) throw InputError("text", "is empty: generation continues a prompt of at least one byte");
    LmSession session(backend, m, routing, static_cast<int>(prompt.size()) + o.bytes);
    LmGeneration g;
    g.text = prompt;
    g.promptBytes = static_cast<int>(prompt.size());
    Rng rng(o.seed, "generate");
    Mat logits = session.feed(prompt);
    for (int i = 0; i < o.bytes; ++i) {
        const Mat logprobs = logSoftmaxRows(logits.bottomRows(1));
        const double u = static_cast<double>(rng.next() >> 11) * (1.0 / 9007199254740992.0);  // 53 bits in [0, 1)
        GeneratedByte b;
        b.byte = static_cast<uint8_t>(chooseByte(logits.bottomRows(1).data(), int(logits.cols()), o.temperature, u));
        b.logprob = logprobs(0, b.byte);
        const char c = static_cast<char>(b.byte);
        g.text += c;
        logits = session.feed(std::string_view(&c, 1));  // its routing, and the next byte's logits
        b.experts = lastByteExperts(session.lastLayers());
        g.generated.push_back(std::move(b));
    }
    return g;
}

}  // namespace moe
