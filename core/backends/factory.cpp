#include "factory.hpp"

#include "../errors.hpp"
#include "eigen_backend.hpp"
#if !defined(MOELAB_NO_OPENCL)
#include "opencl/opencl_backend.hpp"
#endif

namespace moe {

BackendChoice makeBackend(BackendKind kind, const std::string& deviceHint) {
    BackendChoice c;
    if (kind == BackendKind::Eigen) {
        c.backend = std::make_unique<EigenBackend>();
        return c;
    }
#if defined(MOELAB_NO_OPENCL)  // the browser's build (.ci/web): Eigen only
    const std::string why = "this build has no OpenCL";
    if (kind == BackendKind::OpenCL) throw InputError("--backend opencl", why);
    c.backend = std::make_unique<EigenBackend>();
    c.fallbackReason = why;
#else
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
#endif
    return c;
}

}  // namespace moe
