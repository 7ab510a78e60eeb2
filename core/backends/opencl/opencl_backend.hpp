#pragma once
// The whole MoE layer on an OpenCL device: router GEMM, scores, top-k, capacity,
// expert choice, dispatch, grouped expert FFNs, combine and the metrics' reductions.
// Kernels: shaders/*.cl. Buffers grow only, so a steady shape allocates nothing.
#include <string>

#include "../backend.hpp"
#include "cl_runtime.hpp"

namespace moe {

class OpenCLBackend final : public Backend {
public:
    // Throws std::runtime_error (with the reason) when no device fits or kernels fail to build.
    // Expert GEMM kernels: register-blocked (expert_ffn.cl) for CPU devices, work-group
    // tiled (expert_ffn_tiled.cl) for GPUs; Auto picks by device type, and
    // $MOELAB_CL_KERNELS=tiled|blocked overrides it.
    enum class FfnKernels { Auto, Blocked, Tiled };
    explicit OpenCLBackend(const std::string& deviceHint = "", FfnKernels kernels = FfnKernels::Auto);
    ~OpenCLBackend() override;

    std::string name() const override { return "opencl"; }
    std::string device() const override { return m_device.label(); }
    bool onCpu() const override { return m_device.type == "CPU"; }
    bool tiledKernels() const { return m_tiled; }
    Routing route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) override;
    void experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) override;
    ScoreSums metricSums(const Routing& r) override;

    // The language model's ops (shaders/lm.cl, shaders/attention.cl; opencl_lm.cpp). Each call
    // uploads its host inputs, runs and reads the result back, as the forward pass hands
    // them over layer by layer. Keeping the activations and the KV cache in device buffers
    // between calls (and the weights, uploaded once per version as the experts' are) would
    // remove every transfer but the tokens in and the logits out.
    void rmsNorm(const Mat& x, const Vec& gain, float eps, Mat& out) override;
    void linear(const Mat& x, const Mat& w, Mat& out) override;
    void rope(Mat& qk, int heads, const RopeTable& table, int firstPos) override;
    void causalAttention(const Mat& q, const Mat& k, const Mat& v, const AttentionShape& s, int firstPos,
                         Mat& out) override;

    bool programFromCache() const { return m_fromCache; }
    const std::string& programCachePath() const { return m_cachePath; }
    const std::string& buildLog() const { return m_buildLog; }  // the kernels' compiler output
    // The last OpenCL call that failed, with its error code ("" when none has).
    const std::string& lastError() const { return m_lastError; }

private:
    // A device buffer that only grows.
    struct DeviceBuffer {
        cl::Buffer buf;
        size_t capacity = 0;
    };
    struct Buffers {
        // weights, re-uploaded when their version changes
        DeviceBuffer routerWt, noiseWt, routerB, w1t, b1, w2t, b2, wgt, bg;
        // routing
        DeviceBuffer x, jitter, logits, noiseLogits, eps, z, scores, bias, keys, choices, weights, norms;
        DeviceBuffer requested, load, overflow, order, kept, picked, ecExpert, ecWeight, ecCount, draws, skipped, caps;
        // experts
        DeviceBuffer slotExpert, slotKept, slotToken, slotWeight, slotBegin, offsets, rowToken, slotRow;
        DeviceBuffer xg, tileExpert, tileRow, tileRows, h, y, out;
        // metrics
        DeviceBuffer mLogits, mScores, mP, mZ2, mEntropy, mSums;
    };
    struct Kernels {
        cl::Kernel routerLinear, scores, topk, priorityOrder, capacityDrop, capacityReroute;
        cl::Kernel expertChoiceSelect, expertChoiceGather, bucketSlots, gatherRows, ffnUp, ffnDown, combine;
        cl::Kernel tokenStats, columnSums;
        cl::Kernel ffnUpTiled, ffnDownTiled, routerLinearTiled;  // the GPU's GEMMs (m_tiled)
    };
    struct LmKernels {
        cl::Kernel rmsNorm, linearBlocked, linearTiled, rope, attention, attentionTiled;  // *Tiled: m_tiled
    };
    struct LmBuffers {
        DeviceBuffer x, w, gain, cos, sin, q, k, v, out;
    };

    cl::Buffer& ensure(DeviceBuffer& b, size_t bytes);
    // x · Wᵀ (+ bias) into out, on the router kernel this device uses.
    void launchRouterLinear(cl::Buffer& x, cl::Buffer& jitter, bool useJitter, cl::Buffer& wt, bool useBias,
                            cl::Buffer& out, int T, int D, int E, int Ep);
    // Non-blocking unless asked: the caller keeps `data` alive until a blocking call.
    cl::Buffer& upload(DeviceBuffer& b, const void* data, size_t bytes, bool blocking = false);
    void download(DeviceBuffer& b, void* data, size_t bytes, bool blocking);
    void launch(cl::Kernel& k, const cl::NDRange& global, const cl::NDRange& local = cl::NullRange);
    void uploadRouter(const ModelWeights& w);
    void uploadExperts(const ModelWeights& w);
    // Rethrows an OpenCL error as std::runtime_error naming the stage, the failing call
    // and its error code, and keeps that text for lastError().
    [[noreturn]] void fail(const char* stage, const cl::Error& e);

    // The steps of route(): logits, noise and scores, then selection keys and top-k.
    void scoreTokens(const ModelWeights& w, const RouterConfig& cfg, const Mat& x, const Vec& bias, Mat& jitterHold,
                     Mat& noiseHold);
    struct ExpertTiles {
        std::vector<int> expert, row, rows;  // per tile: its expert, first gathered row, row count
    };
    void runExpertTiles(const ModelWeights& w, const std::vector<int>& offsets, cl::Buffer& bx, cl::Buffer& brt,
                        cl::Buffer& by, ExpertTiles& tiles);
    void capacityTokenChoice(const RouterConfig& cfg, Routing& r);
    cl::Buffer& capacityOrder(const RouterConfig& cfg, const Routing& r);
    int dynamicCapacityFromDevice(const RouterConfig& cfg, const Routing& r);
    void downloadCapacity(Routing& r, bool choicesRead);
    void selectExpertChoice(const RouterConfig& cfg, Routing& r);

    opencl::DeviceInfo m_device;
    cl::Context m_context;
    cl::CommandQueue m_queue;
    cl::Program m_program;
    Kernels m_k;
    Buffers m_b;
    LmKernels m_lmk;
    LmBuffers m_lmb;
    bool m_fp64 = false;
    bool m_tiled = false;
    bool m_fromCache = false;
    std::string m_cachePath, m_lastError, m_buildLog;
    uint64_t m_routerVersion = 0, m_expertsVersion = 0;
};

}  // namespace moe
