#include "lm_trace.hpp"

#include <stdexcept>

namespace moe {

RouterTrace lmTrace(const std::string& model, const LmConfig& config, std::vector<Mat> layerLogits,
                    std::string_view bytes) {
    RouterTrace t;
    t.model = model;
    t.numExperts = config.experts;
    t.topK = config.expertsPerToken;
    t.score = ScoreFn::Softmax;  // the model's rule (trainedRouting)
    t.renormalize = true;
    for (const char c : bytes) {
        t.tokens.push_back(static_cast<uint8_t>(c));
        t.tokenText.push_back(byteTokenText(static_cast<uint8_t>(c)));
    }
    for (const Mat& m : layerLogits)
        if (m.rows() != t.tokenCount() || m.cols() != t.numExperts)
            throw std::logic_error("lmTrace: a layer's logits are not [bytes, experts]");
    t.logits = std::move(layerLogits);
    return t;
}

RouterTrace lmRunTrace(const std::string& model, const LmConfig& config, const LmRun& run, std::string_view bytes) {
    std::vector<Mat> logits;
    for (const LayerResult& layer : run.layers) logits.push_back(layer.routing.logits);
    return lmTrace(model, config, std::move(logits), bytes);
}

}  // namespace moe
