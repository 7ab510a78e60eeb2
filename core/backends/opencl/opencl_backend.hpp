#pragma once
// The whole MoE layer on an OpenCL device: router GEMM, scores, top-k, capacity,
// expert choice, dispatch, grouped expert FFNs, combine and the metrics' reductions.
// Kernels: shaders/*.cl. Buffers grow only, so a steady shape allocates nothing.
#include <map>
#include <memory>
#include <string>

#include "../backend.hpp"
#include "cl_runtime.hpp"

namespace moe {

class OpenCLBackend final : public Backend {
public:
    // Throws std::runtime_error (with the reason) when no device fits or kernels fail to build.
    explicit OpenCLBackend(const std::string& deviceHint = "");
    ~OpenCLBackend() override;

    std::string name() const override { return "opencl"; }
    std::string device() const override { return m_device.label(); }
    Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) override;
    void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) override;
    ScoreSums metricSums(const Routing& r) override;

    bool programFromCache() const { return m_fromCache; }
    const std::string& programCachePath() const { return m_cachePath; }

private:
    struct Buffer {
        cl::Buffer buf;
        size_t capacity = 0;
    };
    cl::Buffer& ensure(const std::string& name, size_t bytes);
    // Non-blocking unless asked: the caller keeps `data` alive until a blocking call.
    cl::Buffer& upload(const std::string& name, const void* data, size_t bytes, bool blocking = false);
    void download(const std::string& name, void* data, size_t bytes, bool blocking);
    cl::Kernel& kernel(const std::string& name);
    void uploadRouter(const ModelWeights& w);
    void uploadExperts(const ModelWeights& w);

    opencl::DeviceInfo m_device;
    cl::Context m_context;
    cl::CommandQueue m_queue;
    cl::Program m_program;
    bool m_fp64 = false;
    bool m_fromCache = false;
    std::string m_cachePath;
    std::map<std::string, cl::Kernel> m_kernels;
    std::map<std::string, Buffer> m_buffers;
    uint64_t m_routerVersion = 0, m_expertsVersion = 0;
};

} // namespace moe
