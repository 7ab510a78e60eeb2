#pragma once
// Router traces on the command line (cmd_trace.cpp): route --trace; import-trace is in commands.hpp.
#include <string>
#include <vector>

#include "flags.hpp"
#include "metrics.hpp"
#include "settings.hpp"
#include "trace.hpp"
#include "traffic.hpp"

namespace moe::cli {

// One layer of a trace replayed under settings: its routing, metrics, traffic and the flags
// it ignored (settingsNeedingScores).
struct TraceReplay {
    RouterTrace trace;
    int layer = 0;
    Routing routing;
    Metrics metrics;
    Traffic traffic;
    std::vector<std::string> ignored;
};
TraceReplay replayTrace(RouterTrace trace, int layer, const Settings& o);

// route --trace FILE [--layer L] [routing and cluster flags] [--json].
int routeTrace(const Args& a);

}  // namespace moe::cli
