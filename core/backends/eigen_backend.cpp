#include "eigen_backend.hpp"

#include <omp.h>

#include "../router.hpp"
#include "../settings_schema.hpp"

namespace moe {

std::string EigenBackend::device() const {
    return "CPU (Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
           std::to_string(EIGEN_MINOR_VERSION) + ", " + std::to_string(omp_get_max_threads()) +
           (omp_get_max_threads() == 1 ? " thread)" : " threads)");
}

RouterLogits EigenBackend::routerLogits(const ModelWeights& w, const RouterConfig& cfg, const Mat& x, int firstRow) {
    RouterLogits out;
    const Mat* in = &x;
    Mat jittered;
    if (cfg.jitter > 0) {  // Switch: jitter only the router's input, not the experts'
        jittered = x;
        applyJitter(jittered, cfg.jitter, cfg.noiseSeed, firstRow);
        in = &jittered;
    }
    routerLinear(*in, w.routerW, &w.routerB, out.logits);
    if (cfg.noisyTopk) routerLinear(*in, w.noiseW, nullptr, out.noiseLogits);
    return out;
}

Routing EigenBackend::route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) {
    validate(cfg, w.shape.experts);
    return decideRouting(routerLogits(w, cfg, x), cfg, effectiveBias(w, cfg));
}

void EigenBackend::experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) {
    m_runner.run(w, x, r, out);
}

}  // namespace moe
