#pragma once
#include "backend.hpp"
#include "../experts.hpp"
#include "../router.hpp"

namespace moe {

class EigenBackend final : public Backend {
public:
    std::string name() const override { return "eigen"; }
    std::string device() const override;
    Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) override;
    void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) override;

    // x·W_g^T + b (and x·W_noise^T when noisy), with jitter on the router's input; row i
    // of x is token firstRow + i (jitter is drawn per token).
    static RouterLogits routerLogits(const ModelWeights& w, const RouterConfig& cfg, const Mat& x, int firstRow = 0);

private:
    ExpertRunner m_runner;
};

}  // namespace moe
