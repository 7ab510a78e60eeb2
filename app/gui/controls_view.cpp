#include "controls_view.hpp"
#include "layers_view.hpp"
#include "next_byte_panel.hpp"

#include <filesystem>
#include "wrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "presets.hpp"

namespace moe::gui {
namespace {

constexpr float kLabelWidth = 120;  // right of the widgets, unscaled

const char* helpOf(const SettingSpec& spec) { return language() == Language::Chinese ? spec.helpZh : spec.help; }

// The setting's help and its command-line flag, on hover: what the control does and how
// to ask the CLI for the same.
void settingTooltip(const SettingSpec& spec) {
    if (!ImGui::IsItemHovered()) return;
    ImGui::BeginTooltip();
    textWrapped(helpOf(spec), ImGui::GetFontSize() * 28);
    ImGui::TextDisabled("--%.*s", int(spec.flag.size()), spec.flag.data());
    ImGui::EndTooltip();
}

// A slider over the setting's slider range; Ctrl+click typing reaches the full valid range.
std::optional<nlohmann::json> sliderWidget(const SettingSpec& spec, const nlohmann::json& v, const SettingRange& r,
                                           double lo, double hi) {
    const char* name = label(spec.label, spec.key.data());
    const auto inRange = [&](double x) { return std::clamp(x, r.lo, r.hi); };
    const ImGuiSliderFlags flags = spec.widget == SettingWidget::LogSlider ? ImGuiSliderFlags_Logarithmic : 0;
    if (spec.kind == SettingKind::Int) {
        int x = v.get<int>();
        const char* fmt = x == 0 && spec.zeroMeans ? tr(spec.zeroMeans) : "%d";
        if (ImGui::SliderInt(name, &x, int(lo), int(hi), fmt, flags) && x != v.get<int>())
            return nlohmann::json(int(inRange(x)));
        return std::nullopt;
    }
    float x = v.get<float>();
    char fmt[48] = "%.2f";
    if (x == 0 && spec.zeroMeans)
        std::snprintf(fmt, sizeof fmt, "0 (%s)", tr(spec.zeroMeans));
    else if (x < 0 && spec.negativeMeans)
        std::snprintf(fmt, sizeof fmt, "%s %.2f", tr(spec.negativeMeans), -x);
    else if (hi - lo <= 1)
        std::snprintf(fmt, sizeof fmt, "%%.3f");
    else if (hi >= 100)
        std::snprintf(fmt, sizeof fmt, "%%.0f");
    if (ImGui::SliderFloat(name, &x, float(lo), float(hi), fmt, flags) && std::isfinite(x) && x != v.get<float>())
        return nlohmann::json(inRange(x));
    return std::nullopt;
}

// A choice's spellings, each shown in the current language.
std::optional<nlohmann::json> comboWidget(const SettingSpec& spec, const nlohmann::json& v) {
    std::optional<nlohmann::json> out;
    const std::string current = v.get<std::string>();
    if (ImGui::BeginCombo(label(spec.label, spec.key.data()), tr(current.c_str()))) {
        for (std::string_view c : spec.choices) {
            const bool selected = c == current;
            // Choice spellings are NUL-terminated literals (EnumNames).
            if (ImGui::Selectable(tr(c.data()), selected) && !selected) out = nlohmann::json(std::string(c));
            if (selected) ImGui::SetItemDefaultFocus();
        }
        ImGui::EndCombo();
    }
    return out;
}

// Only divisors of E are offered, so the groups always split the experts evenly.
std::optional<nlohmann::json> divisorsWidget(const SettingSpec& spec, const nlohmann::json& v, int E) {
    std::optional<nlohmann::json> out;
    const int current = v.get<int>();
    if (ImGui::BeginCombo(label(spec.label, spec.key.data()), std::to_string(current).c_str())) {
        for (int g = 1; g <= E; ++g)
            if (E % g == 0 && ImGui::Selectable(std::to_string(g).c_str(), g == current) && g != current)
                out = nlohmann::json(g);
        ImGui::EndCombo();
    }
    return out;
}

// One control for one setting, by the schema's widget hint and range. Returns the new
// value when the user changed it.
std::optional<nlohmann::json> settingWidget(const SettingSpec& spec, const Settings& s) {
    const char* name = label(spec.label, spec.key.data());
    const nlohmann::json v = spec.get(s);
    const SettingRange r = spec.range ? spec.range(s) : SettingRange{0, 0};
    // Dragging covers the slider range; Ctrl+click typing reaches the full valid range.
    const double lo = std::max(r.lo, spec.slider.lo), hi = std::max(lo, std::min(r.hi, spec.slider.hi));
    switch (spec.widget) {
        case SettingWidget::Slider:
        case SettingWidget::LogSlider:
            return sliderWidget(spec, v, r, lo, hi);
        case SettingWidget::Number: {
            long long x = v.get<long long>();
            const long long step = 1;
            if (ImGui::InputScalar(name, ImGuiDataType_S64, &x, &step) && x != v.get<long long>())
                return nlohmann::json(static_cast<long long>(std::clamp(double(x), r.lo, r.hi)));
            return std::nullopt;
        }
        case SettingWidget::Checkbox: {
            bool x = v.get<bool>();
            if (ImGui::Checkbox(name, &x)) return nlohmann::json(x);
            return std::nullopt;
        }
        case SettingWidget::Combo:
            return comboWidget(spec, v);
        case SettingWidget::Divisors:
            return divisorsWidget(spec, v, s.shape.experts);
        case SettingWidget::None:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

void ControlsView::settingsSection(AppState& state, SettingGroup group) {
    for (const SettingSpec& spec : settingSpecs()) {
        if (spec.group != group || spec.widget == SettingWidget::None || ui().hidden.count(std::string(spec.key)))
            continue;
        // A weights file fixes the shape; replicas matter only to load-aware and EPLB placement.
        const bool fixedByFile = spec.effect == SettingEffect::Weights && state.weightsFromFile();
        const Placement placement = state.settings().cluster.placement;
        if (spec.key == "replicate" && placement != Placement::LoadAware && placement != Placement::Eplb) continue;
        ImGui::BeginDisabled(fixedByFile);
        const auto value = settingWidget(spec, state.settings());
        ImGui::EndDisabled();
        settingTooltip(spec);
        if (value) state.set(spec, *value);
    }
}

// Each preset a line; its paper, what was scaled down and its flags on hover.
void ControlsView::presetList(AppState& state) {
    Settings& o = state.settings();
    const bool zh = language() == Language::Chinese;
    for (const Preset& p : presets()) {
        ImGui::PushID(p.name);
        if (ImGui::Selectable(zh ? p.titleZh : p.title)) {
            Settings next = presetSettings(p, o);
            // The shipped checkpoint stays when the preset keeps its shape.
            bool sameModel = !o.weightsPath.empty();
            for (const SettingSpec& spec : settingSpecs())
                if (spec.effect == SettingEffect::Weights && spec.key != "weights")
                    sameModel &= sameValue(spec, next, o);
            if (sameModel) next.weightsPath = o.weightsPath;
            if (const std::string e = state.replaceSettings(next, true); !e.empty()) m_message = e;
        }
        if (ImGui::IsItemHovered()) {
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30);
            textWrapped(p.paper, ImGui::GetFontSize() * 30);
            ImGui::TextDisabled("%s: %s", tr("scaled down"), zh ? p.scaledZh : p.scaled);
            ImGui::Separator();
            ImGui::TextDisabled("moelab --preset %s", p.name);
            for (const std::string& f : presetFlags(p)) ImGui::BulletText("%s", f.c_str());
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
        ImGui::PopID();
    }
}

void ControlsView::drawContent(AppState& state) {
    Settings& o = state.settings();
    ImGui::PushItemWidth(-px(kLabelWidth));

    // On a page switch: the presets fold away for the expert-parallel settings, and back.
    const bool applyOpen = m_applyOpen;
    m_applyOpen = false;
    if (applyOpen) ImGui::SetNextItemOpen(!m_parallelOpen, ImGuiCond_Always);
    if (!ui().hidden.count("presets") && ImGui::CollapsingHeader(tr("Presets"), ImGuiTreeNodeFlags_DefaultOpen))
        presetList(state);
    for (SettingGroup g : {SettingGroup::Model, SettingGroup::Router, SettingGroup::Capacity, SettingGroup::Noise,
                           SettingGroup::Groups, SettingGroup::Parallel, SettingGroup::Compute}) {
        const bool openByDefault = g == SettingGroup::Model || g == SettingGroup::Router ||
                                   g == SettingGroup::Capacity || g == SettingGroup::Compute;
        if (applyOpen && g == SettingGroup::Parallel) ImGui::SetNextItemOpen(m_parallelOpen, ImGuiCond_Always);
        if (!ImGui::CollapsingHeader(label(groupName(g), groupName(g)),
                                     openByDefault ? ImGuiTreeNodeFlags_DefaultOpen : 0))
            continue;
        if (g == SettingGroup::Model && state.lm()) {  // the language model's file fixes its shape
            textWrappedf("%s: %s", tr("Language model"), state.lmName().c_str());
            layerControl(state, ui());
            continue;
        }
        if (g == SettingGroup::Model && state.trace()) {  // the trace fixes the experts and the text
            drawTraceSummary(state, ui());
            layerControl(state, ui());
            continue;
        }
        if (g == SettingGroup::Model && state.customWeights()) {
            // On a projector the file's name, not where it sits on this machine.
            const std::string path =
                ui().presenting ? std::filesystem::path(o.weightsPath).filename().string() : o.weightsPath;
            textWrappedf("%s: %s", tr("Weights"), state.weightsFromFile() ? path.c_str() : tr("training (live)"));
            if (ImGui::Button(tr("Back to random weights"))) state.unloadWeights();
        }
        if (g == SettingGroup::Parallel) topologyButtons(state);
        settingsSection(state, g);
        if (g == SettingGroup::Compute) computeStatus(state);
    }
    ImGui::PopItemWidth();
}

void ControlsView::topologyButtons(AppState& state) {
    for (const TopologyPreset& t : topologyPresets()) {
        if (&t != topologyPresets().data()) ImGui::SameLine();
        if (ImGui::Button(t.name)) {
            applyTopologyPreset(state.settings().cluster, t.name);
            state.changed(SettingEffect::Route);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr(t.description));
    }
}

void ControlsView::computeStatus(AppState& state) {
    textWrapped(translateMessage(state.deviceName()));
    if (state.lmOnEigenInstead()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        textWrapped(
            tr("Auto runs the language model on Eigen: the OpenCL device here is this CPU, where Eigen is "
               "faster."));
        ImGui::PopStyleColor();
    }
    const std::string& problem = !state.fallbackReason().empty() ? state.fallbackReason() : m_message;
    if (!problem.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kWarning));
        textWrapped(translateMessage(problem));
        ImGui::PopStyleColor();
    }
    ImGui::TextDisabled("%.2f ms", state.lastComputeMs());
}

}  // namespace moe::gui
