#include "factory.hpp"

#include "eigen_backend.hpp"
#include "opencl/opencl_backend.hpp"

#include <iostream>
#include "../errors.hpp"

namespace moe {

BackendChoice makeBackend(const std::string& name, const std::string& deviceHint) {
    BackendChoice c;
    if (name == "eigen") {
        c.backend = std::make_unique<EigenBackend>();
        return c;
    }
    if (name != "opencl") throw InputError("--backend", "must be one of eigen|opencl (got '" + name + "')");
    try {
        c.backend = std::make_unique<OpenCLBackend>(deviceHint);
    } catch (const InputError&) {
        throw;  // e.g. a missing kernel file in $MOELAB_KERNEL_DIR
    } catch (const std::exception& e) {
        c.backend = std::make_unique<EigenBackend>();
        c.fallbackReason = e.what();
    }
    return c;
}

} // namespace moe
