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
// the first CPU device). Auto falls back to Eigen with the reason where OpenCL cannot run;
// OpenCL asked for by name throws InputError("--backend opencl", why).
BackendChoice makeBackend(BackendKind kind, const std::string& deviceHint = "");

}  // namespace moe
