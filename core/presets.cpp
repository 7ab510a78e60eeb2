#include "presets.hpp"

#include <cmath>
#include <limits>

#include "settings_schema.hpp"

namespace moe {
namespace {

using S = Settings;

const Preset kPresets[] = {
    {"seed-003", "Seed 003: SimpleMoE", "教程 003：SimpleMoE",
     "the tutorial's byte-level demo: ByteEmbedding(32), 6 experts Linear-ReLU-Linear, softmax top-2, raw top-k scores",
     "as written: no capacity (the demo computes every expert and masks)",
     "与原文一致：不设容量（原示例计算全部专家再遮罩）",
     [](S& s) {
         s.shape = {.experts = 6, .dim = 32, .hidden = 128, .sharedExperts = 0, .activation = Activation::Relu};
         s.router.k = 2;
         s.router.renormalize = false;
         s.router.capacityFactor = 0;
     }},
    {"seed-002", "Seed 002: sentence-level sentiment", "教程 002：句子级情感",
     "the tutorial's sentiment example: 4 experts, top-2 of a softmax gate, one gate vector per sentence",
     "random or lesson weights, not a trained sentiment model (the training page trains one)",
     "权重是随机的或课程权重，不是训练好的情感模型（训练页面可以训练一个）",
     [](S& s) {
         s.shape.experts = 4;
         s.router.k = 2;
         s.router.renormalize = false;
         s.router.capacityFactor = 0;
         s.router.level = RouteLevel::Sentence;
         s.text = "这个电影真是太精彩了，演员表演出色！服务很差，房间也很脏，体验糟糕透顶。";
     }},
    {"switch", "Switch Transformer", "Switch Transformer",
     "Fedus, Zoph and Shazeer 2021: top-1 routing, w = s, capacity factor 1.25, overflow dropped, input jitter 0.01",
     "8 experts instead of up to 2048", "8 个专家（原文多达 2048 个）",
     [](S& s) {
         s.router.k = 1;
         s.router.renormalize = false;
         s.router.capacityFactor = 1.25;
         s.router.jitter = 0.01f;
     }},
    {"gshard", "GShard", "GShard",
     "Lepikhin et al. 2020: top-2, normalised gates, random routing of the 2nd expert (keep if 2·w2 > U), capacity "
     "factor 2 per group of tokens",
     "8 experts instead of 2048; 4 groups of tokens instead of one per device",
     "8 个专家（原文 2048 个）；4 个词元组（原文每台设备一组）",
     [](S& s) {
         s.router.k = 2;
         s.router.randomRouting = true;
         s.router.capacityFactor = 2;
         s.router.capacityGroups = 4;
     }},
    {"glam", "GLaM", "GLaM",
     "Du et al. 2022: 64 experts, top-2 (GShard's gating), an MoE layer in every other Transformer layer; 1.2T total, "
     "97B active",
     "one MoE layer (the model alternates dense and MoE layers)", "只显示一个 MoE 层（原模型稠密层与 MoE 层交替）",
     [](S& s) {
         s.shape.experts = 64;
         s.router.k = 2;
         s.router.capacityFactor = 2;
     }},
    {"mixtral", "Mixtral 8x7B", "Mixtral 8x7B",
     "Jiang et al. 2024: 8 SwiGLU experts, top-2 of a softmax gate renormalised, no capacity (dropless)",
     "D = 32 instead of 4096", "D = 32（原文 4096）",
     [](S& s) {
         s.shape.activation = Activation::SwiGlu;
         s.router.k = 2;
         s.router.capacityFactor = 0;
     }},
    {"deepseek-v2", "DeepSeek-V2", "DeepSeek-V2",
     "DeepSeek-AI 2024: 2 shared + 160 routed experts, top-6 with w = s, device-limited routing to M = 3 devices, "
     "token dropping by score at capacity 1, expert/device/communication balance losses",
     "32 routed experts on 8 simulated GPUs (4 each), M = 3",
     "32 个路由专家，分布在 8 个模拟 GPU 上（每个 4 个），M = 3",
     [](S& s) {
         s.shape.experts = 32;
         s.shape.sharedExperts = 2;
         s.shape.activation = Activation::SwiGlu;
         s.router.k = 6;
         s.router.renormalize = false;
         s.router.capacityFactor = 1;
         s.router.dropPriority = DropPriority::Score;
         s.cluster.gpus = 8;
         s.routeGroups = RouteGroups::Gpus;
         s.router.topkGroups = 3;
     }},
    {"deepseek-v3", "DeepSeek-V3", "DeepSeek-V3",
     "DeepSeek-AI 2024: 1 shared + 256 routed experts, top-8 of sigmoid scores renormalised, node-limited routing to 4 "
     "nodes (group score: the sum of the 2 best), the auxiliary-loss-free selection bias, no token dropping",
     "64 routed experts on 64 simulated GPUs in 8 nodes; the bias is zero until trained (training page: the bias "
     "rule)",
     "64 个路由专家，分布在 8 个节点的 64 个模拟 GPU 上；偏置在训练前为零（训练页面：偏置规则）",
     [](S& s) {
         s.shape.experts = 64;
         s.shape.sharedExperts = 1;
         s.shape.activation = Activation::SwiGlu;
         s.router.k = 8;
         s.router.score = ScoreFn::Sigmoid;
         s.router.capacityFactor = 0;
         s.router.groupScore = GroupScore::Top2Sum;
         s.router.topkGroups = 4;
         s.cluster.gpus = 64;
         s.cluster.gpusPerNode = 8;
         s.routeGroups = RouteGroups::Nodes;
     }},
    {"deepspeed-moe", "DeepSpeed-MoE", "DeepSpeed-MoE",
     "Rajbhandari et al. 2022 (seed 004): top-1 gating, capacity factor 1 with min capacity 4, Random Token Selection "
     "(slots in a random order, not by position), input jitter",
     "8 experts instead of 128", "8 个专家（原文 128 个）",
     [](S& s) {
         s.router.k = 1;
         s.router.renormalize = false;
         s.router.capacityFactor = 1;
         s.router.minCapacity = 4;
         s.router.dropPriority = DropPriority::Random;
         s.router.jitter = 0.01f;
     }},
    {"megatron", "Megatron-Core MoE", "Megatron-Core MoE",
     "Megatron-LM's MoE layer (seed 004: \"padding or routing to the next expert\"): top-2, capacity factor 1, tokens "
     "dropped by probability, every expert padded to its capacity",
     "8 experts; --overflow reroute shows the other policy", "8 个专家；--overflow reroute 可查看另一种策略",
     [](S& s) {
         s.router.k = 2;
         s.router.capacityFactor = 1;
         s.router.dropPriority = DropPriority::Score;
         s.router.padToCapacity = true;
     }},
    {"tutel", "Tutel", "Tutel",
     "Hwang et al. 2023: dynamic capacity (the busiest expert's load, here up to factor 2) and the 2D hierarchical "
     "all-to-all (inside the node first, then one message per node)",
     "16 simulated GPUs in 2 nodes", "2 个节点中的 16 个模拟 GPU",
     [](S& s) {
         s.shape.experts = 16;
         s.router.k = 2;
         s.router.capacityFactor = -2;
         s.cluster.gpus = 16;
         s.cluster.allToAll = AllToAll::Hierarchical;
     }},
    {"expert-choice", "Expert choice", "专家选择",
     "Zhou et al. 2022: each expert takes its capacity's best tokens, capacity factor 2 (EC-CF2), so a token may get "
     "any number of experts and no expert overflows",
     "8 experts", "8 个专家",
     [](S& s) {
         s.router.k = 2;
         s.router.mode = RoutingMode::ExpertChoice;
         s.router.capacityFactor = 2;
     }},
};

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

const PublishedModel kModels[] = {
    // sizes in billions of parameters
    {"Mistral 7B (dense)", 7.3, 7.3, 1, 1, "Jiang et al. 2023"},
    {"Switch-C", 1571, kUnknown, 2048, 1, "Fedus et al. 2021 (active size not given)"},
    {"GShard M4 600B", 600, kUnknown, 2048, 2, "Lepikhin et al. 2020 (active size not given)"},
    {"GLaM", 1200, 97, 64, 2, "Du et al. 2022 (96.6B active)"},
    {"Mixtral 8x7B", 46.7, 12.9, 8, 2, "Jiang et al. 2024"},
    {"DeepSpeed-MoE 1.3B+MoE-128", 52, kUnknown, 128, 1, "Rajbhandari et al. 2022 (active size not given)"},
    {"DeepSeek-V2", 236, 21, 160, 6, "DeepSeek-AI 2024"},
    {"DeepSeek-V3", 671, 37, 256, 8, "DeepSeek-AI 2024"},
    {"Qwen1.5-MoE-A2.7B", 14.3, 2.7, 60, 4, "Qwen team 2024"},
    {"GPT-4", kUnknown, kUnknown, 0, 0, "OpenAI 2023: architecture not published"},
};

}  // namespace

const char* const kExamples[] = {
    "MoE是很强大的机制！",
    "这个电影真是太精彩了，演员表演出色！",
    "服务很差，房间也很脏，体验糟糕透顶。",
    "The quick brown fox jumps over the lazy dog.",
    "Mixture of Experts: 混合专家模型 routes each token to k experts.",
    "专家混合模型就像一家医院：分诊台把病人引导到最合适的科室。",
};

std::span<const Preset> presets() { return kPresets; }
std::span<const char* const> exampleSentences() { return kExamples; }
std::span<const PublishedModel> publishedModels() { return kModels; }

const Preset* findPreset(const std::string& name) {
    for (const Preset& p : kPresets)
        if (name == p.name) return &p;
    return nullptr;
}

std::string presetNames() {
    std::string out;
    for (const Preset& p : kPresets) (out += out.empty() ? "" : "|") += p.name;
    return out;
}

Settings presetSettings(const Preset& p, const Settings& base) {
    Settings s;
    s.text = base.text;
    s.textFile = base.textFile;
    s.backend = base.backend;
    s.device = base.device;  // a preset is a model, not a device
    p.apply(s);
    resolveSettings(s);
    return s;
}

std::vector<std::string> presetFlags(const Preset& p) {
    const Settings defaults;
    const Settings s = presetSettings(p, defaults);
    std::vector<std::string> out;
    for (const SettingSpec& spec : settingSpecs())
        if (!sameValue(spec, s, defaults)) {
            std::string v = settingText(spec, s);
            if (v.find(' ') != std::string::npos || v.empty()) v = "\"" + v + "\"";
            out.push_back("--" + std::string(spec.flag) + " " + v);
        }
    return out;
}

}  // namespace moe
