#include "controls_view.hpp"

#include <algorithm>
#include <cmath>

#include "presets.hpp"

namespace moe::gui {
namespace {

template <typename Enum, size_t N>
bool combo(const char* english, const char* id, Enum& value, const Enum (&values)[N]) {
    bool changed = false;
    if (ImGui::BeginCombo(label(english, id), std::string(toString(value)).c_str())) {
        for (Enum v : values) {
            const bool selected = v == value;
            if (ImGui::Selectable(std::string(toString(v)).c_str(), selected)) value = v, changed = true;
            if (selected) ImGui::SetItemDefaultFocus();
        }
        ImGui::EndCombo();
    }
    return changed;
}

bool sliderInt(const char* english, const char* id, int& v, int lo, int hi) {
    const int before = v;
    ImGui::SliderInt(label(english, id), &v, lo, hi, "%d", ImGuiSliderFlags_AlwaysClamp);
    return v != before;
}

bool sliderFloat(const char* english, const char* id, float& v, float lo, float hi, const char* fmt,
                 ImGuiSliderFlags flags = 0) {
    const float before = v;
    ImGui::SliderFloat(label(english, id), &v, lo, hi, fmt, flags | ImGuiSliderFlags_AlwaysClamp);
    if (!std::isfinite(v)) v = before;
    return v != before;
}

void help(const char* text) {
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

} // namespace

void ControlsView::drawContent(AppState& state) {
    cli::ModelOptions& o = state.options();
    RouterConfig& r = o.router;
    ModelShape& s = o.shape;
    ImGui::PushItemWidth(-px(120));

    // On a page switch: the presets fold away for the expert-parallel settings, and back.
    const bool applyOpen = m_applyOpen;
    m_applyOpen = false;
    if (applyOpen) ImGui::SetNextItemOpen(!m_parallelOpen, ImGuiCond_Always);
    if (ImGui::CollapsingHeader(tr("Presets"), ImGuiTreeNodeFlags_DefaultOpen)) {
        for (const Preset& p : presets()) {
            if (ImGui::Selectable(p.name)) {
                p.apply(o);
                state.weightsChanged();
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.source);
        }
    }

    if (ImGui::CollapsingHeader(tr("Model"), ImGuiTreeNodeFlags_DefaultOpen)) {
        const bool fromFile = state.weightsFromFile();
        if (state.customWeights()) {
            ImGui::TextWrapped("%s: %s", tr("Weights"), fromFile ? o.weightsPath.c_str() : tr("training (live)"));
            if (ImGui::Button(tr("Back to random weights"))) state.unloadWeights();
        }
        ImGui::BeginDisabled(fromFile);
        bool shape = false;
        shape |= sliderInt("Experts", "experts", s.experts, 1, 64);
        shape |= sliderInt("Shared experts", "shared", s.sharedExperts, 0, 4);
        int d = s.dim;
        if (sliderInt("Model width D", "dim", d, 4, 256)) {
            if (s.hidden == 4 * s.dim) s.hidden = 4 * d;  // keep the default ratio
            s.dim = d;
            shape = true;
        }
        shape |= sliderInt("Hidden width H", "hidden", s.hidden, 4, 1024);
        static const Activation acts[] = {Activation::Relu, Activation::Gelu, Activation::Silu, Activation::SwiGlu};
        shape |= combo("Activation", "act", s.activation, acts);
        int seed = static_cast<int>(std::min<uint64_t>(o.seed, 1 << 30));
        if (ImGui::InputInt(label("Seed", "seed"), &seed)) {
            o.seed = static_cast<uint64_t>(std::max(0, seed));
            r.noiseSeed = o.seed;
            shape = true;
        }
        ImGui::EndDisabled();
        if (shape) state.weightsChanged();
    }

    bool changed = false;
    const int E = state.weights().shape.experts;
    if (ImGui::CollapsingHeader(tr("Router"), ImGuiTreeNodeFlags_DefaultOpen)) {
        changed |= sliderInt("Top-k", "k", r.k, 1, std::max(1, E));
        changed |= sliderFloat("Temperature", "temp", r.temperature, 0.0f, 5.0f, "%.2f");
        help("scores = softmax(logits / T). Lower T: sharper (T -> 0 is argmax); higher T: flatter.");
        static const ScoreFn fns[] = {ScoreFn::Softmax, ScoreFn::Sigmoid};
        changed |= combo("Score function", "score", r.score, fns);
        changed |= ImGui::Checkbox(label("Renormalize top-k", "renorm"), &r.renormalize);
        help("on: w = s_e / sum of the k chosen scores; off: w = s_e");
        static const RoutingMode modes[] = {RoutingMode::TokenChoice, RoutingMode::ExpertChoice};
        changed |= combo("Routing", "mode", r.mode, modes);
    }
    if (ImGui::CollapsingHeader(tr("Capacity"), ImGuiTreeNodeFlags_DefaultOpen)) {
        float c = static_cast<float>(r.capacityFactor);
        if (sliderFloat("Capacity factor", "cf", c, 0.0f, 4.0f, c == 0.0f ? "0 (dropless)" : "%.2f")) {
            r.capacityFactor = c;
            changed = true;
        }
        help("capacity = max(ceil(k*T/E * C), min capacity); 0 = dropless");
        changed |= sliderInt("Min capacity", "mincap", r.minCapacity, 0, 64);
        static const Overflow overflows[] = {Overflow::Drop, Overflow::Reroute};
        changed |= combo("Overflow", "overflow", r.overflow, overflows);
        static const DropPriority prios[] = {DropPriority::Position, DropPriority::Score};
        changed |= combo("Drop priority", "prio", r.dropPriority, prios);
    }
    if (ImGui::CollapsingHeader(tr("Noise"))) {
        changed |= ImGui::Checkbox(label("Noisy top-k", "noisy"), &r.noisyTopk);
        help("Shazeer et al. 2017: H = x W_g + N(0,1) * softplus(x W_noise)");
        changed |= sliderFloat("Jitter", "jitter", r.jitter, 0.0f, 0.5f, "%.3f");
        help("Switch Transformer: router input x * U(1 - eps, 1 + eps)");
        int ns = static_cast<int>(std::min<uint64_t>(r.noiseSeed, 1 << 30));
        if (ImGui::InputInt(label("Noise seed", "nseed"), &ns)) {
            r.noiseSeed = static_cast<uint64_t>(std::max(0, ns));
            changed = true;
        }
    }
    if (ImGui::CollapsingHeader(tr("Group-limited routing"))) {
        // Only divisors of E are offered, so the groups always split the experts evenly.
        std::string current = std::to_string(r.groups);
        if (ImGui::BeginCombo(label("Groups", "groups"), current.c_str())) {
            for (int g = 1; g <= E; ++g)
                if (E % g == 0 && ImGui::Selectable(std::to_string(g).c_str(), g == r.groups)) {
                    r.groups = g;
                    r.topkGroups = 0;
                    changed = true;
                }
            ImGui::EndCombo();
        }
        int m = r.topkGroups == 0 ? r.groups : r.topkGroups;
        const int minGroups = std::max(1, (r.k + E / r.groups - 1) / (E / r.groups));
        if (sliderInt("Top groups", "topg", m, minGroups, r.groups)) {
            r.topkGroups = m == r.groups ? 0 : m;
            changed = true;
        }
        static const GroupScore gs[] = {GroupScore::Max, GroupScore::Top2Sum};
        changed |= combo("Group score", "gscore", r.groupScore, gs);
    }
    if (applyOpen) ImGui::SetNextItemOpen(m_parallelOpen, ImGuiCond_Always);
    if (ImGui::CollapsingHeader(tr("Expert parallel"))) {
        ClusterConfig& c = o.cluster;
        if (ImGui::Button("H100 NVLink")) applyTopologyPreset(c, "h100-nvlink"), changed = true;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("8 GPUs a node, 450 GB/s NVLink, 50 GB/s (400 Gb/s) InfiniBand per GPU");
        ImGui::SameLine();
        if (ImGui::Button("PCIe")) applyTopologyPreset(c, "pcie"), changed = true;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("8 GPUs a node on PCIe 4.0 x16 (25 GB/s), 100 Gb/s network");
        changed |= sliderInt("GPUs", "gpus", c.gpus, 1, std::min(64, E + c.replicateHot));
        changed |= sliderInt("GPUs per node", "gpn", c.gpusPerNode, 1, 16);
        static const Placement places[] = {Placement::Contiguous, Placement::RoundRobin, Placement::LoadAware};
        changed |= combo("Placement", "place", c.placement, places);
        if (c.placement == Placement::LoadAware) changed |= sliderInt("Replicas of hot experts", "repl", c.replicateHot, 0, E);
        changed |= sliderInt("Simulated hidden", "simh", c.simHidden, 256, 16384);
        static const SimDtype dtypes[] = {SimDtype::Fp32, SimDtype::Bf16, SimDtype::Fp16, SimDtype::Fp8};
        changed |= combo("Wire dtype", "dtype", c.dtype, dtypes);
        float intra = static_cast<float>(c.intraBwGBps), inter = static_cast<float>(c.interBwGBps);
        float tflops = static_cast<float>(c.gpuTflops);
        if (sliderFloat("NVLink GB/s", "intra", intra, 1, 1000, "%.0f", ImGuiSliderFlags_Logarithmic)) c.intraBwGBps = intra, changed = true;
        if (sliderFloat("Network GB/s", "inter", inter, 1, 1000, "%.1f", ImGuiSliderFlags_Logarithmic)) c.interBwGBps = inter, changed = true;
        if (sliderFloat("GPU TFLOP/s", "tflops", tflops, 1, 2000, "%.0f", ImGuiSliderFlags_Logarithmic)) c.gpuTflops = tflops, changed = true;
        changed |= ImGui::Checkbox(label("One copy per GPU", "dedup"), &c.dedupPerGpu);
        help("a token whose experts share a GPU sends its hidden vector there once");
        int rg = o.routeGroups == "gpus" ? 1 : o.routeGroups == "nodes" ? 2 : 0;
        const char* rgNames[] = {"off", "by GPU", "by node"};
        if (ImGui::Combo(label("Limit routing", "rgroups"), &rg, rgNames, 3)) {
            o.routeGroups = rg == 1 ? "gpus" : rg == 2 ? "nodes" : "";
            if (rg == 0) r.groups = 1, r.topkGroups = 0;
            else r.topkGroups = 1;
            c.placement = rg ? Placement::Contiguous : c.placement;
            changed = true;
        }
        help("DeepSeek-V2/V3: a token may use experts on at most M GPUs (or nodes); set M under Group-limited routing");
    }
    if (ImGui::CollapsingHeader(tr("Compute"), ImGuiTreeNodeFlags_DefaultOpen)) {
        int backend = o.backend == "opencl" ? 1 : 0;
        const char* names[] = {"eigen", "opencl"};
        if (ImGui::Combo(label("Backend", "backend"), &backend, names, 2)) {
            o.backend = names[backend];
            state.backendChanged();
        }
        ImGui::TextWrapped("%s", state.deviceName().c_str());
        if (!state.fallbackReason().empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kWarning));
            ImGui::TextWrapped("OpenCL: %s", state.fallbackReason().c_str());
            ImGui::PopStyleColor();
        }
        ImGui::TextDisabled("%.2f ms", state.lastComputeMs());
    }
    ImGui::PopItemWidth();
    if (changed) state.settingsChanged();
}

} // namespace moe::gui
