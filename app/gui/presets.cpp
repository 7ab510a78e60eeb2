#include "presets.hpp"

namespace moe::gui {
namespace {

void base(Settings& o) {
    o.router = RouterConfig{};
    o.shape.sharedExperts = 0;
    o.weightsPath.clear();
}

} // namespace

const std::vector<Preset>& presets() {
    static const std::vector<Preset> p = {
        {"Seed demo (6 experts, k=2, D=32)", "the tutorial's SimpleMoE: softmax, raw top-k scores, no capacity",
         [](Settings& o) {
             base(o);
             o.shape.experts = 6, o.shape.dim = 32, o.shape.hidden = 128, o.shape.activation = Activation::Relu;
             o.router.k = 2, o.router.renormalize = false, o.router.capacityFactor = 0;
         }},
        {"Switch Transformer (top-1, C=1.25, drop)", "Fedus et al. 2021: top-1, capacity factor 1.25, overflow dropped",
         [](Settings& o) {
             base(o);
             o.shape.experts = 8, o.shape.activation = Activation::Relu;
             o.router.k = 1, o.router.renormalize = false, o.router.capacityFactor = 1.25;
         }},
        {"GShard (top-2, C=2)", "Lepikhin et al. 2020: top-2, normalised gates, capacity factor 2",
         [](Settings& o) {
             base(o);
             o.shape.experts = 8, o.shape.activation = Activation::Relu;
             o.router.k = 2, o.router.capacityFactor = 2.0;
         }},
        {"Mixtral 8x7B (8 experts, top-2, dropless)", "Jiang et al. 2024: 8 SwiGLU experts, top-2 renormalised, no capacity",
         [](Settings& o) {
             base(o);
             o.shape.experts = 8, o.shape.activation = Activation::SwiGlu;
             o.router.k = 2, o.router.capacityFactor = 0;
         }},
        {"DeepSeek-V3 (sigmoid, 1 shared, node-limited)",
         "DeepSeek-AI 2024: sigmoid scores, top-8 of 64 here, 8 groups keep 4 (top2sum), 1 shared, dropless",
         [](Settings& o) {
             base(o);
             o.shape.experts = 64, o.shape.activation = Activation::SwiGlu, o.shape.sharedExperts = 1;
             o.router.k = 8, o.router.score = ScoreFn::Sigmoid, o.router.capacityFactor = 0;
             o.router.groups = 8, o.router.topkGroups = 4, o.router.groupScore = GroupScore::Top2Sum;
         }},
        {"Expert choice (C=1)", "Zhou et al. 2022: each expert picks its top tokens",
         [](Settings& o) {
             base(o);
             o.shape.experts = 8;
             o.router.k = 2, o.router.mode = RoutingMode::ExpertChoice, o.router.capacityFactor = 1.0;
         }},
    };
    return p;
}

const std::vector<PublishedModel>& publishedModels() {
    static const std::vector<PublishedModel> m = {
        {"Mistral 7B (dense)", 7.3, 7.3, 1, 1, "Jiang et al. 2023"},
        {"Mixtral 8x7B", 46.7, 12.9, 8, 2, "Jiang et al. 2024"},
        {"DeepSeek-V3", 671, 37, 256, 8, "DeepSeek-AI 2024"},
        {"DeepSeek-V2", 236, 21, 160, 6, "DeepSeek-AI 2024"},
        {"Qwen1.5-MoE-A2.7B", 14.3, 2.7, 60, 4, "Qwen team 2024"},
    };
    return m;
}

const std::vector<const char*>& exampleSentences() {
    static const std::vector<const char*> s = {
        "MoE是很强大的机制！",
        "这个电影真是太精彩了，演员表演出色！",
        "服务很差，房间也很脏，体验糟糕透顶。",
        "The quick brown fox jumps over the lazy dog.",
        "Mixture of Experts: 混合专家模型 routes each token to k experts.",
        "专家混合模型就像一家医院：分诊台把病人引导到最合适的科室。",
    };
    return s;
}

} // namespace moe::gui
