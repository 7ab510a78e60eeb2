#pragma once
// ASTRA-sim's printed output from running an export (moelab route --astra-log FILE):
// every simulated GPU's line "sys[R] finished, C cycles, ..." (Workload::report at
// 4f387bc); the analytical backend's cycle is one nanosecond.
#include <string>
#include <string_view>
#include <vector>

namespace moe {

struct AstraTimes {
    double totalUs = 0;            // the last GPU to finish
    std::vector<double> perGpuUs;  // [G]
};

// Throws InputError(name, ...) unless the text has exactly one well-formed finish line for
// each of the G GPUs (a truncated run misses some; a garbled line or a rank out of range
// is an error too). Other lines are ignored.
AstraTimes parseAstraLog(std::string_view text, int gpus, const std::string& name);
// The file's text through parseAstraLog; InputError(path, ...) when it cannot be read.
AstraTimes readAstraLog(const std::string& path, int gpus);

}  // namespace moe
