#include "factory.hpp"

#include "../errors.hpp"
#include "eigen_backend.hpp"
#include "opencl/opencl_backend.hpp"

namespace moe {

BackendChoice makeBackend(BackendKind kind, const std::string& deviceHint) {
    BackendChoice c;
    if (kind == BackendKind::Eigen) {
        c.backend = std::make_unique<EigenBackend>();
        return c;
    }
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
