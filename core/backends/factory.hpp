#pragma once
#include <memory>
#include <string>

#include "../settings.hpp"
#include "backend.hpp"

namespace moe {

struct BackendChoice {
    std::unique_ptr<Backend> backend;
    std::string fallbackReason;  // non-empty when OpenCL was asked for but Eigen runs
};

// Eigen, OpenCL or Auto (an OpenCL device if there is one, else Eigen). deviceHint is a
// substring of platform or device name (else MOELAB_CL_DEVICE, else the first GPU, else
// the first CPU device). An unusable OpenCL falls back to Eigen with the reason.
BackendChoice makeBackend(BackendKind kind, const std::string& deviceHint = "");

} // namespace moe
