// The app with a router trace open: the trace's layers replayed under the routing
// settings, shown where the language model's layers show.
#include <algorithm>

#include "app_state.hpp"
#include "errors.hpp"
#include "metrics.hpp"
#include "model_flags.hpp"
#include "trace_tokens.hpp"

namespace moe::gui {

std::string AppState::useAstraLog(const std::string& path) {
    try {
        m_astra = readAstraLog(path, m_settings.cluster.gpus);
        return "";
    } catch (const std::exception& e) {
        return errorText(e);
    }
}

int AppState::layerCount() const {
    if (m_lm) return m_lm->config.layers;
    if (m_trace) return m_trace->numLayers();
    return 0;
}

std::vector<std::string> AppState::traceIgnores() const {
    return m_trace ? settingsNeedingScores(*m_trace, m_settings.router) : std::vector<std::string>{};
}

// Every layer replayed (the Layers view shows them all), the chosen one in result().
void AppState::replayTrace(const Settings& s, const RouterTrace& trace, int layer, Computed& c) {
    c.tokens = traceTokens(trace);
    auto run = std::make_shared<LmRun>();
    for (int l = 0; l < trace.numLayers(); ++l) {
        LayerResult r;
        r.routing = replayTraceLayer(trace, l, s.router);
        r.metrics = computeMetrics(r.routing, s.shape, s.router.k);
        run->layers.push_back(std::move(r));
    }
    // A trace holds no hidden states: the rows are zeros of the settings' width.
    c.x = Mat::Zero(trace.tokenCount(), std::max(1, s.shape.dim));
    c.layer = std::clamp(layer, 0, trace.numLayers() - 1);
    c.result = run->layers[c.layer];
    c.traffic = simulateTraffic(c.result.routing, s.cluster, deviceLimit(s));
    c.lm = std::move(run);
}

std::vector<std::vector<CapacityPoint>> AppState::sweepLayers(const RouterTrace& trace) {
    std::vector<std::vector<CapacityPoint>> out;
    for (int l = 0; l < trace.numLayers(); ++l) out.push_back(capacitySweep(trace, l));
    return out;
}

// The model's file fixes the whole shape; a trace its expert count and its text.
void AppState::keepShape() {
    if (m_lm) {
        m_settings.shape = m_lm->layers[0].moe.shape;
        m_settings.weightsPath.clear();
        m_weightsDirty = false;
        return;
    }
    if (!m_trace) return;
    if (m_settings.shape.experts != m_trace->numExperts) {
        m_settings.shape.experts = m_trace->numExperts;
        m_weightsDirty = true;
    }
    m_settings.weightsPath.clear();
    m_settings.textFile.clear();
    m_settings.text = m_traceText;
}

std::string AppState::useTrace(const std::string& path, bool asRecorded) {
    try {
        return useTrace(std::make_shared<const RouterTrace>(loadTrace(path)), path, asRecorded);
    } catch (const std::exception& e) {
        return errorText(e);  // what was shown stays
    }
}

std::string AppState::useTrace(std::shared_ptr<const RouterTrace> trace, const std::string& path, bool asRecorded) {
    try {
        waitForResult();
        if (!m_lm && !m_trace) m_beforeLm = m_settings;
        m_lm.reset();  // one layered source at a time
        m_lmName.clear();
        m_lmRun.reset();
        m_trace = std::move(trace);
        m_tracePath = path;
        m_traceText = traceText(*m_trace);
        m_traceNamesTokens = moe::traceNamesTokens(*m_trace);
        m_traceSweeps = sweepLayers(*m_trace);  // once: the trace's own rule, not the settings
        if (asRecorded) m_settings.router = traceRouterConfig(*m_trace);
        m_layer = std::clamp(m_layer, 0, m_trace->numLayers() - 1);
        m_pinned.reset();
        m_history.clear();
        m_liveWeights = false;
        changed(SettingEffect::Weights);
        keepShape();
        update();
        return "";
    } catch (const std::exception& e) {
        return errorText(e);  // what was shown stays
    }
}

void AppState::leaveTrace() {
    if (!m_trace) return;
    waitForResult();
    m_trace.reset();
    m_tracePath.clear();
    m_traceSweeps.clear();
    m_lmRun.reset();
    m_layer = 0;
    if (m_beforeLm) m_settings = *m_beforeLm;  // the trace's text goes with it
    m_beforeLm.reset();
    m_pinned.reset();
    m_history.clear();
    changed(SettingEffect::Weights);
    update();
}

}  // namespace moe::gui
