#include "cl_runtime.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "../../atomic_file.hpp"
#include "../../errors.hpp"
#include "../../rng.hpp"

namespace moe::shaders {
struct Embedded {
    const char* name;
    const char* text;
    std::size_t size;
};
extern const Embedded kEmbedded[];
}  // namespace moe::shaders

namespace moe::opencl {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\0' || std::isspace(static_cast<unsigned char>(s.back())))) s.pop_back();
    return s;
}

}  // namespace

std::vector<DeviceInfo> listDevices(std::string* why) {
    std::vector<DeviceInfo> out;
    std::vector<cl::Platform> platforms;
    try {
        cl::Platform::get(&platforms);
    } catch (const cl::Error& e) {
        if (why)
            *why = "no OpenCL platform (ICD loader found none: install pocl-opencl-icd or a GPU driver; " +
                   std::string(e.what()) + " " + std::to_string(e.err()) + ")";
        return out;
    }
    for (const auto& p : platforms) {
        std::vector<cl::Device> devices;
        try {
            p.getDevices(CL_DEVICE_TYPE_ALL, &devices);
        } catch (const cl::Error&) {
            continue;
        }
        for (const auto& d : devices) {
            DeviceInfo info;
            info.platform = trim(p.getInfo<CL_PLATFORM_NAME>());
            info.name = trim(d.getInfo<CL_DEVICE_NAME>());
            const auto type = d.getInfo<CL_DEVICE_TYPE>();
            info.type = (type & CL_DEVICE_TYPE_GPU) ? "GPU" : (type & CL_DEVICE_TYPE_CPU) ? "CPU" : "other";
            info.platformHandle = p;
            info.device = d;
            out.push_back(info);
        }
    }
    if (out.empty() && why && why->empty()) *why = "OpenCL platforms found, but no devices";
    return out;
}

std::optional<DeviceInfo> chooseDevice(const std::string& hintFlag, std::string& why) {
    std::string hint = hintFlag;
    if (hint.empty())
        if (const char* env = std::getenv("MOELAB_CL_DEVICE")) hint = env;
    const auto devices = listDevices(&why);
    if (devices.empty()) {
        if (why.empty()) why = "no OpenCL device";
        return std::nullopt;
    }
    if (!hint.empty()) {
        for (const auto& d : devices)
            if (lower(d.name).find(lower(hint)) != std::string::npos ||
                lower(d.platform).find(lower(hint)) != std::string::npos)
                return d;
        std::string names;
        for (const auto& d : devices) names += (names.empty() ? "" : "; ") + d.label();
        why = "no OpenCL device matches '" + hint + "' (available: " + names + ")";
        return std::nullopt;
    }
    for (const auto& d : devices)
        if (d.type == "GPU") return d;
    for (const auto& d : devices)
        if (d.type == "CPU") return d;
    return devices.front();
}

std::string kernelSource() {
    const char* dir = std::getenv("MOELAB_KERNEL_DIR");
    std::string src;
    for (const auto* k = shaders::kEmbedded; k->name; ++k) {
        if (dir && *dir) {
            const std::string path = std::string(dir) + "/" + k->name + ".cl";
            src += readFile(path);  // InputError names the file when missing
        } else {
            src.append(k->text, k->size);
        }
        src += "\n";
    }
    return src;
}

std::string cacheDirectory() {
    if (const char* c = std::getenv("MOELAB_CL_CACHE"); c && *c) return c;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/moelab";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/moelab";
    return std::filesystem::temp_directory_path().string() + "/moelab-cache";
}

BuiltProgram buildProgram(const cl::Context& ctx, const DeviceInfo& dev, const std::string& source,
                          const std::string& options) {
    const std::string identity =
        dev.platform + "|" + dev.name + "|" + dev.device.getInfo<CL_DRIVER_VERSION>() + "|" + options + "|" + source;
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(hashName(identity)));
    BuiltProgram out;
    out.cachePath = cacheDirectory() + "/kernels-" + key + ".bin";

    // The cached binary, when there is one that still builds.
    std::error_code ec;
    if (std::filesystem::exists(out.cachePath, ec)) {
        try {
            const std::string bin = readFile(out.cachePath);
            cl::Program::Binaries bins{std::vector<unsigned char>(bin.begin(), bin.end())};
            cl::Program p(ctx, {dev.device}, bins);
            p.build({dev.device}, options.c_str());
            out.program = p;
            out.fromCache = true;
            out.buildLog =
                std::filesystem::exists(out.cachePath + ".log", ec)
                    ? readFile(out.cachePath + ".log")
                    : "(no log recorded: an earlier moelab built this; delete " + out.cachePath + " to rebuild)";
            return out;
        } catch (const std::exception&) {
            // stale or foreign binary: rebuild from source below
        }
    }
    cl::Program p(ctx, source);
    try {
        p.build({dev.device}, options.c_str());
    } catch (const cl::Error&) {
        const std::string log = p.getBuildInfo<CL_PROGRAM_BUILD_LOG>(dev.device);
        std::cerr << "moelab: OpenCL kernel build failed on " << dev.label() << ":\n" << log << "\n";
        throw std::runtime_error("kernel build failed on " + dev.name + ": " + log.substr(0, 2000));
    }
    out.program = p;
    out.buildLog = p.getBuildInfo<CL_PROGRAM_BUILD_LOG>(dev.device);
    while (!out.buildLog.empty() && std::isspace(static_cast<unsigned char>(out.buildLog.back())))
        out.buildLog.pop_back();
    try {
        const auto bins = p.getInfo<CL_PROGRAM_BINARIES>();
        if (!bins.empty() && !bins[0].empty()) {
            std::filesystem::create_directories(cacheDirectory(), ec);
            writeFileAtomic(out.cachePath + ".log", out.buildLog);
            writeFileAtomic(out.cachePath, std::string(bins[0].begin(), bins[0].end()));
        }
    } catch (const std::exception&) {
        // A cache we cannot write only costs the next start a compile.
    }
    return out;
}

}  // namespace moe::opencl
