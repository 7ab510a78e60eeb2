#pragma once
#include <memory>
#include <string>

#include "backend.hpp"

namespace moe {

struct BackendChoice {
    std::unique_ptr<Backend> backend;
    std::string fallbackReason;  // non-empty when OpenCL was asked for but Eigen runs
};

// "eigen" or "opencl"; deviceHint is a substring of platform or device name
// (else MOELAB_CL_DEVICE, else the first GPU, else the first CPU device).
// An unusable OpenCL falls back to Eigen with the reason.
BackendChoice makeBackend(const std::string& name, const std::string& deviceHint = "");

} // namespace moe
