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
        // Asked for by name, OpenCL that cannot run is bad input; auto falls back.
        if (kind == BackendKind::OpenCL) throw InputError("--backend opencl", e.what());
        c.backend = std::make_unique<EigenBackend>();
        c.fallbackReason = e.what();
    }
    return c;
}

}  // namespace moe
