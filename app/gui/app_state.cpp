#include "app_state.hpp"

#include <algorithm>
#include <chrono>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "errors.hpp"
#include "lm/lm_trace.hpp"
#include "model_flags.hpp"
#include "platform.hpp"
#include "settings_schema.hpp"

namespace moe::gui {

namespace {
constexpr size_t kHistory = 120;      // metric samples kept for the sparklines
constexpr double kFrameBudgetMs = 8;  // a recompute slower than this moves to the worker
}  // namespace

AppState::AppState(Settings settings) : m_settings(std::move(settings)) { update(); }

void AppState::changed(SettingEffect effect) {
    m_dirty = true;
    if (effect == SettingEffect::Weights) m_weightsDirty = true;
    if (effect == SettingEffect::Backend) m_backendDirty = true;
}

void AppState::set(const SettingSpec& spec, const nlohmann::json& value) {
    const Settings before = m_settings;
    setSetting(spec, m_settings, value, std::string(spec.key));
    settingChanged(spec, before, m_settings);
    changed(spec.effect);
}

void AppState::useWeights(ModelWeights w) {
    m_settings.weightsPath.clear();
    m_settings.shape = w.shape;
    m_weights = std::move(w);
    m_liveWeights = true;
    m_weightsDirty = false;
    m_dirty = true;
}

std::string AppState::replaceSettings(Settings next, bool clamp) {
    try {
        ModelWeights w = makeWeights(next);
        if (clamp) clampSettings(next);
        resolveSettings(next);
        validateSettings(next);
        const bool newBackend = next.backend != m_settings.backend || next.device != m_settings.device;
        m_settings = std::move(next);
        m_weights = std::move(w);
        m_liveWeights = false;
        m_weightsDirty = false;
        m_history.clear();
        m_dirty = true;
        m_backendDirty |= newBackend;
        if (m_lm || m_trace) {  // the language model or trace stays on: its shape and layer
            keepShape();
            showLayer();
        }
        update();
        return m_error;
    } catch (const std::exception& e) {
        return errorText(e);  // the settings and the result on screen stay as they were
    }
}

void AppState::rebuildBackend() {
    m_backendDirty = false;
    if (m_pendingBackend.valid()) m_pendingBackend.wait();  // a request this one replaces
    m_pendingBackend = {};
    if (m_settings.backend == BackendKind::Eigen || !kWorkerThreads) {
        try {
            installBackend(makeBackend(m_settings.backend, m_settings.device));
        } catch (const std::exception& e) {  // OpenCL chosen by name with no device: Eigen, and why
            installBackend({std::make_unique<EigenBackend>(), e.what()});
        }
        return;
    }
    if (!m_backend) installBackend({std::make_unique<EigenBackend>(), ""});
    // The first pass on a device is slow too (PoCL compiles each kernel for its work-group
    // size on first use: about a second): the worker makes it, so the window never waits.
    m_pendingBackend = std::async(std::launch::async, [s = m_settings, w = m_weights] {
        BackendChoice c;
        try {
            c = makeBackend(s.backend, s.device);
        } catch (const std::exception& e) {  // OpenCL chosen by name with no device: Eigen, and why
            c = {std::make_unique<EigenBackend>(), e.what()};
        }
        if (c.fallbackReason.empty()) {
            try {
                compute(s, w, *c.backend);
            } catch (const std::exception&) {
                // the real pass reports it
            }
        }
        return c;
    });
}

void AppState::installBackend(BackendChoice c) {
    m_backend = std::move(c.backend);
    m_fallback = c.fallbackReason;
    m_backendName = m_backend->name();
    m_deviceName = m_backend->device();
}

void AppState::waitForBackend() {
    if (!m_pendingBackend.valid()) return;
    m_pendingBackend.wait();
    update();
}

AppState::Computed AppState::compute(const Settings& s, const ModelWeights& w, Backend& backend,
                                     std::shared_ptr<const LmModel> lm, int layer,
                                     std::optional<double> knownTrainedBpb, std::shared_ptr<const RouterTrace> trace) {
    const auto t0 = std::chrono::steady_clock::now();
    Computed c;
    if (trace) {
        replayTrace(s, *trace, layer, c);
        c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return c;
    }
    c.tokens = tokenize(s.text);
    if (lm) {
        c.text = s.text;
        auto run = std::make_shared<LmRun>(runLm(backend, *lm, s.router, s.text));
        // The as-trained figure beside it: the same run when the routing is the trained one.
        const RouterConfig trained = trainedRouting(lm->config);
        const bool asTrained = routesAs(s, trained);
        c.trainedBpb = asTrained         ? run->bitsPerByte
                       : knownTrainedBpb ? *knownTrainedBpb
                                         : runLm(backend, *lm, trained, s.text).bitsPerByte;
        c.x = Mat(int(s.text.size()), lm->config.hidden);
        for (int t = 0; t < int(s.text.size()); ++t) c.x.row(t) = lm->embed.row(static_cast<unsigned char>(s.text[t]));
        c.layer = std::clamp(layer, 0, int(run->layers.size()) - 1);
        c.result = run->layers[c.layer];
        c.traffic = simulateTraffic(c.result.routing, s.cluster, deviceLimit(s));
        c.sweeps = sweepLayers(lmRunTrace("", lm->config, *run, s.text));
        c.lm = std::move(run);
        c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return c;
    }
    c.x = embedBytes(w, s.text);
    runLayer(backend, w, s.router, s.text, c.x, true, c.result);
    c.traffic = simulateTraffic(c.result.routing, s.cluster, deviceLimit(s));
    c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return c;
}

void AppState::take(Computed c) {
    m_tokens = std::move(c.tokens);
    m_x = std::move(c.x);
    m_result = std::move(c.result);
    m_traffic = std::move(c.traffic);
    m_lmRun = std::move(c.lm);
    m_trainedBpb = c.trainedBpb;
    m_sweeps = std::move(c.sweeps);
    m_trainedBpbText = m_lmRun ? c.text : std::string();                           // (c.lm was moved from)
    if (m_lmRun && c.layer != m_layer && m_layer < int(m_lmRun->layers.size())) {  // the layer changed meanwhile
        m_result = m_lmRun->layers[m_layer];
        m_traffic = simulateTraffic(m_result.routing, m_settings.cluster, deviceLimit(m_settings));
    }
    m_computeMs = c.ms;
    ++m_resultVersion;
    const Metrics& m = m_result.metrics;
    m_history.push_back({float(m.cv), float(m.auxLoss), float(m.dropRate), float(m.zLoss)});
    if (m_history.size() > kHistory) m_history.pop_front();
}

// The work of one pass, roughly: bytes times the model's size. The last pass's time,
// scaled by it, predicts the next (pasting a long text into the box moves to the worker
// before the first slow pass).
double AppState::work(const Settings& s) {
    // (the language model: about layers times one MoE, plus attention)
    return (double(s.text.size()) + 1) * s.shape.experts * std::max(1, s.shape.dim) * std::max(1, s.shape.hidden);
}

// The as-trained bits per byte does not change with the routing: kept while the text stays.
std::optional<double> AppState::knownTrainedBpb() const {
    if (!m_lm || m_lmRun == nullptr || m_trainedBpbText != m_settings.text) return std::nullopt;
    return m_trainedBpb;
}

bool AppState::lmOnEigenInstead() const {
    return m_lm && m_settings.backend == BackendKind::Auto && m_backend && m_backend->name() != "eigen" &&
           m_backend->onCpu();
}

std::string AppState::backendName() const { return lmOnEigenInstead() ? "eigen" : m_backendName; }

std::string AppState::deviceName() const {
    if (!lmOnEigenInstead()) return m_deviceName;
    static const std::string eigenDevice = EigenBackend().device();
    return eigenDevice;
}

Backend& AppState::computeBackend() {
    if (!lmOnEigenInstead()) return *m_backend;
    if (!m_lmCpu) m_lmCpu = std::make_unique<EigenBackend>();
    return *m_lmCpu;
}

void AppState::recompute() {
    const double predictedMs = m_computeMs * work(m_settings) / m_computedWork;
    m_computedWork = work(m_settings);
    if (m_inline || !kWorkerThreads || predictedMs <= kFrameBudgetMs) {
        take(compute(m_settings, m_weights, computeBackend(), m_lm, m_layer, knownTrainedBpb(), m_trace));
        return;
    }
    // The worker gets its own copies (the views and the training thread may change
    // settings and weights meanwhile) and the backend, which nothing else uses until
    // the result is taken (update() waits to install a new one).
    m_pendingResult = std::async(std::launch::async, [s = m_settings, w = m_weights, b = &computeBackend(), lm = m_lm,
                                                      layer = m_layer, known = knownTrainedBpb(), trace = m_trace] {
        return compute(s, w, *b, lm, layer, known, trace);
    });
}

bool AppState::takeFinished() {
    if (!m_pendingResult.valid() || m_pendingResult.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return false;
    try {
        take(m_pendingResult.get());
        m_error.clear();
    } catch (const std::exception& e) {
        m_error = errorText(e);  // the last good result stays
    }
    return true;
}

void AppState::waitForResult() {
    if (!m_pendingResult.valid()) return;
    m_pendingResult.wait();
    takeFinished();
}

void AppState::update() {
    takeFinished();
    if (computing()) return;  // changes wait for the running recompute; the next update() does them at once
    if (m_pendingBackend.valid() && m_pendingBackend.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        try {
            installBackend(m_pendingBackend.get());
        } catch (const std::exception& e) {  // Eigen stays; the reason is shown
            m_fallback = e.what();
        }
        m_dirty = true;
    }
    if (!m_dirty) return;
    m_dirty = false;
    try {
        keepShape();
        if (m_weightsDirty) {
            m_weightsDirty = false;
            m_liveWeights = false;
            m_weights = makeWeights(m_settings);
            m_history.clear();
        }
        // A control may have narrowed another's range (fewer experts: k, groups, GPUs).
        clampSettings(m_settings);
        validateSettings(m_settings);
        if (m_backendDirty) rebuildBackend();
        recompute();
        if (!computing()) m_error.clear();
    } catch (const std::exception& e) {
        // The last good result stays on screen; the message says what went wrong.
        m_error = errorText(e);
    }
}

std::string AppState::useLm(const std::string& nameOrPath, bool asTrained) {
    try {
        auto model = std::make_shared<const LmModel>(loadLm(nameOrPath));
        waitForResult();
        if (!m_lm && !m_trace) m_beforeLm = m_settings;
        m_trace.reset();  // one layered source at a time
        m_tracePath.clear();
        m_lm = std::move(model);
        m_lmRun.reset();  // another model: nothing of the last one's run stays
        m_trainedBpbText.clear();
        m_lmName = nameOrPath;
        m_settings.shape = m_lm->layers[0].moe.shape;
        m_settings.weightsPath.clear();
        if (asTrained) m_settings.router = trainedRouting(m_lm->config);
        m_layer = std::clamp(m_layer, 0, m_lm->config.layers - 1);
        m_pinned.reset();
        m_history.clear();
        m_liveWeights = false;
        m_dirty = true;
        showLayer();
        update();
        return "";
    } catch (const std::exception& e) {
        return errorText(e);  // the one-layer mode stays
    }
}

void AppState::leaveLm() {
    if (!m_lm) return;
    waitForResult();
    m_lm.reset();
    m_lmRun.reset();
    m_lmName.clear();
    m_layer = 0;
    if (m_beforeLm) {
        const std::string text = m_settings.text;
        m_settings = *m_beforeLm;
        m_settings.text = text;  // the typed text stays
    }
    m_beforeLm.reset();
    m_pinned.reset();
    m_history.clear();
    changed(SettingEffect::Weights);
    update();
}

void AppState::setLayer(int layer) {
    m_layer = std::clamp(layer, 0, std::max(0, layerCount() - 1));
    showLayer();
}

void AppState::showLayer() {
    if (!m_lm && !m_trace) return;
    if (m_lm) {
        ModelWeights w = m_lm->layers[m_layer].moe;
        w.embed = m_lm->embed;  // the embedding view shows the model's table
        w.touch();
        m_weights = std::move(w);
    }
    if (!m_lmRun || m_layer >= int(m_lmRun->layers.size())) return;
    m_result = m_lmRun->layers[m_layer];
    m_traffic = simulateTraffic(m_result.routing, m_settings.cluster, deviceLimit(m_settings));
    ++m_resultVersion;
}

void AppState::pinA() { m_pinned = PinnedState{m_settings, m_result, m_tokens}; }

std::string AppState::setA(Settings a) {
    try {
        const ModelWeights w = buildWeights(a);
        PinnedState p{a, {}, tokenize(a.text)};
        EigenBackend backend;  // A is computed once; the reference backend will do
        runLayer(backend, w, a.router, a.text, embedBytes(w, a.text), true, p.result);
        m_pinned = std::move(p);
        return "";
    } catch (const std::exception& e) {
        return errorText(e);
    }
}

void AppState::loadWeights(const std::string& path) {
    Settings next = m_settings;
    next.weightsPath = path;
    if (const std::string e = replaceSettings(std::move(next), true); !e.empty()) m_error = e;
}

void AppState::unloadWeights() {
    m_settings.weightsPath.clear();
    changed(SettingEffect::Weights);
}

}  // namespace moe::gui
