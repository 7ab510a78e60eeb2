#pragma once
// Device choice, kernel sources and program building with an on-disk binary cache.
#include <optional>
#include <string>
#include <vector>

#include "cl.hpp"

namespace moe::opencl {

struct DeviceInfo {
    std::string platform, name, type;  // type: "GPU", "CPU" or "other"
    cl::Platform platformHandle;
    cl::Device device;
    std::string label() const { return name + " (" + platform + ", " + type + ")"; }
};

// Every device of every platform; empty (with why) when there is no ICD or no platform.
std::vector<DeviceInfo> listDevices(std::string* why = nullptr);

// The device to use: hint (else $MOELAB_CL_DEVICE) as a case-insensitive substring of
// platform or device name; else the first GPU; else the first CPU device.
// std::nullopt with the reason when none fits.
std::optional<DeviceInfo> chooseDevice(const std::string& hint, std::string& why);

// All kernels as one program source: embedded at build time, or read from
// $MOELAB_KERNEL_DIR/<name>.cl when that variable is set (for kernel development).
std::string kernelSource();

struct BuiltProgram {
    cl::Program program;
    bool fromCache = false;
    std::string cachePath;
    // What the compiler said (warnings, notes), kept beside the cached binary as
    // cachePath + ".log" so that a start from the cache still has it; empty when it said nothing.
    std::string buildLog;
};
// Builds (or loads from the cache, keyed by device, driver, options and source hash).
// Throws std::runtime_error carrying the build log on failure.
BuiltProgram buildProgram(const cl::Context& ctx, const DeviceInfo& dev, const std::string& source,
                          const std::string& options);

// Where cached program binaries go: $MOELAB_CL_CACHE, else $XDG_CACHE_HOME/moelab,
// else ~/.cache/moelab.
std::string cacheDirectory();

}  // namespace moe::opencl
