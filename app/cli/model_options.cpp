#include "model_options.hpp"

#include "atomic_file.hpp"
#include "errors.hpp"
#include "safetensors.hpp"

namespace moe::cli {

const std::set<std::string> kModelFlags = {
    "text", "text-file", "experts", "k", "dim", "hidden", "activation", "shared-experts", "seed", "weights",
    "score", "temperature", "renormalize", "routing", "capacity-factor", "min-capacity", "overflow",
    "drop-priority", "backend", "device", "noisy-topk", "jitter", "noise-seed", "groups", "topk-groups",
    "group-score", "expert-bias", "gpus", "gpus-per-node", "placement", "sim-hidden", "sim-ffn-hidden", "sim-dtype",
    "intra-bw", "inter-bw", "intra-latency-us", "inter-latency-us", "gpu-tflops", "topology", "dedup", "replicate",
    "route-groups"};

ModelOptions parseModelOptions(const Args& a) {
    ModelOptions o;
    if (a.str("text") && a.str("text-file")) throw InputError("--text", "give --text or --text-file, not both");
    if (auto t = a.str("text")) o.text = *t;
    if (auto f = a.str("text-file")) {
        o.textFile = *f;
        try {
            o.text = readFile(*f);
        } catch (const InputError& e) {
            throw InputError("--text-file", e.what());
        }
    }
    ModelShape& s = o.shape;
    s.experts = static_cast<int>(a.integer("experts", 8, 1, 4096));
    s.dim = static_cast<int>(a.integer("dim", 32, 1, 65536));
    s.hidden = static_cast<int>(a.integer("hidden", 4 * int64_t(s.dim), 1, 262144));
    s.activation = parseActivation(a.str("activation", "relu"));
    s.sharedExperts = static_cast<int>(a.integer("shared-experts", 0, 0, 64));
    o.seed = static_cast<uint64_t>(a.integer("seed", 0, 0, INT64_MAX));
    o.weightsPath = a.str("weights", "");

    RouterConfig& r = o.router;
    r.k = static_cast<int>(a.integer("k", 2, 1, 4096));
    r.score = parseScoreFn(a.str("score", "softmax"));
    r.temperature = static_cast<float>(a.number("temperature", 1.0, 0.0, 1e6));
    r.renormalize = a.onOff("renormalize", true);
    r.mode = parseRoutingMode(a.str("routing", "token-choice"));
    r.capacityFactor = a.number("capacity-factor", 1.25, 0.0, 1e6);
    r.minCapacity = static_cast<int>(a.integer("min-capacity", 0, 0, 1000000000));
    r.overflow = parseOverflow(a.str("overflow", "drop"));
    r.dropPriority = parseDropPriority(a.str("drop-priority", "position"));
    r.noisyTopk = a.onOff("noisy-topk", false);
    r.jitter = static_cast<float>(a.number("jitter", 0.0, 0.0, 1.0));
    r.noiseSeed = static_cast<uint64_t>(a.integer("noise-seed", static_cast<int64_t>(o.seed), 0, INT64_MAX));
    r.groups = static_cast<int>(a.integer("groups", 1, 1, 4096));
    r.topkGroups = static_cast<int>(a.integer("topk-groups", 0, 0, 4096));
    r.groupScore = parseGroupScore(a.str("group-score", "max"));
    r.expertBias = a.floatList("expert-bias");

    o.backend = a.str("backend", "eigen");
    if (o.backend != "eigen" && o.backend != "opencl")
        throw InputError("--backend", "must be one of eigen|opencl (got '" + o.backend + "')");
    o.device = a.str("device", "");

    ClusterConfig& c = o.cluster;
    if (auto t = a.str("topology")) applyTopologyPreset(c, *t);
    c.gpus = static_cast<int>(a.integer("gpus", 1, 1, 4096));
    c.gpusPerNode = static_cast<int>(a.integer("gpus-per-node", c.gpusPerNode, 1, 4096));
    c.placement = parsePlacement(a.str("placement", "contiguous"));
    c.simHidden = static_cast<int>(a.integer("sim-hidden", 4096, 1, 1 << 20));
    c.simFfnHidden = static_cast<int>(a.integer("sim-ffn-hidden", 0, 0, 1 << 22));
    c.dtype = parseSimDtype(a.str("sim-dtype", "bf16"));
    c.intraBwGBps = a.number("intra-bw", c.intraBwGBps, 1e-3, 1e6);
    c.interBwGBps = a.number("inter-bw", c.interBwGBps, 1e-3, 1e6);
    c.intraLatencyUs = a.number("intra-latency-us", c.intraLatencyUs, 0, 1e6);
    c.interLatencyUs = a.number("inter-latency-us", c.interLatencyUs, 0, 1e6);
    c.gpuTflops = a.number("gpu-tflops", c.gpuTflops, 1e-3, 1e6);
    c.dedupPerGpu = a.onOff("dedup", false);
    c.replicateHot = static_cast<int>(a.integer("replicate", 0, 0, 4096));
    o.routeGroups = a.str("route-groups", "");
    if (!o.routeGroups.empty() && o.routeGroups != "gpus" && o.routeGroups != "nodes")
        throw InputError("--route-groups", "must be one of gpus|nodes (got '" + o.routeGroups + "')");
    if (o.weightsPath.empty()) {
        validate(s);
        applyRouteGroups(o, s.experts);
        validate(r, s.experts);
        validate(c, s.experts);
    }
    return o;
}

void applyRouteGroups(ModelOptions& o, int experts) {
    if (o.routeGroups.empty()) return;
    const ClusterConfig& c = o.cluster;
    const int groups = o.routeGroups == "gpus" ? c.gpus : std::max(1, c.gpus / c.gpusPerNode);
    if (c.placement != Placement::Contiguous)
        throw InputError("--route-groups", "needs --placement contiguous, so that a group of experts is a device");
    if (experts % groups != 0)
        throw InputError("--route-groups", "needs the " + std::to_string(groups) + " " + o.routeGroups +
                                               " to divide the expert count " + std::to_string(experts));
    o.router.groups = groups;
}

ModelWeights buildWeights(ModelOptions& o) {
    ModelWeights w;
    if (o.weightsPath.empty()) {
        w = initWeights(o.shape, o.seed);
    } else {
        w = loadWeights(o.weightsPath, o.shape.activation);
        o.shape = w.shape;
    }
    applyRouteGroups(o, w.shape.experts);
    validate(o.router, w.shape.experts);
    validate(o.cluster, w.shape.experts);
    return w;
}

nlohmann::json configJson(const ModelOptions& o, const std::string& backend, const std::string& device,
                          const std::string& fallbackReason) {
    const RouterConfig& r = o.router;
    nlohmann::json c;
    // Invalid UTF-8 in the text is written with U+FFFD by the JSON writer's replace mode.
    c["text"] = o.textFile.empty() ? nlohmann::json(o.text) : nlohmann::json(nullptr);
    c["text_file"] = o.textFile.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.textFile);
    c["experts"] = o.shape.experts;
    c["k"] = r.k;
    c["dim"] = o.shape.dim;
    c["hidden"] = o.shape.hidden;
    c["activation"] = toString(o.shape.activation);
    c["shared_experts"] = o.shape.sharedExperts;
    c["seed"] = o.seed;
    c["weights"] = o.weightsPath.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.weightsPath);
    c["score"] = toString(r.score);
    c["temperature"] = r.temperature;
    c["renormalize"] = r.renormalize;
    c["routing"] = toString(r.mode);
    c["capacity_factor"] = r.capacityFactor;
    c["min_capacity"] = r.minCapacity;
    c["overflow"] = toString(r.overflow);
    c["drop_priority"] = toString(r.dropPriority);
    c["noisy_topk"] = r.noisyTopk;
    c["jitter"] = r.jitter;
    c["noise_seed"] = r.noiseSeed;
    c["groups"] = r.groups;
    c["topk_groups"] = r.topkGroups;
    c["group_score"] = toString(r.groupScore);
    c["expert_bias"] = r.expertBias;
    c["backend"] = backend;
    c["device"] = device;
    c["fallback_reason"] = fallbackReason.empty() ? nlohmann::json(nullptr) : nlohmann::json(fallbackReason);
    const ClusterConfig& k = o.cluster;
    c["gpus"] = k.gpus;
    c["gpus_per_node"] = k.gpusPerNode;
    c["placement"] = toString(k.placement);
    c["sim_hidden"] = k.simHidden;
    c["sim_ffn_hidden"] = k.simFfnHidden > 0 ? k.simFfnHidden : 4 * k.simHidden;
    c["sim_dtype"] = toString(k.dtype);
    c["intra_bw"] = k.intraBwGBps;
    c["inter_bw"] = k.interBwGBps;
    c["intra_latency_us"] = k.intraLatencyUs;
    c["inter_latency_us"] = k.interLatencyUs;
    c["gpu_tflops"] = k.gpuTflops;
    c["dedup"] = k.dedupPerGpu;
    c["replicate"] = k.replicateHot;
    c["route_groups"] = o.routeGroups.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.routeGroups);
    return c;
}

} // namespace moe::cli
