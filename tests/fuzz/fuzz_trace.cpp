// Router traces (core/trace: safetensors with per-layer router logits or top-k ids) and the
// engines' arrays import-trace reads (core/trace_import). A trace that loads replays every
// layer (its own rule, and token choice at capacity factor 1) within capacity, and writes
// the same bytes when read back; an imported array gives a trace that loads.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_support.hpp"
#include "trace.hpp"
#include "trace_import.hpp"

namespace {

void replayEveryLayer(const moe::RouterTrace& t) {
    for (int l = 0; l < t.numLayers(); ++l) {
        moe::RouterConfig cfg = moe::traceRouterConfig(t);
        const moe::Routing own = moe::replayTraceLayer(t, l, cfg);
        moe::fuzz::expect(own.slotCount() == t.tokenCount() * t.topK, "a dropless replay lost a slot");
        cfg.capacityFactor = 1.0;
        const moe::Routing r = moe::replayTraceLayer(t, l, cfg);
        for (int e = 0; e < r.experts; ++e)
            moe::fuzz::expect(r.kept[e] <= r.capacity, "an expert kept more than its capacity");
        for (float w : r.slotWeight) moe::fuzz::expect(w >= 0 && w <= 1.0001f, "a combine weight outside [0, 1]");
        for (const moe::CapacityPoint& p : moe::capacitySweep(t, l))
            moe::fuzz::expect(p.dropRate >= 0 && p.dropRate <= 1, "a drop rate outside [0, 1]");
    }
}

void importAs(const char* from, const std::string& bytes) {
    moe::RouterTrace t;
    try {
        t = moe::tracedChoices(moe::readRoutedExperts(from, bytes, "fuzz.json"), 0, "fuzz", "fuzz.json");
    } catch (const moe::InputError&) {
        return;
    }
    const std::string written = moe::serializeTrace(t);
    moe::fuzz::require(moe::serializeTrace(moe::parseTrace(written, "written")) == written, "an imported trace");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    importAs("vllm", bytes);
    importAs("sglang", bytes);
    moe::RouterTrace t;
    try {
        t = moe::parseTrace(bytes, "fuzz.safetensors");
    } catch (const moe::InputError&) {
        return 0;
    }
    replayEveryLayer(t);
    const std::string written = moe::serializeTrace(t);
    const moe::RouterTrace again = moe::parseTrace(written, "written.safetensors");  // must not throw
    moe::fuzz::require(moe::serializeTrace(again) == written, "the trace file written");
    return 0;
}
