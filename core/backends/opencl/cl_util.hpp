#pragma once
// Small helpers shared by the OpenCL backend's source files.
#include <cstddef>
#include <utility>

#include "cl.hpp"

namespace moe::opencl {

inline size_t roundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Sets a kernel's arguments in order.
template <typename... Args>
void setArgs(cl::Kernel& k, Args&&... args) {
    cl_uint i = 0;
    (k.setArg(i++, std::forward<Args>(args)), ...);
}

}  // namespace moe::opencl
