#pragma once
// An OpenCL backend for the parity tests, or why there is none (the tests then skip,
// visibly, with that reason).
#include <exception>
#include <memory>
#include <string>

#include "backends/opencl/opencl_backend.hpp"

namespace moe::test {

struct Device {
    std::unique_ptr<OpenCLBackend> backend;
    std::string why;
};

inline Device makeDevice(OpenCLBackend::FfnKernels kernels) {
    Device out;
    try {
        out.backend = std::make_unique<OpenCLBackend>("", kernels);
    } catch (const std::exception& e) {
        out.why = e.what();
    }
    return out;
}

}  // namespace moe::test
