#include "app_state.hpp"

#include <chrono>

#include "errors.hpp"
#include "experts.hpp"
#include "safetensors.hpp"

namespace moe::gui {

namespace {
constexpr size_t kHistory = 120;
}

AppState::AppState(cli::ModelOptions opts) : m_opts(std::move(opts)) { update(); }

void AppState::useWeights(ModelWeights w) {
    m_opts.weightsPath.clear();
    m_opts.shape = w.shape;
    m_weights = std::move(w);
    m_liveWeights = true;
    m_weightsDirty = false;
    m_dirty = true;
}

void AppState::rebuildWeights() {
    m_weightsDirty = false;
    m_liveWeights = false;
    if (!m_opts.weightsPath.empty()) {
        m_weights = moe::loadWeights(m_opts.weightsPath, m_opts.shape.activation);
        m_opts.shape = m_weights.shape;
    } else {
        m_weights = initWeights(m_opts.shape, m_opts.seed);
    }
    m_history.clear();
}

void AppState::rebuildBackend() {
    m_backendDirty = false;
    BackendChoice c = makeBackend(m_opts.backend, m_opts.device);
    m_backend = std::move(c.backend);
    m_fallback = c.fallbackReason;
    m_backendName = m_backend->name();
    m_deviceName = m_backend->device();
}

void AppState::recompute() {
    const auto t0 = std::chrono::steady_clock::now();
    // Keep k and the groups inside what the expert count allows.
    RouterConfig& r = m_opts.router;
    const int E = m_weights.shape.experts;
    r.k = std::clamp(r.k, 1, E);
    if (r.groups < 1 || E % r.groups != 0) r.groups = 1;
    r.topkGroups = std::clamp(r.topkGroups, 0, r.groups);
    if (!r.expertBias.empty() && static_cast<int>(r.expertBias.size()) != E) r.expertBias.assign(E, 0.0f);
    const int kept = r.topkGroups == 0 ? r.groups : r.topkGroups;
    if (r.mode == RoutingMode::TokenChoice && r.k > kept * (E / r.groups)) r.topkGroups = 0;
    ClusterConfig& c = m_opts.cluster;
    c.gpus = std::clamp(c.gpus, 1, E + c.replicateHot);
    c.replicateHot = std::clamp(c.replicateHot, 0, E);
    if (!m_opts.routeGroups.empty()) {
        try {
            cli::applyRouteGroups(m_opts, E);
        } catch (const InputError&) {
            m_opts.routeGroups.clear();  // groups no longer fit the GPUs: routing goes back to ungrouped
            r.groups = 1, r.topkGroups = 0;
        }
    }
    validate(r, E);
    validate(c, E);

    m_tokens = tokenize(m_opts.text);
    m_x = embedBytes(m_weights, m_opts.text);
    runLayer(*m_backend, m_weights, r, m_x, true, m_result);
    m_traffic = simulateTraffic(m_result.routing, c);
    const Metrics& m = m_result.metrics;
    m_history.push_back({float(m.cv), float(m.auxLoss), float(m.dropRate), float(m.zLoss)});
    if (m_history.size() > kHistory) m_history.pop_front();
    m_computeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void AppState::update() {
    if (!m_dirty) return;
    m_dirty = false;
    try {
        if (m_weightsDirty) rebuildWeights();
        if (m_backendDirty) rebuildBackend();
        recompute();
        m_error.clear();
    } catch (const std::exception& e) {
        // The last good result stays on screen; the message says what went wrong.
        m_error = e.what();
    }
}

void AppState::loadWeights(const std::string& path) {
    const std::string previous = m_opts.weightsPath;
    m_opts.weightsPath = path;
    try {
        rebuildWeights();
        m_dirty = true;
        update();
    } catch (const std::exception& e) {
        m_opts.weightsPath = previous;
        m_error = e.what();
        m_weightsDirty = true;
        m_dirty = true;
    }
}

void AppState::unloadWeights() {
    m_opts.weightsPath.clear();
    weightsChanged();
}

} // namespace moe::gui
