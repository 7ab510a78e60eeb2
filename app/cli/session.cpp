#include "session.hpp"

#include <nlohmann/json.hpp>

#include "errors.hpp"

namespace moe::cli {

std::string sessionJson(const ModelOptions& o) {
    nlohmann::json j = configJson(o, o.backend, "", "");
    j["text"] = o.text;
    j.erase("device");
    j.erase("fallback_reason");
    j["format"] = "moelab-session-1";
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

ModelOptions parseSession(const std::string& text, const std::string& path) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(path, std::string("not a session file: ") + e.what());
    }
    ModelOptions o;
    const auto get = [&](const char* key, auto& dst) {
        if (!j.contains(key) || j[key].is_null()) return;
        try {
            j[key].get_to(dst);
        } catch (const nlohmann::json::exception&) {
            throw InputError(path, std::string("field '") + key + "' has the wrong type");
        }
    };
    const auto getEnum = [&](const char* key, auto parse, auto& dst) {
        std::string s;
        get(key, s);
        if (!s.empty()) dst = parse(s, path + " " + key);
    };
    get("text", o.text);
    get("experts", o.shape.experts);
    get("dim", o.shape.dim);
    get("hidden", o.shape.hidden);
    get("shared_experts", o.shape.sharedExperts);
    getEnum("activation", parseActivation, o.shape.activation);
    get("seed", o.seed);
    get("weights", o.weightsPath);
    RouterConfig& r = o.router;
    get("k", r.k);
    getEnum("score", parseScoreFn, r.score);
    get("temperature", r.temperature);
    get("renormalize", r.renormalize);
    getEnum("routing", parseRoutingMode, r.mode);
    get("capacity_factor", r.capacityFactor);
    get("min_capacity", r.minCapacity);
    getEnum("overflow", parseOverflow, r.overflow);
    getEnum("drop_priority", parseDropPriority, r.dropPriority);
    get("noisy_topk", r.noisyTopk);
    get("jitter", r.jitter);
    get("noise_seed", r.noiseSeed);
    get("groups", r.groups);
    get("topk_groups", r.topkGroups);
    getEnum("group_score", parseGroupScore, r.groupScore);
    get("expert_bias", r.expertBias);
    get("backend", o.backend);
    validate(o.shape);
    if (o.weightsPath.empty()) validate(r, o.shape.experts);
    return o;
}

} // namespace moe::cli
