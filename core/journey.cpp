#include "journey.hpp"

#include "capacity.hpp"
#include "experts.hpp"

namespace moe {
namespace {

std::vector<float> rowOf(const Mat& m, int r) {
    const auto row = m.row(r);
    return std::vector<float>(row.data(), row.data() + row.size());
}

std::vector<float> expertOutput(const ExpertWeights& e, Activation a, const Mat& x, int t) {
    FfnScratch scratch;
    const auto y = ffnForward(e, a, x.middleRows(t, 1), scratch);
    return std::vector<float>(y.data(), y.data() + y.cols());
}

}  // namespace

TokenJourney traceToken(const ModelWeights& w, const RouterConfig& cfg, const std::string& text, const Mat& x,
                        const LayerResult& res, int t) {
    const Routing& r = res.routing;
    TokenJourney j;
    j.token = t;
    const std::vector<ByteToken> tokens = tokenize(text);
    j.byte = tokens.at(t);
    j.embedding = rowOf(w.embed, j.byte.byte);
    j.input = rowOf(x, t);
    j.logits = rowOf(r.logits, t);
    j.scores = rowOf(r.scores, t);
    j.temperature = cfg.temperature;
    j.scoreFn = cfg.score;
    j.renormalize = cfg.renormalize;
    j.capacity = r.capacity;
    const std::vector<int> place = slotPositions(r, cfg);
    for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s) {
        JourneyStop stop;
        stop.expert = r.slotExpert[s];
        stop.choice = r.slotChoice[s];
        stop.score = r.scores(t, stop.expert);
        stop.weight = r.slotWeight[s];
        stop.kept = r.slotKept[s] != 0;
        stop.rerouted = r.rerouted(s);
        stop.skipped = r.skipped(s);
        stop.place = place[s];
        if (stop.kept) stop.expertOutput = expertOutput(w.experts[stop.expert], w.shape.activation, x, t);
        j.chosenScoreSum += r.scores(t, stop.choice);
        j.stops.push_back(std::move(stop));
    }
    for (const ExpertWeights& e : w.shared) j.sharedOutputs.push_back(expertOutput(e, w.shape.activation, x, t));
    if (res.outputs.rows() > t) j.output = rowOf(res.outputs, t);
    return j;
}

}  // namespace moe
