// moelab export-astra: the step's all-to-all as ASTRA-sim 2.0 input (docs/astra-sim.md).
#include <iostream>

#include "astra_export.hpp"
#include "backends/factory.hpp"
#include "commands.hpp"
#include "embedding.hpp"
#include "errors.hpp"
#include "layer.hpp"
#include "route_stream.hpp"
#include "settings_schema.hpp"
#include "traffic.hpp"

namespace moe::cli {
namespace {

// The routing `moelab route` computes for the same flags (a long text streams as there).
Routing routeForExport(Settings& o) {
    const ModelWeights w = buildWeights(o);
    BackendChoice bc = makeBackend(o.backend, o.device);
    constexpr int kChunkRows = 1 << 16;
    if (streamable(o.router) && static_cast<int64_t>(o.text.size()) > kChunkRows)
        return routeInChunks(w, o.router, o.text, kChunkRows).routing;
    LayerResult res;
    runLayer(*bc.backend, w, o.router, o.text, embedBytes(w, o.text), false, res);
    return res.routing;
}

}  // namespace

int cmdExportAstra(const std::vector<std::string>& argv) {
    auto flags = settingFlags();
    flags.insert("out");
    const Args a(argv, flags, {"astra-collective"});
    const auto out = a.str("out");
    if (!out || out->empty()) throw InputError("--out", "needs a directory (moelab export-astra --out DIR)");
    Settings o = settingsFromFlags(a);
    const Routing r = routeForExport(o);
    const Traffic t = simulateTraffic(r, o.cluster, deviceLimit(o));
    astra::ExportOptions opt;
    opt.collective = a.has("astra-collective");
    astra::exportAstra(t, o.cluster, opt, *out);
    std::cerr << "moelab: wrote " << *out << " (" << t.gpus << " GPU traces; moelab's time " << t.totalTimeUs
              << " us; run: " << *out << "/run.sh ASTRA_SIM_BINARY)\n";
    return 0;
}

}  // namespace moe::cli
