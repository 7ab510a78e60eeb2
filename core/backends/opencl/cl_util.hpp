#pragma once
// Small helpers shared by the OpenCL backend's source files.
#include <cstddef>
#include <utility>

#include "cl.hpp"

namespace moe::opencl {

inline constexpr int kRowsPerTile = 8;  // RM in expert_ffn.cl
inline constexpr int kTiledRows = 64;   // TT in expert_ffn_tiled.cl: rows (and columns) per work-group
inline constexpr int kFfnLanes = 32;    // outputs per work-item in expert_ffn.cl (two float16), the FFN widths' padding

inline size_t roundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Work-items along one axis of a tiled kernel: 16 per block of kTiledRows rows or outputs.
inline size_t tiledItems(size_t n) { return roundUp(n, kTiledRows) / kTiledRows * 16; }

// Sets a kernel's arguments in order.
template <typename... Args>
void setArgs(cl::Kernel& k, Args&&... args) {
    cl_uint i = 0;
    (k.setArg(i++, std::forward<Args>(args)), ...);
}

}  // namespace moe::opencl
