#include "app_state.hpp"

#include <chrono>

#include "backends/eigen_backend.hpp"
#include "embedding.hpp"
#include "errors.hpp"

namespace moe::gui {

namespace {
constexpr size_t kHistory = 120;  // metric samples kept for the sparklines
}

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
        update();
        return m_error;
    } catch (const std::exception& e) {
        return e.what();  // the settings and the result on screen stay as they were
    }
}

void AppState::rebuildBackend() {
    m_backendDirty = false;
    if (m_pendingBackend.valid()) m_pendingBackend.wait();  // a request this one replaces
    m_pendingBackend = {};
    if (m_settings.backend == BackendKind::Eigen) {
        installBackend(makeBackend(BackendKind::Eigen));
        return;
    }
    if (!m_backend) installBackend({std::make_unique<EigenBackend>(), ""});
    m_pendingBackend = std::async(std::launch::async, [kind = m_settings.backend, device = m_settings.device] {
        return makeBackend(kind, device);
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

void AppState::recompute() {
    const auto t0 = std::chrono::steady_clock::now();
    m_tokens = tokenize(m_settings.text);
    m_x = embedBytes(m_weights, m_settings.text);
    runLayer(*m_backend, m_weights, m_settings.router, m_settings.text, m_x, true, m_result);
    m_traffic = simulateTraffic(m_result.routing, m_settings.cluster, deviceLimit(m_settings));
    ++m_resultVersion;
    const Metrics& m = m_result.metrics;
    m_history.push_back({float(m.cv), float(m.auxLoss), float(m.dropRate), float(m.zLoss)});
    if (m_history.size() > kHistory) m_history.pop_front();
    m_computeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void AppState::update() {
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
        m_error.clear();
    } catch (const std::exception& e) {
        // The last good result stays on screen; the message says what went wrong.
        m_error = e.what();
    }
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
        return e.what();
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

} // namespace moe::gui
