// ASTRA-sim's printed output (core/astra_log parseAstraLog, moelab route --astra-log). The
// first byte picks the GPU count (1..16), the rest is the log. Whatever the text, the
// reader returns G times whose largest is the total, or throws InputError.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "astra_log.hpp"
#include "errors.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const int gpus = 1 + data[0] % 16;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    moe::AstraTimes t;
    try {
        t = moe::parseAstraLog(text, gpus, "fuzz.log");
    } catch (const moe::InputError&) {
        return 0;
    }
    using moe::fuzz::expect;
    expect(int(t.perGpuUs.size()) == gpus, "one time per GPU");
    double most = 0;
    for (double us : t.perGpuUs) {
        expect(std::isfinite(us) && us >= 0, "a time is finite and not negative");
        most = std::max(most, us);
    }
    expect(t.totalUs == most, "the total is the slowest GPU's time");
    return 0;
}
