#include "settings_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "presets.hpp"
#include "eplb.hpp"
#include "errors.hpp"
#include "input_limits.hpp"

namespace moe {
namespace {

using json = nlohmann::json;

// ---- reading and writing a field through a chain of member pointers ----

template <auto... Members>
auto& field(Settings& s) {
    return (s.*....*Members);
}
template <auto... Members>
const auto& field(const Settings& s) {
    return (s.*....*Members);
}

// Floats as the shortest decimal that reads back as the same float: 0.1f is "0.1".
json shortFloat(float v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

template <typename T>
json toJson(const T& v) {
    if constexpr (std::is_enum_v<T>)
        return std::string(toString(v));
    else if constexpr (std::is_same_v<T, float>)
        return shortFloat(v);
    else if constexpr (std::is_same_v<T, std::string>)
        return v.empty() ? json(nullptr) : json(v);
    else if constexpr (std::is_same_v<T, std::vector<float>>) {
        json a = json::array();
        for (float f : v) a.push_back(shortFloat(f));
        return a;
    } else
        return v;
}

template <typename T>
void fromJson(const json& j, T& out) {
    if constexpr (std::is_enum_v<T>)
        out = parseEnum<T>(j.get<std::string>(), "value");
    else if constexpr (std::is_same_v<T, float>)
        out = static_cast<float>(j.get<double>());
    else if constexpr (std::is_same_v<T, std::string>)
        out = j.is_null() ? std::string() : j.get<std::string>();
    else if constexpr (std::is_same_v<T, std::vector<float>>) {
        out.clear();
        if (!j.is_null())
            for (const auto& x : j) out.push_back(static_cast<float>(x.get<double>()));
    } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double>)
        out = j.get<T>();
    else
        out = static_cast<T>(j.get<double>());  // integers: the kind check made it integral and in range
}

template <auto... Members>
json getField(const Settings& s) {
    return toJson(field<Members...>(s));
}
template <auto... Members>
void setField(Settings& s, const json& v) {
    fromJson(v, field<Members...>(s));
}

#define FIELD(...) .get = getField<__VA_ARGS__>, .set = setField<__VA_ARGS__>

// A range that does not depend on the other settings. A lambda, not a template over
// double bounds: clang before 18 has no floating-point template parameters.
#define FIXED_RANGE(lo, hi) [](const Settings&) { return SettingRange{double(lo), double(hi)}; }
template <typename Enum>
constexpr std::span<const std::string_view> choicesOf() {
    return EnumNames<Enum>::names;
}

constexpr double kMaxSeed = 9223372036854775807.0;  // INT64_MAX, rounded up by the double

using S = Settings;
using R = RouterConfig;
using M = ModelShape;
using C = ClusterConfig;

int experts(const Settings& s) { return s.shape.experts; }
int keptGroupExperts(const Settings& s) {
    const RouterConfig& r = s.router;
    if (r.groups < 1 || s.shape.experts % r.groups != 0) return s.shape.experts;
    return (r.topkGroups == 0 ? r.groups : r.topkGroups) * (s.shape.experts / r.groups);
}

// The table. Order matters: a setting's range may use those before it (k uses E),
// derived defaults follow the settings they derive from, and validation stops at the
// first failure in this order.
const SettingSpec kSpecs[] = {
    // ---- input ----
    {.key = "text",
     .flag = "text",
     .kind = SettingKind::Text,
     .group = SettingGroup::Input,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::None,
     .label = "Text",
     .help = "input text; every byte of it is one token (UTF-8 or not)",
     .helpZh = "输入文本；它的每个字节（无论是否为 UTF-8）都是一个词元",
     FIELD(&S::text)},
    {.key = "text_file",
     .flag = "text-file",
     .kind = SettingKind::Text,
     .group = SettingGroup::Input,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::None,
     .label = "Text file",
     .help = "read the input text from this file",
     .helpZh = "从该文件读取输入文本",
     FIELD(&S::textFile)},
    // ---- model ----
    {.key = "experts",
     .flag = "experts",
     .kind = SettingKind::Int,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Slider,
     .label = "Experts",
     .help = "routed experts E",
     .helpZh = "路由专家数 E",
     .range = FIXED_RANGE(1, 4096),
     .slider = {1, 64},
     FIELD(&S::shape, &M::experts)},
    {.key = "dim",
     .flag = "dim",
     .kind = SettingKind::Int,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Slider,
     .label = "Model width D",
     .help = "embedding and model width D",
     .helpZh = "嵌入与模型宽度 D",
     .range = FIXED_RANGE(1, 65536),
     .slider = {4, 256},
     FIELD(&S::shape, &M::dim)},
    {.key = "hidden",
     .flag = "hidden",
     .kind = SettingKind::Int,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Slider,
     .label = "Hidden width H",
     .help = "expert FFN hidden width H (default 4·D)",
     .helpZh = "专家前馈网络隐藏宽度 H（默认 4·D）",
     .range = FIXED_RANGE(1, 262144),
     .slider = {4, 1024},
     FIELD(&S::shape, &M::hidden),
     .derived = [](const Settings& s) { return json(4 * s.shape.dim); }},
    {.key = "activation",
     .flag = "activation",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Combo,
     .label = "Activation",
     .help = "expert FFN activation (gelu: the erf form; swiglu: Shazeer 2020)",
     .helpZh = "专家前馈网络的激活函数（gelu 为 erf 形式；swiglu 见 Shazeer 2020）",
     .choices = choicesOf<Activation>(),
     FIELD(&S::shape, &M::activation)},
    {.key = "shared_experts",
     .flag = "shared-experts",
     .kind = SettingKind::Int,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Slider,
     .label = "Shared experts",
     .help = "always-active experts, added unweighted (DeepSeekMoE)",
     .helpZh = "始终激活的共享专家，不加权直接相加（DeepSeekMoE）",
     .range = FIXED_RANGE(0, 64),
     .slider = {0, 4},
     FIELD(&S::shape, &M::sharedExperts)},
    {.key = "seed",
     .flag = "seed",
     .kind = SettingKind::Int,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::Number,
     .label = "Seed",
     .help = "seed of the weight initialisation",
     .helpZh = "权重初始化的随机种子",
     .range = FIXED_RANGE(0, kMaxSeed),
     .slider = {0, 1e9},
     FIELD(&S::seed)},
    {.key = "weights",
     .flag = "weights",
     .kind = SettingKind::Text,
     .group = SettingGroup::Model,
     .effect = SettingEffect::Weights,
     .widget = SettingWidget::None,
     .label = "Weights",
     .help = "load weights (safetensors); the shape then comes from the file",
     .helpZh = "载入权重（safetensors）；形状随之由文件决定",
     FIELD(&S::weightsPath)},
    // ---- router ----
    {.key = "k",
     .flag = "k",
     .kind = SettingKind::Int,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Top-k",
     .help = "experts per token, 1..E",
     .helpZh = "每个词元选择的专家数，1..E",
     .range =
         [](const Settings& s) {
             return SettingRange{1, double(experts(s))};
         },
     .slider = {1, 4096},
     FIELD(&S::router, &R::k)},
    {.key = "score",
     .flag = "score",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Score function",
     .help = "per-expert score: softmax over experts, or an independent sigmoid (DeepSeek-V3)",
     .helpZh = "每个专家的分数：对专家做 softmax，或各自独立的 sigmoid（DeepSeek-V3）",
     .choices = choicesOf<ScoreFn>(),
     FIELD(&S::router, &R::score)},
    {.key = "temperature",
     .flag = "temperature",
     .kind = SettingKind::Float,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Temperature",
     .help = "scores = f(logits / T); lower T is sharper (T -> 0 approaches argmax), 0 = argmax",
     .helpZh = "分数 = f(logits / T)；T 越低分布越尖锐（T→0 趋于 argmax），0 即 argmax",
     .range = FIXED_RANGE(0, 1e6),
     .slider = {0, 5},
     .zeroMeans = "argmax",
     FIELD(&S::router, &R::temperature)},
    {.key = "renormalize",
     .flag = "renormalize",
     .kind = SettingKind::Bool,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Checkbox,
     .label = "Renormalize top-k",
     .help = "on: w = s / sum of the k chosen scores (GShard, Mixtral); off: w = s (Switch)",
     .helpZh = "开：w = s / 所选 k 个分数之和（GShard、Mixtral）；关：w = s（Switch）",
     FIELD(&S::router, &R::renormalize)},
    {.key = "routing",
     .flag = "routing",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Routing",
     .help = "token-choice: each token picks k experts; expert-choice: each expert picks its tokens (Zhou et al. 2022)",
     .helpZh = "词元选择：每个词元挑 k 个专家；专家选择：每个专家挑自己的词元（Zhou 等 2022）",
     .choices = choicesOf<RoutingMode>(),
     FIELD(&S::router, &R::mode)},
    {.key = "random_routing",
     .flag = "random-routing",
     .kind = SettingKind::Bool,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Checkbox,
     .label = "Random routing",
     .help = "GShard: a token's 2nd choice is dispatched only when 2·w2 > U(0,1), drawn from the noise seed",
     .helpZh = "GShard：只有当 2·w2 > U(0,1) 时才分发词元的第二选择，随机数来自噪声种子",
     FIELD(&S::router, &R::randomRouting)},
    {.key = "route_level",
     .flag = "route-level",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Router,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Route by",
     .help = "token: every byte is routed; sentence: a sentence's mean embedding is routed and all its bytes follow",
     .helpZh = "token：每个字节各自路由；sentence：对句子的平均嵌入路由，句中所有字节都跟随它",
     .choices = choicesOf<RouteLevel>(),
     FIELD(&S::router, &R::level)},
    // ---- capacity ----
    {.key = "capacity_factor",
     .flag = "capacity-factor",
     .kind = SettingKind::Float,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Capacity factor",
     .help = "capacity = max(ceil(k·N/E·capacity factor), min capacity), N tokens; 0 = dropless; a negative capacity "
             "factor f: Tutel's dynamic capacity, the busiest expert's load up to ceil(k·N/E·|f|)",
     .helpZh =
         "容量 = max(ceil(k·N/E·容量因子), 最小容量)，N 为词元数；0 表示不丢弃；容量因子 f 为负数：Tutel 的动态容量，"
         "取最忙专家的负载，至多 ceil(k·N/E·|f|)",
     .range = FIXED_RANGE(-1e6, 1e6),
     .slider = {-4, 4},
     .zeroMeans = "dropless",
     .negativeMeans = "dynamic \u2264",
     FIELD(&S::router, &R::capacityFactor),
     .check = [](const Settings& s) -> std::string {
         if (s.router.capacityFactor < 0 && s.router.mode == RoutingMode::ExpertChoice)
             return "dynamic capacity (a negative factor) needs token-choice routing";
         return "";
     },
     .repair = [](Settings& s) { s.router.capacityFactor = std::abs(s.router.capacityFactor); }},
    {.key = "min_capacity",
     .flag = "min-capacity",
     .kind = SettingKind::Int,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Min capacity",
     .help = "lower bound on the capacity (DeepSpeed-MoE's min_capacity)",
     .helpZh = "容量的下限（DeepSpeed-MoE 的 min_capacity）",
     .range = FIXED_RANGE(0, 1e9),
     .slider = {0, 64},
     FIELD(&S::router, &R::minCapacity)},
    {.key = "capacity_groups",
     .flag = "capacity-groups",
     .kind = SettingKind::Int,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Capacity groups",
     .help = "GShard: the tokens split into G groups of consecutive tokens, each with its own capacity per expert",
     .helpZh = "GShard：词元按顺序分成 G 组，每组对每个专家有各自的容量",
     .range = FIXED_RANGE(1, 64),
     .slider = {1, 16},
     FIELD(&S::router, &R::capacityGroups),
     .check = [](const Settings& s) -> std::string {
         if (s.router.capacityGroups <= 1) return "";
         if (s.router.mode != RoutingMode::TokenChoice) return "needs --routing token-choice";
         if (s.router.capacityFactor <= 0) return "needs a fixed capacity (--capacity-factor > 0)";
         return "";
     }},
    {.key = "overflow",
     .flag = "overflow",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Overflow",
     .help = "an assignment over capacity is dropped, or rerouted to the token's next-best expert with room",
     .helpZh = "超出容量的分配被丢弃，或改派给该词元下一个仍有空位的最佳专家",
     .choices = choicesOf<Overflow>(),
     FIELD(&S::router, &R::overflow)},
    {.key = "drop_priority",
     .flag = "drop-priority",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Drop priority",
     .help = "within one choice rank, who gets a slot first: earlier position, higher score, or a random order "
             "(DeepSpeed-MoE's Random Token Selection)",
     .helpZh = "同一选择名次内谁先得到位置：位置靠前者、分数更高者，或随机顺序（DeepSpeed-MoE 的随机词元选择）",
     .choices = choicesOf<DropPriority>(),
     FIELD(&S::router, &R::dropPriority)},
    {.key = "pad_to_capacity",
     .flag = "pad-to-capacity",
     .kind = SettingKind::Bool,
     .group = SettingGroup::Capacity,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Checkbox,
     .label = "Pad to capacity",
     .help =
         "Megatron: every expert computes and receives a full capacity of slots; FLOPs and traffic count the padding",
     .helpZh = "Megatron：每个专家都计算并接收满容量的位置；FLOPs 与通信量计入填充部分",
     FIELD(&S::router, &R::padToCapacity)},
    // ---- noise ----
    {.key = "noisy_topk",
     .flag = "noisy-topk",
     .kind = SettingKind::Bool,
     .group = SettingGroup::Noise,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Checkbox,
     .label = "Noisy top-k",
     .help = "Shazeer et al. 2017: H = x·W_g + N(0,1)·softplus(x·W_noise)",
     .helpZh = "Shazeer 等 2017：H = x·W_g + N(0,1)·softplus(x·W_noise)",
     FIELD(&S::router, &R::noisyTopk)},
    {.key = "jitter",
     .flag = "jitter",
     .kind = SettingKind::Float,
     .group = SettingGroup::Noise,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Jitter",
     .help = "Switch Transformer input jitter: the router's input times U(1-eps, 1+eps)",
     .helpZh = "Switch Transformer 输入抖动：路由器输入乘以 U(1-eps, 1+eps)",
     .range = FIXED_RANGE(0, 1),
     .slider = {0, 0.5},
     FIELD(&S::router, &R::jitter)},
    {.key = "noise_seed",
     .flag = "noise-seed",
     .kind = SettingKind::Int,
     .group = SettingGroup::Noise,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Number,
     .label = "Noise seed",
     .help = "seed of noise and jitter (default: the seed)",
     .helpZh = "噪声与抖动的随机种子（默认同随机种子）",
     .range = FIXED_RANGE(0, kMaxSeed),
     .slider = {0, 1e9},
     FIELD(&S::router, &R::noiseSeed),
     .derived = [](const Settings& s) { return json(s.seed); }},
    // ---- group-limited routing ----
    {.key = "groups",
     .flag = "groups",
     .kind = SettingKind::Int,
     .group = SettingGroup::Groups,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Divisors,
     .label = "Groups",
     .help = "expert groups for group-limited routing (must divide E)",
     .helpZh = "分组限制路由的专家分组数（须整除 E）",
     .range =
         [](const Settings& s) {
             return SettingRange{1, double(experts(s))};
         },
     .slider = {1, 4096},
     FIELD(&S::router, &R::groups),
     .check = [](const Settings& s) -> std::string {
         if (s.router.groups >= 1 && s.shape.experts % s.router.groups != 0)
             return "must divide the expert count " + std::to_string(s.shape.experts) + " (got " +
                    std::to_string(s.router.groups) + ")";
         return "";
     },
     .repair =
         [](Settings& s) {
             s.router.groups = 1;
             s.router.topkGroups = 0;
         },
     .onChange = [](Settings& s) { s.router.topkGroups = 0; }},
    {.key = "topk_groups",
     .flag = "topk-groups",
     .kind = SettingKind::Int,
     .group = SettingGroup::Groups,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Top groups",
     .help = "keep each token's best M groups (DeepSeek-V2/V3); 0 = all",
     .helpZh = "每个词元只保留最好的 M 个组（DeepSeek-V2/V3）；0 表示全部",
     .range =
         [](const Settings& s) {
             return SettingRange{0, double(std::max(1, s.router.groups))};
         },
     .slider = {0, 4096},
     .zeroMeans = "all",
     FIELD(&S::router, &R::topkGroups),
     .check = [](const Settings& s) -> std::string {
         if (s.router.mode == RoutingMode::TokenChoice && s.router.k > keptGroupExperts(s))
             return "keeps " + std::to_string(keptGroupExperts(s)) +
                    " experts, fewer than k = " + std::to_string(s.router.k);
         return "";
     },
     .repair = [](Settings& s) { s.router.topkGroups = 0; }},
    {.key = "group_score",
     .flag = "group-score",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Groups,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Group score",
     .help = "a group's score: its best key (max, DeepSeek-V2) or its two best summed (top2sum, V3)",
     .helpZh = "组的分数：组内最高键值（max，DeepSeek-V2）或最高两个之和（top2sum，V3）",
     .choices = choicesOf<GroupScore>(),
     FIELD(&S::router, &R::groupScore)},
    {.key = "expert_bias",
     .flag = "expert-bias",
     .kind = SettingKind::FloatList,
     .group = SettingGroup::Groups,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::None,
     .label = "Expert bias",
     .help = "per-expert selection bias b0,b1,... (DeepSeek-V3); empty = the weights' (zeros)",
     .helpZh = "每个专家的选择偏置 b0,b1,...（DeepSeek-V3）；为空时用权重中的（零）",
     FIELD(&S::router, &R::expertBias),
     .check = [](const Settings& s) -> std::string {
         const auto& b = s.router.expertBias;
         if (!b.empty() && static_cast<int>(b.size()) != s.shape.experts)
             return "needs one value per expert, " + std::to_string(s.shape.experts) + " (got " +
                    std::to_string(b.size()) + ")";
         for (float v : b)
             if (!std::isfinite(v)) return "values must be finite";
         return "";
     },
     .repair = [](Settings& s) { s.router.expertBias.clear(); }},
    // ---- expert parallel ----
    {.key = "gpus",
     .flag = "gpus",
     .kind = SettingKind::Int,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "GPUs",
     .help = "simulated GPUs; experts and tokens are spread over them (at most E plus replicas)",
     .helpZh = "模拟的 GPU 数；专家与词元分布在它们上面（至多 E 加副本数）",
     .range =
         [](const Settings& s) {
             return SettingRange{1, double(std::min(4096, experts(s) + s.cluster.replicateHot))};
         },
     .slider = {1, 64},
     FIELD(&S::cluster, &C::gpus)},
    {.key = "gpus_per_node",
     .flag = "gpus-per-node",
     .kind = SettingKind::Int,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "GPUs per node",
     .help = "GPUs in one node (NVLink inside, network between)",
     .helpZh = "每个节点的 GPU 数（节点内 NVLink，节点间网络）",
     .range = FIXED_RANGE(1, 4096),
     .slider = {1, 16},
     FIELD(&S::cluster, &C::gpusPerNode)},
    {.key = "placement",
     .flag = "placement",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Placement",
     .help = "contiguous: expert e on GPU floor(e·G/E); round-robin: e mod G; load-aware: greedy by load; "
             "eplb: DeepSeek's expert-parallel load balancer",
     .helpZh = "连续：专家 e 在 GPU floor(e·G/E)；轮转：e mod G；按负载：按负载贪心放置；"
               "eplb：DeepSeek 的专家并行负载均衡器",
     .choices = choicesOf<Placement>(),
     FIELD(&S::cluster, &C::placement)},
    {.key = "replicate",
     .flag = "replicate",
     .kind = SettingKind::Int,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Replicas of hot experts",
     .help = "load-aware: the R hottest experts get a second replica; eplb: R extra replicas, E + R a multiple of G",
     .helpZh = "按负载放置：最热的 R 个专家各多一个副本；eplb：共多 R 个副本，E + R 须是 G 的倍数",
     .range =
         [](const Settings& s) {
             return SettingRange{0, double(experts(s))};
         },
     .slider = {0, 4096},
     FIELD(&S::cluster, &C::replicateHot),
     .check = [](const Settings& s) -> std::string {
         return s.cluster.placement == Placement::Eplb ? eplbProblem(s.cluster, s.shape.experts) : "";
     },
     .repair = [](Settings& s) { fitEplbReplicas(s.cluster, s.shape.experts); }},
    {.key = "route_groups",
     .flag = "route-groups",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Limit routing",
     .help = "group-limited routing with one group per GPU (DeepSeek-V2) or per node (V3); set M with topk-groups",
     .helpZh = "按 GPU（DeepSeek-V2）或按节点（V3）分组的限制路由；用 topk-groups 设 M",
     .choices = choicesOf<RouteGroups>(),
     FIELD(&S::routeGroups),
     .check = [](const Settings& s) -> std::string {
         if (s.routeGroups == RouteGroups::Off) return "";
         if (s.cluster.placement != Placement::Contiguous)
             return "needs --placement contiguous, so that a group of experts is a device";
         const int groups = routeGroupCount(s);
         if (s.shape.experts % groups != 0)
             return "needs the " + std::to_string(groups) + " " + std::string(toString(s.routeGroups)) +
                    " to divide the expert count " + std::to_string(s.shape.experts);
         return "";
     },
     .repair =
         [](Settings& s) {
             s.routeGroups = RouteGroups::Off;
             s.router.groups = 1;
             s.router.topkGroups = 0;
         },
     .onChange =
         [](Settings& s) {
             if (s.routeGroups == RouteGroups::Off) {
                 s.router.groups = 1;
                 s.router.topkGroups = 0;
             } else {
                 s.cluster.placement = Placement::Contiguous;
                 s.router.topkGroups = 1;
             }
         }},
    {.key = "sim_hidden",
     .flag = "sim-hidden",
     .kind = SettingKind::Int,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Simulated hidden",
     .help = "hidden size of the simulated model (bytes on the wire use this, not --dim)",
     .helpZh = "模拟模型的隐藏维度（通信字节按它计算，而非 --dim）",
     .range = FIXED_RANGE(1, 1 << 20),
     .slider = {256, 16384},
     FIELD(&S::cluster, &C::simHidden)},
    {.key = "sim_ffn_hidden",
     .flag = "sim-ffn-hidden",
     .kind = SettingKind::Int,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::None,
     .label = "Simulated FFN width",
     .help = "expert FFN width of the simulated model, for compute time (default 4·sim-hidden)",
     .helpZh = "模拟模型的专家前馈宽度，用于计算时间（默认 4·sim-hidden）",
     .range = FIXED_RANGE(0, 1 << 22),
     .slider = {0, 65536},
     .zeroMeans = "4 x hidden",
     FIELD(&S::cluster, &C::simFfnHidden),
     .derived = [](const Settings& s) { return json(4 * s.cluster.simHidden); }},
    {.key = "sim_dtype",
     .flag = "sim-dtype",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "Wire dtype",
     .help = "element size on the wire: fp32 4, bf16 and fp16 2, fp8 1 byte",
     .helpZh = "通信时每个元素的大小：fp32 4 字节，bf16/fp16 2，fp8 1",
     .choices = choicesOf<SimDtype>(),
     FIELD(&S::cluster, &C::dtype)},
    {.key = "intra_bw",
     .flag = "intra-bw",
     .kind = SettingKind::Float,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::LogSlider,
     .label = "NVLink GB/s",
     .help = "per-GPU, per-direction bandwidth inside a node, GB/s",
     .helpZh = "节点内每个 GPU 每个方向的带宽，GB/s",
     .range = FIXED_RANGE(1e-3, 1e6),
     .slider = {1, 1000},
     FIELD(&S::cluster, &C::intraBwGBps)},
    {.key = "inter_bw",
     .flag = "inter-bw",
     .kind = SettingKind::Float,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::LogSlider,
     .label = "Network GB/s",
     .help = "per-GPU, per-direction bandwidth between nodes, GB/s",
     .helpZh = "节点间每个 GPU 每个方向的带宽，GB/s",
     .range = FIXED_RANGE(1e-3, 1e6),
     .slider = {1, 1000},
     FIELD(&S::cluster, &C::interBwGBps)},
    {.key = "intra_latency_us",
     .flag = "intra-latency-us",
     .kind = SettingKind::Float,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "NVLink latency µs",
     .help = "latency of one message inside a node, microseconds",
     .helpZh = "节点内一条消息的延迟，微秒",
     .range = FIXED_RANGE(0, 1e6),
     .slider = {0, 50},
     FIELD(&S::cluster, &C::intraLatencyUs)},
    {.key = "inter_latency_us",
     .flag = "inter-latency-us",
     .kind = SettingKind::Float,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Slider,
     .label = "Network latency µs",
     .help = "latency of one message between nodes, microseconds",
     .helpZh = "节点间一条消息的延迟，微秒",
     .range = FIXED_RANGE(0, 1e6),
     .slider = {0, 50},
     FIELD(&S::cluster, &C::interLatencyUs)},
    {.key = "gpu_tflops",
     .flag = "gpu-tflops",
     .kind = SettingKind::Float,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::LogSlider,
     .label = "GPU TFLOP/s",
     .help = "sustained expert-FFN throughput of one GPU, TFLOP/s",
     .helpZh = "单个 GPU 持续的专家前馈吞吐，TFLOP/s",
     .range = FIXED_RANGE(1e-3, 1e6),
     .slider = {1, 2000},
     FIELD(&S::cluster, &C::gpuTflops)},
    {.key = "all_to_all",
     .flag = "all-to-all",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Combo,
     .label = "All-to-all",
     .help = "flat: every GPU sends to every other; hierarchical: Tutel's 2D, first inside the node then one message "
             "per node (both are reported; this one sets the step's time)",
     .helpZh = "flat：每个 GPU 直接发给其他所有 GPU；hierarchical：Tutel 的二维方式，先节点内，再每个节点一条消息"
               "（两者都会报告；这里选的决定步骤时间）",
     .choices = choicesOf<AllToAll>(),
     FIELD(&S::cluster, &C::allToAll)},
    {.key = "dedup",
     .flag = "dedup",
     .kind = SettingKind::Bool,
     .group = SettingGroup::Parallel,
     .effect = SettingEffect::Route,
     .widget = SettingWidget::Checkbox,
     .label = "One copy per GPU",
     .help = "send a token's hidden vector once per destination GPU even when several of its experts live there",
     .helpZh = "即使词元的多个专家在同一 GPU 上，也只向该 GPU 发送一次隐藏向量",
     FIELD(&S::cluster, &C::dedupPerGpu)},
    // ---- compute ----
    {.key = "backend",
     .flag = "backend",
     .kind = SettingKind::Choice,
     .group = SettingGroup::Compute,
     .effect = SettingEffect::Backend,
     .widget = SettingWidget::Combo,
     .label = "Backend",
     .help = "eigen (the CPU reference), opencl, or auto: the first GPU, else a CPU OpenCL device, else eigen",
     .helpZh = "eigen（CPU 参考实现）、opencl，或 auto：先选 GPU，再选 CPU 上的 OpenCL，最后 eigen",
     .choices = choicesOf<BackendKind>(),
     FIELD(&S::backend)},
    {.key = "device",
     .flag = "device",
     .kind = SettingKind::Text,
     .group = SettingGroup::Compute,
     .effect = SettingEffect::Backend,
     .widget = SettingWidget::None,
     .label = "Device",
     .help = "OpenCL device: a substring of the platform or device name",
     .helpZh = "OpenCL 设备：平台或设备名称的一部分",
     FIELD(&S::device)},
};

#undef FIELD

std::string formatNumber(double v, SettingKind kind) {
    char buf[40];
    if (kind == SettingKind::Int) {
        if (v >= 9.2e18) return "9223372036854775807";
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else {
        std::snprintf(buf, sizeof buf, "%g", v);
    }
    return buf;
}

std::string rangeText(const SettingSpec& spec, SettingRange r) {
    std::string s = formatNumber(r.lo, spec.kind) + ".." + formatNumber(r.hi, spec.kind);
    if (spec.zeroMeans && r.lo <= 0) s += std::string(" (0 = ") + spec.zeroMeans + ")";
    return s;
}

double numberOf(const json& v) { return v.get<double>(); }

// The problem with one setting's value in `s`, or "".
std::string problemWith(const SettingSpec& spec, const Settings& s) {
    if (spec.range) {
        const SettingRange r = spec.range(s);
        const double v = numberOf(spec.get(s));
        if (!(v >= r.lo && v <= r.hi))
            return "must be in " + rangeText(spec, r) + " (got " + formatNumber(v, spec.kind) + ")";
    }
    return spec.check ? spec.check(s) : "";
}

bool followsDerived(const SettingSpec& spec, const Settings& s) {
    return spec.derived && spec.get(s) == spec.derived(s);
}

}  // namespace

std::span<const SettingSpec> settingSpecs() { return kSpecs; }

const SettingSpec* findSetting(std::string_view key) {
    for (const SettingSpec& s : kSpecs)
        if (s.key == key) return &s;
    return nullptr;
}

const SettingSpec* findSettingByFlag(std::string_view flag) {
    for (const SettingSpec& s : kSpecs)
        if (s.flag == flag) return &s;
    return nullptr;
}

const char* groupName(SettingGroup g) {
    switch (g) {
        case SettingGroup::Input:
            return "Input";
        case SettingGroup::Model:
            return "Model";
        case SettingGroup::Router:
            return "Router";
        case SettingGroup::Capacity:
            return "Capacity";
        case SettingGroup::Noise:
            return "Noise";
        case SettingGroup::Groups:
            return "Group-limited routing";
        case SettingGroup::Parallel:
            return "Expert parallel";
        case SettingGroup::Compute:
            return "Compute";
    }
    return "";
}

std::set<std::string> settingFlags() {
    std::set<std::string> f = {"topology", "preset"};
    for (const SettingSpec& s : kSpecs) f.insert(std::string(s.flag));
    return f;
}

SettingNamer flagNamer() {
    return [](const SettingSpec& s) { return "--" + std::string(s.flag); };
}

SettingNamer keyNamer(const std::string& source) {
    return [source](const SettingSpec& s) { return source + ": " + std::string(s.key); };
}

json settingValue(const SettingSpec& spec, const Settings& s) { return spec.get(s); }

void setSetting(const SettingSpec& spec, Settings& s, const json& v, const std::string& name) {
    const auto bad = [&](const std::string& what) { throw InputError(name, what); };
    switch (spec.kind) {
        case SettingKind::Int: {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || std::floor(v.get<double>()) != v.get<double>())
                bad("must be an integer (got " + v.dump() + ")");
            // The stored type's limits here; the setting's own range is validateSettings' job.
            const bool wide = spec.get(s).is_number_unsigned();  // 64-bit seeds
            const double d = v.get<double>(), lo = wide ? 0.0 : double(INT_MIN), hi = wide ? kMaxSeed : double(INT_MAX);
            if (d < lo || d > hi) bad("must be in " + rangeText(spec, spec.range(s)) + " (got " + v.dump() + ")");
            break;
        }
        case SettingKind::Float:
            if (!v.is_number() || !std::isfinite(v.get<double>())) bad("must be a number (got " + v.dump() + ")");
            if (std::abs(v.get<double>()) > FLT_MAX)
                bad("must be in " + rangeText(spec, spec.range(s)) + " (got " + v.dump() + ")");
            break;
        case SettingKind::Bool:
            if (!v.is_boolean()) bad("must be true or false (got " + v.dump() + ")");
            break;
        case SettingKind::Choice: {
            const std::string got = v.is_string() ? v.get<std::string>() : v.dump();
            if (!v.is_string() || std::find(spec.choices.begin(), spec.choices.end(), got) == spec.choices.end())
                throwBadChoice(name, got, spec.choices.data(), spec.choices.size());
            break;
        }
        case SettingKind::Text:
            if (!v.is_string() && !v.is_null()) bad("must be a string (got " + v.dump() + ")");
            break;
        case SettingKind::FloatList:
            if (!v.is_null() && !v.is_array()) bad("must be a list of numbers (got " + v.dump() + ")");
            if (v.is_array())
                for (const auto& x : v)
                    if (!x.is_number() || !std::isfinite(x.get<double>()) || std::abs(x.get<double>()) > FLT_MAX)
                        bad("must be a list of finite numbers (got " + x.dump() + ")");
            break;
    }
    spec.set(s, v);
}

void setSettingFromText(const SettingSpec& spec, Settings& s, const std::string& text, const std::string& name) {
    switch (spec.kind) {
        case SettingKind::Int: {
            int64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [p, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || ec != std::errc() || p != end)
                throw InputError(name,
                                 "must be an integer in " + rangeText(spec, spec.range(s)) + " (got '" + text + "')");
            setSetting(spec, s, json(v), name);
            return;
        }
        case SettingKind::Float: {
            char* end = nullptr;
            const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || std::abs(v) > FLT_MAX)
                throw InputError(name, "must be a number" +
                                           (spec.range ? " in " + rangeText(spec, spec.range(s)) : "") + " (got '" +
                                           text + "')");
            return setSetting(spec, s, json(v), name);
        }
        case SettingKind::Bool:
            if (text == "on" || text == "true" || text == "1") return setSetting(spec, s, json(true), name);
            if (text == "off" || text == "false" || text == "0") return setSetting(spec, s, json(false), name);
            throw InputError(name, "must be on|off (got '" + text + "')");
        case SettingKind::Choice:
        case SettingKind::Text:
            return setSetting(spec, s, json(text), name);
        case SettingKind::FloatList: {
            json list = json::array();
            std::stringstream ss(text);
            std::string item;
            while (std::getline(ss, item, ',')) {
                char* end = nullptr;
                const double v = item.empty() ? NAN : std::strtod(item.c_str(), &end);
                if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(v) || std::abs(v) > FLT_MAX)
                    throw InputError(name, "must be numbers separated by commas (got '" + item + "')");
                list.push_back(v);
            }
            return setSetting(spec, s, list, name);
        }
    }
}

std::string settingText(const SettingSpec& spec, const Settings& s) {
    const json v = spec.get(s);
    switch (spec.kind) {
        case SettingKind::Bool:
            return v.get<bool>() ? "on" : "off";
        case SettingKind::Choice:
        case SettingKind::Text:
            return v.is_null() ? "" : v.get<std::string>();
        case SettingKind::FloatList: {
            std::string out;
            for (const auto& x : v) (out += out.empty() ? "" : ",") += x.dump();
            return out;
        }
        default:
            return v.dump();
    }
}

bool sameValue(const SettingSpec& spec, const Settings& a, const Settings& b) { return spec.get(a) == spec.get(b); }

void applyFlags(Settings& s, const Args& a) {
    if (auto name = a.str("preset")) {  // a published system's settings; the other flags override them
        const Preset* p = findPreset(*name);
        if (!p) throw InputError("--preset", "must be one of " + presetNames() + " (got '" + *name + "')");
        s = presetSettings(*p, s);
    }
    if (auto t = a.str("topology")) applyTopologyPreset(s.cluster, *t);
    const Settings base = s;
    for (const SettingSpec& spec : kSpecs)
        if (auto v = a.str(std::string(spec.flag))) setSettingFromText(spec, s, *v, "--" + std::string(spec.flag));
    for (const SettingSpec& spec : kSpecs)
        if (!a.has(std::string(spec.flag)) && followsDerived(spec, base)) spec.set(s, spec.derived(s));
    if (a.str("text") && a.str("text-file")) throw InputError("--text", "give --text or --text-file, not both");
    if (a.str("text")) s.textFile.clear();
    if (a.str("text-file")) {
        try {
            s.text = readFile(s.textFile);
        } catch (const InputError& e) {
            throw InputError("--text-file", e.what());
        }
    }
}

Settings settingsFromFlags(const Args& a) {
    Settings s;
    applyFlags(s, a);
    if (s.weightsPath.empty()) {
        resolveSettings(s);
        validateSettings(s);
    }
    return s;
}

namespace {
// The shipped checkpoint's settings (its shape read from the file), or none without a data folder.
const std::optional<Settings>& shippedModelSettings() {
    static const std::optional<Settings> shipped = []() -> std::optional<Settings> {
        Settings s;
        useShippedModel(s);
        if (s.weightsPath.empty()) return std::nullopt;
        try {
            makeWeights(s);
            return s;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }();
    return shipped;
}
}  // namespace

bool setsModel(const Args& a) {
    const Preset* preset = a.str("preset") ? findPreset(*a.str("preset")) : nullptr;
    const Settings presetOnly = preset ? presetSettings(*preset) : Settings{}, defaults;
    Settings given = presetOnly;
    applyFlags(given, a);
    // A flag that names the shipped model's own value (--experts 8 on the 8-expert
    // checkpoint) keeps the trained weights: only another shape, seed or file replaces them.
    const std::optional<Settings>& shipped = shippedModelSettings();
    return std::any_of(std::begin(kSpecs), std::end(kSpecs), [&](const SettingSpec& s) {
        const bool touched = a.has(std::string(s.flag)) || !sameValue(s, presetOnly, defaults);
        return s.effect == SettingEffect::Weights && touched && !(shipped && sameValue(s, given, *shipped));
    });
}

void useShippedModel(Settings& s) {
    try {
        s.weightsPath = dataPath("weights/lesson.safetensors");
    } catch (const InputError&) {
        // no data folder: random weights from the seed
    }
}

void resolveSettings(Settings& s) {
    applyRouteGroups(s);
    s.cluster.expertGroups = s.router.groups;  // EPLB packs the router's groups onto nodes
}

void validateSettings(const Settings& s, const SettingNamer& name) {
    for (const SettingSpec& spec : kSpecs)
        if (const std::string p = problemWith(spec, s); !p.empty()) throw InputError(name(spec), p);
}

std::string settingsProblem(const Settings& s) {
    try {
        validateSettings(s);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

void clampSettings(Settings& s) {
    for (const SettingSpec& spec : kSpecs) {
        if (spec.range) {
            const SettingRange r = spec.range(s);
            const double v = numberOf(spec.get(s));
            if (!(v >= r.lo && v <= r.hi)) spec.set(s, json(std::clamp(std::isfinite(v) ? v : r.lo, r.lo, r.hi)));
        }
        if (spec.check && !spec.check(s).empty() && spec.repair) spec.repair(s);
    }
    resolveSettings(s);
}

void settingChanged(const SettingSpec& spec, const Settings& before, Settings& s) {
    for (const SettingSpec& other : kSpecs)
        if (&other != &spec && followsDerived(other, before) && sameValue(other, before, s))
            other.set(s, other.derived(s));
    if (spec.onChange) spec.onChange(s);
    resolveSettings(s);
}

json configJson(const Settings& s, const std::string& backend, const std::string& device,
                const std::string& fallbackReason, const std::string& fallback) {
    json c = json::object();
    for (const SettingSpec& spec : kSpecs) c[std::string(spec.key)] = spec.get(s);
    if (!s.textFile.empty()) c["text"] = nullptr;  // the file's name says where it came from
    c["backend"] = backend;
    c["device"] = device;
    c["fallback_reason"] = fallbackReason.empty() ? json(nullptr) : json(fallbackReason);
    c["fallback"] = fallback.empty() ? json(nullptr) : json(fallback);
    return c;
}

std::string sessionJson(const Settings& s, const std::string& model, int layer) {
    json j = {{"format", "moelab-session"}, {"version", kSessionVersion}};
    for (const SettingSpec& spec : kSpecs)
        if (spec.inSession) j[std::string(spec.key)] = spec.get(s);
    if (!model.empty()) {
        j["model"] = model;
        j["layer"] = layer;
    }
    j["text"] = s.text;  // the text itself, even when it came from a file
    // Invalid UTF-8 in the text is written as U+FFFD.
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::string> applySettingsJson(Settings& s, const json& object, const std::string& source) {
    if (!object.is_object()) throw InputError(source, "must be a JSON object of settings");
    const Settings base = s;
    for (const SettingSpec& spec : kSpecs) {
        const auto it = object.find(std::string(spec.key));
        if (it != object.end()) setSetting(spec, s, *it, source + ": " + std::string(spec.key));
    }
    for (const SettingSpec& spec : kSpecs)
        if (!object.contains(std::string(spec.key)) && followsDerived(spec, base)) spec.set(s, spec.derived(s));
    std::vector<std::string> unknown;
    for (const auto& [key, value] : object.items())
        if (!findSetting(key)) unknown.push_back(key);
    return unknown;
}

namespace {
// A session's language model: a name or path, and a layer in 0..1000.
void readSessionModel(const json& j, const std::string& path, LoadedSession& out) {
    if (j.contains("model") && !j["model"].is_string())
        throw InputError(path + ": model", "must be a name (tiny-lm) or a .safetensors path");
    if (j.contains("layer") && !isModelLayer(j["layer"]))
        throw InputError(path + ": layer", "must be a whole number in 0.." + std::to_string(kMaxModelLayer) + " (got " +
                                               j["layer"].dump() + ")");
    out.model = j.value("model", std::string());
    out.layer = j.value("layer", 0);
}
}  // namespace

bool isModelLayer(const json& v) {
    return v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= kMaxModelLayer;
}

LoadedSession parseSession(const std::string& text, const std::string& path) {
    checkJsonDepth(text, path);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw InputError(path, std::string("not a session file: ") + e.what());
    }
    if (!j.is_object()) throw InputError(path, "not a session file: expected a JSON object");
    // Version 1 wrote "format": "moelab-session-1" and the same keys.
    if (j.contains("format") && !j["format"].is_string())
        throw InputError(path,
                         "format " + j["format"].dump() + " is not a moelab session (expected \"moelab-session\")");
    const std::string format = j.value("format", std::string("moelab-session"));
    if (format != "moelab-session" && format != "moelab-session-1")
        throw InputError(path, "format '" + format + "' is not a moelab session");
    if (j.contains("version") && (!j["version"].is_number_integer() || j["version"].get<int>() > kSessionVersion))
        throw InputError(path, "version " + j["version"].dump() + " is newer than this moelab reads (" +
                                   std::to_string(kSessionVersion) + ")");
    LoadedSession out;
    readSessionModel(j, path, out);
    for (const std::string& key : applySettingsJson(out.settings, j, path))
        if (key != "format" && key != "version" && key != "fallback_reason" && key != "model" && key != "layer")
            out.unknownKeys.push_back(key);
    if (out.settings.weightsPath.empty()) {
        resolveSettings(out.settings);
        validateSettings(out.settings, keyNamer(path));
    }
    checkSharedSettings(out.settings, path);
    return out;
}

std::string settingsHelp() {
    std::string out;
    SettingGroup group = SettingGroup::Input;
    bool first = true;
    for (const SettingSpec& spec : kSpecs) {
        if (first || spec.group != group) {
            out += std::string(first ? "" : "\n") + groupName(spec.group) + ":\n";
            group = spec.group;
            first = false;
        }
        std::string value;
        switch (spec.kind) {
            case SettingKind::Int:
                value = " N";
                break;
            case SettingKind::Float:
                value = " X";
                break;
            case SettingKind::Bool:
                value = " on|off";
                break;
            case SettingKind::Choice:
                value = " " + joinChoices(spec.choices.data(), spec.choices.size());
                break;
            case SettingKind::Text:
                value = spec.key == "text" ? " STR" : spec.key == "device" ? " TEXT" : " PATH";
                break;
            case SettingKind::FloatList:
                value = " b0,b1,...";
                break;
        }
        std::string line = "  --" + std::string(spec.flag) + value;
        const std::string def = spec.derived ? "" : settingText(spec, Settings{});
        line += std::string(std::max<size_t>(1, 40 - std::min<size_t>(40, line.size())), ' ');
        out += line + spec.help + (def.empty() || spec.kind == SettingKind::Text ? "" : " [" + def + "]") + "\n";
    }
    const std::string topology = "  --topology " + topologyNames();
    out += topology + std::string(std::max<size_t>(1, 36 - std::min<size_t>(36, topology.size())), ' ') +
           "set gpus-per-node, bandwidths, latencies and TFLOP/s at once\n";
    out += "\nSystems (--preset NAME first, then the flags given override it):\n";
    for (const Preset& p : presets()) {
        std::string line = "  --preset " + std::string(p.name);
        line += std::string(std::max<size_t>(1, 26 - std::min<size_t>(26, line.size())), ' ');
        out += line + p.title + ": " + p.paper + "\n";
    }
    return out;
}

namespace {
void validateGroups(const Settings& s, std::initializer_list<SettingGroup> groups) {
    for (const SettingSpec& spec : kSpecs)
        if (std::find(groups.begin(), groups.end(), spec.group) != groups.end())
            if (const std::string p = problemWith(spec, s); !p.empty())
                throw InputError("--" + std::string(spec.flag), p);
}
}  // namespace

void validate(const ModelShape& shape) {
    Settings s;
    s.shape = shape;
    validateGroups(s, {SettingGroup::Model});
}

void validate(const RouterConfig& cfg, int experts) {
    Settings s;
    s.shape.experts = experts;
    s.router = cfg;
    validateGroups(s, {SettingGroup::Router, SettingGroup::Capacity, SettingGroup::Noise, SettingGroup::Groups});
}

void validate(const ClusterConfig& c, int experts) {
    Settings s;
    s.shape.experts = experts;
    s.cluster = c;
    validateGroups(s, {SettingGroup::Parallel});
}

}  // namespace moe
