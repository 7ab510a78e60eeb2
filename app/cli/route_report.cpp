#include "route_report.hpp"
#include "capacity.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "traffic.hpp"

namespace moe::cli {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

namespace {

std::string bar(double fraction, int width) {
    const int n = std::clamp(static_cast<int>(fraction * width + 0.5), 0, width);
    std::string s;
    for (int i = 0; i < n; ++i) s += "\u2588";
    return s;
}

}  // namespace

int displayWidth(const std::string& s) {
    int w = 0;
    for (unsigned char b : s) w += (b & 0xC0) == 0x80 ? 0 : (b >= 0xE0 ? 2 : 1);
    return w;
}

namespace {

// One row per byte token (at most maxRows): its character and its experts' weights.
void printTokenRows(std::ostream& os, const Routing& r, const std::vector<ByteToken>& firstTokens, int maxRows) {
    const int rows = std::min(r.tokens, maxRows);
    if (rows > 0) {
        os << "  tok  byte  char     experts (weight; x = dropped)\n";
        for (int t = 0; t < rows; ++t) {
            const ByteToken& tok = firstTokens[t];
            std::string ch = printableChar(tok);
            if (tok.charBytes > 1) {
                char part[32];
                std::snprintf(part, sizeof part, " %d/%d", tok.byteInChar + 1, tok.charBytes);
                ch += part;
            }
            const int pad = std::max(0, 8 - displayWidth(ch));
            char head[32];
            std::snprintf(head, sizeof head, "%5d  0x%02X  ", t, tok.byte);
            os << head << ch << std::string(pad, ' ') << " ";
            for (int s = r.slotBegin[t]; s < r.slotBegin[t + 1]; ++s)
                os << " e" << r.slotExpert[s] << " " << fmt("%.3f", r.slotWeight[s]) << (r.slotKept[s] ? " " : "x");
            if (r.slotBegin[t] == r.slotBegin[t + 1]) os << " (no expert took it)";
            os << "\n";
        }
        if (rows < r.tokens) os << "  ... " << r.tokens - rows << " more tokens (--max-rows N, or --json)\n";
        os << "\n";
    }
}

// Each expert's requested, kept and dropped assignments, with a bar of its kept load.
void printExpertLoads(std::ostream& os, const Routing& r) {
    int maxLoad = 1;
    for (int e = 0; e < r.experts; ++e) maxLoad = std::max({maxLoad, r.requested[e], r.kept[e]});
    os << "  expert  requested   kept  dropped  load\n";
    for (int e = 0; e < r.experts; ++e) {
        char line[64];
        std::snprintf(line, sizeof line, "  e%-5d %10d %6d %8d  ", e, r.requested[e], r.kept[e], r.overflow[e]);
        os << line << bar(double(r.kept[e]) / maxLoad, 30) << "\n";
    }
}

void printMetrics(std::ostream& os, const Metrics& m) {
    os << "\n  dropped      " << m.dropped << " of " << m.assignments << " assignments ("
       << fmt("%.1f%%", 100 * m.dropRate) << ")\n"
       << "  aux loss     " << fmt("%.4f", m.auxLoss) << "   (1 = balanced, Switch Transformer)\n"
       << "  z-loss       " << fmt("%.4f", m.zLoss) << "   (ST-MoE)\n"
       << "  load CV      " << fmt("%.4f", m.cv) << "   max/mean " << fmt("%.3f", m.maxOverMean)
       << "   (requested: before capacity)\n"
       << "  kept CV      " << fmt("%.4f", m.cvKept) << "   (kept: after capacity)\n"
       << "  entropy      " << fmt("%.4f", m.entropy) << " nats\n"
       << "  parameters   " << m.totalParams << " total, " << m.activeParams << " active per token\n"
       << "  FLOPs/token  " << fmt("%.0f", m.flopsPerTokenMoe) << " MoE vs " << fmt("%.0f", m.flopsPerTokenDense)
       << " dense (" << fmt("%.2fx", m.flopsPerTokenMoe > 0 ? m.flopsPerTokenDense / m.flopsPerTokenMoe : 0) << ")\n";
}

// With more than one simulated GPU: the expert-parallel bytes and times.
void printTraffic(std::ostream& os, const Settings& o, const Routing& r) {
    if (o.cluster.gpus > 1) {
        const Traffic t = simulateTraffic(r, o.cluster);
        const double mb = 1.0 / (1 << 20);
        os << "\n  expert parallel: " << t.gpus << " GPUs, " << t.gpusPerNode << " per node, "
           << toString(o.cluster.placement) << " placement, hidden " << o.cluster.simHidden << " "
           << toString(o.cluster.dtype) << "\n"
           << "  bytes        " << fmt("%.2f", t.localBytes * mb) << " MiB local, "
           << fmt("%.2f", t.intraNodeBytes * mb) << " MiB inside nodes, " << fmt("%.2f", t.interNodeBytes * mb)
           << " MiB between nodes\n"
           << "  time         dispatch " << fmt("%.1f", t.dispatchTimeUs) << " us, compute "
           << fmt("%.1f", t.computeTimeUs) << " us (GPU " << t.straggler << " is the straggler), combine "
           << fmt("%.1f", t.combineTimeUs) << " us\n";
    }
}

}  // namespace

void printRouteReport(std::ostream& os, const Settings& o, const std::vector<ByteToken>& firstTokens, int characters,
                      const LayerResult& res, int maxRows) {
    const Routing& r = res.routing;
    os << "moelab route: " << r.tokens << " byte tokens (" << characters << " characters), " << r.experts
       << " experts, k=" << o.router.k << ", " << toString(o.router.mode) << ", capacity "
       << (r.capacity < 0 ? std::string("none (dropless)") : std::to_string(r.capacity));
    if (o.router.capacityGroups > 1 && r.capacity >= 0) {  // GShard: the sum of the groups' capacities
        const std::vector<int> caps = groupCapacities(o.router, r.tokens, r.experts);
        os << " =";
        for (size_t g = 0; g < caps.size(); ++g) os << (g ? " + " : " ") << caps[g];
        os << " over " << caps.size() << " token groups";
    }
    os << "\n\n";

    printTokenRows(os, r, firstTokens, maxRows);
    printExpertLoads(os, r);
    printMetrics(os, res.metrics);
    printTraffic(os, o, r);
}

}  // namespace moe::cli
