#include "factory.hpp"

#include "eigen_backend.hpp"
#include "../errors.hpp"

namespace moe {

BackendChoice makeBackend(const std::string& name, const std::string& deviceHint) {
    (void)deviceHint;
    BackendChoice c;
    if (name == "eigen") {
        c.backend = std::make_unique<EigenBackend>();
        return c;
    }
    if (name != "opencl") throw InputError("--backend", "must be one of eigen|opencl (got '" + name + "')");
    c.backend = std::make_unique<EigenBackend>();
    c.fallbackReason = "OpenCL backend not built";
    return c;
}

} // namespace moe
