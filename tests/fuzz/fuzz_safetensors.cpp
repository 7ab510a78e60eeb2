// Weights files (core/safetensors): the container alone, then as moelab weights. Round
// trip: parseWeights → serializeWeights → parseWeights gives the same bytes when written again.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_support.hpp"
#include "safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        const moe::SafetensorsFile file(bytes, "fuzz.safetensors");
        for (const auto& [name, view] : file.tensors())
            moe::fuzz::require(view.bytes <= size, "a tensor's size (past the file)");
    } catch (const moe::InputError&) {}
    moe::ModelWeights first;
    try {
        first = moe::parseWeights(bytes, "fuzz.safetensors");
    } catch (const moe::InputError&) {
        return 0;
    }
    const std::string written = moe::serializeWeights(first);
    const moe::ModelWeights again = moe::parseWeights(written, "written.safetensors");  // must not throw
    moe::fuzz::require(moe::serializeWeights(again) == written, "the weights file written");
    return 0;
}
