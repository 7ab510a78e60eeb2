#include "lm_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "route_report.hpp"

namespace moe::cli {
namespace {

// A layer's slots for byte t: "e3 .62 e5 .38", x after a dropped one.
std::string slotsText(const Routing& r, int t) {
    std::string s;
    for (int q = r.slotBegin[t]; q < r.slotBegin[t + 1]; ++q) {
        if (r.skipped(q)) continue;
        // ".62" for weights below 1 (as a column of two), "1" for a single expert's whole weight
        const std::string w = fmt("%.2f", r.slotWeight[q]);
        s += (s.empty() ? "e" : " e") + std::to_string(r.slotExpert[q]) + " " + (w[0] == '0' ? w.substr(1) : "1");
        if (!r.slotKept[q]) s += "x";
    }
    return s.empty() ? "-" : s;
}

std::string charColumn(const ByteToken& tok) {
    std::string ch = printableChar(tok);
    if (tok.charBytes > 1) {
        char part[32];
        std::snprintf(part, sizeof part, " %d/%d", tok.byteInChar + 1, tok.charBytes);
        ch += part;
    }
    return ch + std::string(std::max(0, 8 - displayWidth(ch)), ' ');
}

void printTokens(std::ostream& os, const LmRun& run, const std::vector<ByteToken>& firstTokens, int maxRows) {
    const int T = run.layers[0].routing.tokens, rows = std::min(T, maxRows);
    size_t width = 0;
    for (const LayerResult& l : run.layers)
        for (int t = 0; t < rows; ++t) width = std::max(width, slotsText(l.routing, t).size());
    width = std::max<size_t>(width, 8) + 2;
    os << "  tok  byte  char     ";
    for (size_t l = 0; l < run.layers.size(); ++l) {
        const std::string head = "layer " + std::to_string(l);
        os << head << std::string(width - head.size(), ' ');
    }
    os << "(expert weight; x = dropped)\n";
    for (int t = 0; t < rows; ++t) {
        char head[32];
        std::snprintf(head, sizeof head, "%5d  0x%02X  ", t, firstTokens[t].byte);
        os << head << charColumn(firstTokens[t]) << " ";
        for (const LayerResult& l : run.layers) {
            const std::string cell = slotsText(l.routing, t);
            os << cell << std::string(width - cell.size(), ' ');
        }
        os << "\n";
    }
    if (rows < T) os << "  ... " << T - rows << " more tokens (--max-rows N, or --json)\n";
}

void printLayerMetrics(std::ostream& os, const LmRun& run) {
    os << "  layer  dropped  aux loss  load CV  entropy  busiest expert\n";
    for (size_t l = 0; l < run.layers.size(); ++l) {
        const Routing& r = run.layers[l].routing;
        const Metrics& m = run.layers[l].metrics;
        const int busiest = int(std::max_element(r.kept.begin(), r.kept.end()) - r.kept.begin());
        const int kept = std::accumulate(r.kept.begin(), r.kept.end(), 0);
        char line[160];
        std::snprintf(line, sizeof line, "  %5zu  %6.1f%%  %8.4f  %7.4f  %7.4f  e%d (%.0f%% of kept assignments)\n", l,
                      100 * m.dropRate, m.auxLoss, m.cv, m.entropy, busiest,
                      kept ? 100.0 * r.kept[busiest] / kept : 0.0);
        os << line;
    }
}

}  // namespace

std::vector<int> likeliestNextBytes(const LmRun& run, int n) {
    const Eigen::Index last = run.logprobs.rows() - 1;
    std::vector<int> bytes(run.logprobs.cols());
    std::iota(bytes.begin(), bytes.end(), 0);
    n = std::min<int>(n, int(bytes.size()));
    std::partial_sort(bytes.begin(), bytes.begin() + n, bytes.end(), [&](int a, int b) {
        const float pa = run.logprobs(last, a), pb = run.logprobs(last, b);
        return pa != pb ? pa > pb : a < b;
    });
    bytes.resize(n);
    return bytes;
}

void printLmReport(std::ostream& os, const Settings& o, const std::string& model, const LmModel& m, const LmRun& run,
                   const std::vector<ByteToken>& firstTokens, bool asTrained, int maxRows) {
    const LmConfig& c = m.config;
    const Routing& r0 = run.layers[0].routing;
    os << "moelab route --model " << model << ": " << r0.tokens << " byte tokens, " << c.layers << " layers of "
       << c.experts << " experts, k=" << o.router.k << ", " << toString(o.router.score) << ", capacity "
       << (r0.capacity < 0 ? std::string("none (dropless)") : std::to_string(r0.capacity) + " per layer")
       << (asTrained ? " (as trained)" : " (routing flags apply to every layer)") << "\n\n";
    printTokens(os, run, firstTokens, maxRows);
    os << "\n";
    printLayerMetrics(os, run);
    os << "\n  next byte after the text (the 5 likeliest):\n";
    const Eigen::Index last = run.logprobs.rows() - 1;
    for (int b : likeliestNextBytes(run, 5)) {
        char line[96];
        const float lp = run.logprobs(last, b);
        std::snprintf(line, sizeof line, "    0x%02X %-3s  log p %8.4f  (%5.1f%%)\n", b,
                      b >= 0x20 && b < 0x7F ? std::string(1, char(b)).c_str() : "", lp, 100.0 * std::exp(lp));
        os << line;
    }
    os << "\n  bits per byte  " << fmt("%.4f", run.bitsPerByte)
       << "   (mean -log2 p of bytes 1..T-1 given the bytes before them)\n";
}

}  // namespace moe::cli
