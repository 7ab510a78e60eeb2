// moelab route: one forward pass, printed as a table or as the JSON of docs/contract.md.
#include <cstdio>
#include <iostream>

#include "backends/factory.hpp"
#include "commands.hpp"
#include "embedding.hpp"
#include "json_text.hpp"
#include "layer.hpp"
#include "settings_schema.hpp"
#include "traffic.hpp"
#include "route_report.hpp"
#include "tokenizer.hpp"

namespace moe::cli {
namespace {

class Flusher {
public:
    explicit Flusher(std::string& buf) : m_buf(buf) {}
    void maybe() {
        if (m_buf.size() > (1 << 20)) flush();
    }
    void flush() {
        std::fwrite(m_buf.data(), 1, m_buf.size(), stdout);
        m_buf.clear();
    }

private:
    std::string& m_buf;
};

void appendFloats(std::string& out, const float* v, int n) {
    out += '[';
    for (int i = 0; i < n; ++i) {
        if (i) out += ',';
        appendFloat(out, v[i]);
    }
    out += ']';
}

nlohmann::json trafficJson(const Traffic& t) {
    nlohmann::json per = nlohmann::json::array();
    for (const GpuTraffic& g : t.perGpu)
        per.push_back({{"gpu", g.gpu}, {"experts", g.experts}, {"send_bytes", g.sendBytes}, {"recv_bytes", g.recvBytes},
                       {"tokens_computed", g.tokensComputed}, {"dispatch_us", g.dispatchUs}, {"compute_us", g.computeUs},
                       {"combine_us", g.combineUs}});
    return {{"gpus", t.gpus},
            {"gpus_per_node", t.gpusPerNode},
            {"dispatch_bytes", t.dispatchBytes},
            {"combine_bytes", t.combineBytes},
            {"local_bytes", t.localBytes},
            {"intra_node_bytes", t.intraNodeBytes},
            {"inter_node_bytes", t.interNodeBytes},
            {"dispatch_time_us", t.dispatchTimeUs},
            {"combine_time_us", t.combineTimeUs},
            {"compute_time_us", t.computeTimeUs},
            {"total_time_us", t.totalTimeUs},
            {"dispatch_busbw_GBps", t.dispatchBusBwGBps},
            {"straggler", t.straggler},
            {"per_gpu", per}};
}

void writeJson(const Settings& o, const std::vector<ByteToken>& tokens, const LayerResult& res,
               const nlohmann::json& config, bool withOutputs) {
    const Routing& r = res.routing;
    const Metrics& m = res.metrics;
    std::string out;
    Flusher fl(out);
    out += "{\"config\":";
    out += config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ",\"capacity\":";
    if (r.capacity < 0) out += "null";
    else appendInt(out, r.capacity);
    out += ",\"tokens\":[";
    for (int t = 0; t < r.tokens; ++t) {
        const ByteToken& tok = tokens[t];
        out += t ? ",{" : "{";
        out += "\"index\":";
        appendInt(out, t);
        out += ",\"byte\":";
        appendInt(out, tok.byte);
        out += ",\"char\":";
        appendString(out, tok.text);
        out += ",\"char_index\":";
        appendInt(out, tok.charIndex);
        out += ",\"logits\":";
        appendFloats(out, r.logits.row(t).data(), r.experts);
        out += ",\"scores\":";
        appendFloats(out, r.scores.row(t).data(), r.experts);
        const int b = r.slotBegin[t], e = r.slotBegin[t + 1];
        out += ",\"experts\":[";
        for (int s = b; s < e; ++s) {
            if (s > b) out += ',';
            appendInt(out, r.slotExpert[s]);
        }
        out += "],\"weights\":";
        appendFloats(out, r.slotWeight.data() + b, e - b);
        out += ",\"kept\":[";
        for (int s = b; s < e; ++s) out += (s > b ? "," : ""), out += r.slotKept[s] ? "true" : "false";
        out += "],\"choices\":[";  // the experts asked for, before capacity moved any
        for (int s = b; s < e; ++s) {
            if (s > b) out += ',';
            appendInt(out, r.slotChoice[s]);
        }
        out += "]}";
        fl.maybe();
    }
    out += "],\"experts\":[";
    for (int e = 0; e < r.experts; ++e) {
        out += e ? ",{" : "{";
        out += "\"index\":";
        appendInt(out, e);
        out += ",\"requested\":";
        appendInt(out, r.requested[e]);
        out += ",\"kept\":";
        appendInt(out, r.kept[e]);
        out += ",\"dropped\":";
        appendInt(out, r.overflow[e]);
        out += '}';
    }
    out += "],\"metrics\":";
    nlohmann::json mj = {{"tokens", m.tokens},
                         {"assignments", m.assignments},
                         {"dropped", m.dropped},
                         {"drop_rate", m.dropRate},
                         {"aux_loss", m.auxLoss},
                         {"z_loss", m.zLoss},
                         {"cv", m.cv},
                         {"max_over_mean", m.maxOverMean},
                         {"entropy", m.entropy},
                         {"total_params", m.totalParams},
                         {"active_params", m.activeParams},
                         {"flops_per_token_moe", m.flopsPerTokenMoe},
                         {"flops_per_token_dense", m.flopsPerTokenDense}};
    out += mj.dump();
    out += ",\"traffic\":";
    out += trafficJson(simulateTraffic(r, o.cluster)).dump();
    if (withOutputs) {
        out += ",\"outputs\":[";
        for (int t = 0; t < r.tokens; ++t) {
            if (t) out += ',';
            appendFloats(out, res.outputs.row(t).data(), static_cast<int>(res.outputs.cols()));
            fl.maybe();
        }
        out += ']';
    }
    out += "}\n";
    fl.flush();
}

} // namespace

int cmdRoute(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert("max-rows");
    const Args a(argv, flags, {"json", "outputs"});
    Settings o = settingsFromFlags(a);
    const int maxRows = static_cast<int>(a.integer("max-rows", 64, 0, 1 << 30));
    const ModelWeights w = buildWeights(o);
    BackendChoice bc = makeBackend(o.backend, o.device);
    if (!bc.fallbackReason.empty() && o.backend == BackendKind::OpenCL) std::cerr << "moelab: using eigen: " << bc.fallbackReason << "\n";

    const std::vector<ByteToken> tokens = tokenize(o.text);
    const Mat x = embedBytes(w, o.text);
    LayerResult res;
    const bool withOutputs = a.has("outputs");
    runLayer(*bc.backend, w, o.router, x, withOutputs, res);
    const nlohmann::json config = configJson(o, bc.backend->name(), bc.backend->device(), bc.fallbackReason);
    if (a.has("json")) writeJson(o, tokens, res, config, withOutputs);
    else printRouteReport(std::cout, o, tokens, res, maxRows);
    return 0;
}

} // namespace moe::cli
