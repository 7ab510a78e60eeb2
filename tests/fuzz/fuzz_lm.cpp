// Language model files (core/lm/lm_model parseLm: safetensors with a Mixtral config in its
// metadata, F32, F16 or BF16 tensors). A file that loads runs: three bytes through every
// layer as trained give finite log-probabilities, or an InputError that names the tensor.
#include <cmath>
#include <cstdint>
#include <string>

#include "backends/eigen_backend.hpp"
#include "errors.hpp"
#include "fuzz_support.hpp"
#include "lm/lm_forward.hpp"
#include "lm/lm_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    moe::LmModel m;
    try {
        m = moe::parseLm(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    } catch (const moe::InputError&) {
        return 0;
    }
    moe::EigenBackend eigen;
    try {
        const moe::LmRun run = moe::runLm(eigen, m, moe::trainedRouting(m.config), "a\xE5\xBA");
        moe::fuzz::expect(run.logprobs.allFinite(), "a model that loaded gave a non-finite log-probability");
        moe::fuzz::expect(std::isfinite(run.bitsPerByte), "a model that loaded gave non-finite bits per byte");
    } catch (const moe::InputError&) {}
    return 0;
}
