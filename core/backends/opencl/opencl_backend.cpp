#include "opencl_backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "../../capacity.hpp"
#include "../../errors.hpp"
#include "../../router.hpp"
#include "../../routing_stages.hpp"
#include "../../settings_schema.hpp"
#include "cl_util.hpp"

namespace moe {
namespace {

constexpr size_t kHostMetricsBelow = 16384;  // tokens x experts whose metric sums stay on the host
constexpr int kLanes = 16;                   // experts per work-item in router.cl (float16)

using opencl::kRowsPerTile;
using opencl::roundUp;
using opencl::setArgs;

const char* clErrorName(cl_int code) {
    switch (code) {
        case CL_DEVICE_NOT_FOUND:
            return "CL_DEVICE_NOT_FOUND";
        case CL_DEVICE_NOT_AVAILABLE:
            return "CL_DEVICE_NOT_AVAILABLE";
        case CL_MEM_OBJECT_ALLOCATION_FAILURE:
            return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
        case CL_OUT_OF_RESOURCES:
            return "CL_OUT_OF_RESOURCES";
        case CL_OUT_OF_HOST_MEMORY:
            return "CL_OUT_OF_HOST_MEMORY";
        case CL_BUILD_PROGRAM_FAILURE:
            return "CL_BUILD_PROGRAM_FAILURE";
        case CL_INVALID_VALUE:
            return "CL_INVALID_VALUE";
        case CL_INVALID_CONTEXT:
            return "CL_INVALID_CONTEXT";
        case CL_INVALID_MEM_OBJECT:
            return "CL_INVALID_MEM_OBJECT";
        case CL_INVALID_PROGRAM_EXECUTABLE:
            return "CL_INVALID_PROGRAM_EXECUTABLE";
        case CL_INVALID_KERNEL_NAME:
            return "CL_INVALID_KERNEL_NAME";
        case CL_INVALID_KERNEL_ARGS:
            return "CL_INVALID_KERNEL_ARGS";
        case CL_INVALID_ARG_INDEX:
            return "CL_INVALID_ARG_INDEX";
        case CL_INVALID_ARG_VALUE:
            return "CL_INVALID_ARG_VALUE";
        case CL_INVALID_ARG_SIZE:
            return "CL_INVALID_ARG_SIZE";
        case CL_INVALID_WORK_GROUP_SIZE:
            return "CL_INVALID_WORK_GROUP_SIZE";
        case CL_INVALID_GLOBAL_WORK_SIZE:
            return "CL_INVALID_GLOBAL_WORK_SIZE";
        case CL_INVALID_BUFFER_SIZE:
            return "CL_INVALID_BUFFER_SIZE";
        case CL_INVALID_COMMAND_QUEUE:
            return "CL_INVALID_COMMAND_QUEUE";
        default:
            return "CL error";
    }
}

}  // namespace

OpenCLBackend::OpenCLBackend(const std::string& hint, FfnKernels kernels) {
    std::string why;
    auto dev = opencl::chooseDevice(hint, why);
    if (!dev) throw std::runtime_error(why);
    m_device = *dev;
    if (kernels == FfnKernels::Auto) {
        const char* env = std::getenv("MOELAB_CL_KERNELS");
        const std::string choice = env ? env : "";
        kernels = choice == "tiled"        ? FfnKernels::Tiled
                  : choice == "blocked"    ? FfnKernels::Blocked
                  : m_device.type == "GPU" ? FfnKernels::Tiled
                                           : FfnKernels::Blocked;
    }
    m_tiled = kernels == FfnKernels::Tiled;
    try {
        m_context = cl::Context(m_device.device);
        m_queue = cl::CommandQueue(m_context, m_device.device);
        const std::string ext = m_device.device.getInfo<CL_DEVICE_EXTENSIONS>();
        m_fp64 = ext.find("cl_khr_fp64") != std::string::npos;
        std::string options = "-cl-std=CL1.2 -DRM=" + std::to_string(kRowsPerTile);
        if (m_fp64) options += " -DMOE_HAVE_FP64";
        auto built = opencl::buildProgram(m_context, m_device, opencl::kernelSource(), options);
        m_program = built.program;
        m_fromCache = built.fromCache;
        m_cachePath = built.cachePath;
        m_buildLog = built.buildLog;
        const auto kernel = [&](const char* name) { return cl::Kernel(m_program, name); };
        m_k = {kernel("router_linear"),
               kernel("scores"),
               kernel("topk"),
               kernel("priority_order"),
               kernel("capacity_drop"),
               kernel("capacity_reroute"),
               kernel("expert_choice_select"),
               kernel("expert_choice_gather"),
               kernel("bucket_slots"),
               kernel("gather_rows"),
               kernel("ffn_up"),
               kernel("ffn_down"),
               kernel("combine"),
               kernel("token_stats"),
               kernel("column_sums"),
               kernel("ffn_up_tiled"),
               kernel("ffn_down_tiled"),
               kernel("router_linear_tiled")};
        m_lmk = {kernel("rms_norm"), kernel("linear_blocked"),   kernel("linear_tiled"),
                 kernel("rope"),     kernel("causal_attention"), kernel("causal_attention_tiled")};
    } catch (const cl::Error& e) {
        fail(("setting up " + m_device.label()).c_str(), e);
    }
}

OpenCLBackend::~OpenCLBackend() = default;

void OpenCLBackend::fail(const char* stage, const cl::Error& e) {
    m_lastError = std::string(e.what()) + " returned " + clErrorName(e.err()) + " (" + std::to_string(e.err()) + ")";
    throw std::runtime_error(std::string("OpenCL ") + stage + " failed: " + m_lastError);
}

cl::Buffer& OpenCLBackend::ensure(DeviceBuffer& b, size_t bytes) {
    bytes = std::max<size_t>(bytes, 64);  // no zero-size buffers
    if (bytes > b.capacity) {
        b.buf = cl::Buffer(m_context, CL_MEM_READ_WRITE, bytes);
        b.capacity = bytes;
    }
    return b.buf;
}

cl::Buffer& OpenCLBackend::upload(DeviceBuffer& b, const void* data, size_t bytes, bool blocking) {
    cl::Buffer& buf = ensure(b, bytes);
    if (bytes) m_queue.enqueueWriteBuffer(buf, blocking ? CL_TRUE : CL_FALSE, 0, bytes, data);
    return buf;
}

void OpenCLBackend::download(DeviceBuffer& b, void* data, size_t bytes, bool blocking) {
    if (bytes) m_queue.enqueueReadBuffer(b.buf, blocking ? CL_TRUE : CL_FALSE, 0, bytes, data);
}

void OpenCLBackend::launch(cl::Kernel& k, const cl::NDRange& global, const cl::NDRange& local) {
    m_queue.enqueueNDRangeKernel(k, cl::NullRange, global, local);
}

void OpenCLBackend::uploadRouter(const ModelWeights& w) {
    if (m_routerVersion == w.version && w.version != 0) return;
    const int E = w.shape.experts, D = w.shape.dim, Ep = static_cast<int>(roundUp(E, kLanes));
    // Transposed to [D][Ep] and zero-padded for router.cl's 16-wide loads.
    const auto padT = [&](const Mat& m) {
        std::vector<float> t(size_t(D) * Ep, 0.0f);
        Eigen::Map<Mat, 0, Eigen::OuterStride<>>(t.data(), D, E, Eigen::OuterStride<>(Ep)) = m.transpose();
        return t;
    };
    std::vector<float> b(Ep, 0.0f);
    Eigen::Map<Vec>(b.data(), E) = w.routerB;
    const auto wt = padT(w.routerW), nt = padT(w.noiseW);
    upload(m_b.routerWt, wt.data(), wt.size() * 4, true);
    upload(m_b.noiseWt, nt.data(), nt.size() * 4, true);
    upload(m_b.routerB, b.data(), b.size() * 4, true);
    m_routerVersion = w.version;
}

void OpenCLBackend::launchRouterLinear(cl::Buffer& x, cl::Buffer& jitter, bool useJitter, cl::Buffer& wt, bool useBias,
                                       cl::Buffer& out, int T, int D, int E, int Ep) {
    if (m_tiled) {  // 16 x 16 work-items per 64 tokens x 16 experts
        cl::Kernel& k = m_k.routerLinearTiled;
        setArgs(k, x, jitter, int(useJitter), wt, m_b.routerB.buf, int(useBias), out, T, D, E, Ep);
        launch(k, cl::NDRange(Ep, roundUp(T, 64) / 64 * 16), cl::NDRange(16, 16));
    } else {
        setArgs(m_k.routerLinear, x, jitter, int(useJitter), wt, m_b.routerB.buf, int(useBias), out, T, D, E, Ep);
        launch(m_k.routerLinear, cl::NDRange(Ep / kLanes, T));
    }
}

void OpenCLBackend::scoreTokens(const ModelWeights& w, const RouterConfig& cfg, const Mat& x, const Vec& bias,
                                Mat& jitterHold, Mat& noiseHold) {
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols()), E = w.shape.experts;
    const size_t TE = size_t(T) * E;
    const int Ep = static_cast<int>(roundUp(E, kLanes));
    // Uploads do not block: jitterHold and noiseHold live until route()'s blocking download.
    cl::Buffer& bx = upload(m_b.x, x.data(), x.size() * 4);
    const bool jitter = cfg.jitter > 0;
    if (jitter) {
        jitterHold = jitterFactors(T, D, cfg.jitter, cfg.noiseSeed);
        upload(m_b.jitter, jitterHold.data(), jitterHold.size() * 4);
    }
    cl::Buffer& bj = ensure(m_b.jitter, jitter ? size_t(T) * D * 4 : 4);
    cl::Buffer& blog = ensure(m_b.logits, TE * 4);
    launchRouterLinear(bx, bj, jitter, m_b.routerWt.buf, true, blog, T, D, E, Ep);
    cl::Buffer& bnl = ensure(m_b.noiseLogits, TE * 4);
    if (cfg.noisyTopk) {  // the noise's scale x·W_noise, then the draws from the host's generator
        noiseHold = routingNoise(T, E, cfg.noiseSeed);
        upload(m_b.eps, noiseHold.data(), noiseHold.size() * 4);
        launchRouterLinear(bx, bj, jitter, m_b.noiseWt.buf, false, bnl, T, D, E, Ep);
    }
    cl::Buffer& beps = ensure(m_b.eps, cfg.noisyTopk ? TE * 4 : 4);
    cl::Buffer& bz = ensure(m_b.z, TE * 4);
    cl::Buffer& bs = ensure(m_b.scores, TE * 4);
    setArgs(m_k.scores, blog, bnl, beps, int(cfg.noisyTopk), cfg.temperature, int(cfg.score == ScoreFn::Sigmoid), bz,
            bs, T, E);
    launch(m_k.scores, cl::NDRange(T));

    const bool tokenChoice = cfg.mode == RoutingMode::TokenChoice;
    cl::Buffer& bb = upload(m_b.bias, bias.data(), size_t(E) * 4);
    const size_t TK = size_t(T) * cfg.k;
    const int groups = tokenChoice ? cfg.groups : 1;
    const int keep = cfg.topkGroups == 0 ? groups : cfg.topkGroups;
    setArgs(m_k.topk, bz, bs, bb, cfg.temperature, groups, keep, int(cfg.groupScore == GroupScore::Top2Sum),
            int(cfg.renormalize), ensure(m_b.keys, TE * 4), ensure(m_b.choices, TK * 4), ensure(m_b.weights, TK * 4),
            ensure(m_b.norms, size_t(T) * 4), T, E, tokenChoice ? cfg.k : 0);
    launch(m_k.topk, cl::NDRange(T));
}

Routing OpenCLBackend::route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) {
    const int E = w.shape.experts, T = static_cast<int>(x.rows());
    validate(cfg, E);
    const Vec bias = effectiveBias(w, cfg);
    if (T == 0) {  // nothing to launch; the reference's empty routing
        RouterLogits none;
        none.logits.resize(0, E);
        return decideRouting(std::move(none), cfg, bias);
    }
    try {
        uploadRouter(w);
        Routing r;
        r.tokens = T;
        r.experts = E;
        r.k = cfg.k;
        r.mode = cfg.mode;
        r.capacity = layerCapacity(cfg, T, E);
        r.requested.assign(E, 0);
        r.kept.assign(E, 0);
        r.overflow.assign(E, 0);
        Mat jitterHold, noiseHold;  // host data of non-blocking uploads, alive until the final download
        scoreTokens(w, cfg, x, bias, jitterHold, noiseHold);
        if (cfg.mode == RoutingMode::TokenChoice)
            capacityTokenChoice(cfg, r);
        else
            selectExpertChoice(cfg, r);
        const size_t TE = size_t(T) * E;
        r.logits.resize(T, E);
        r.scores.resize(T, E);
        download(m_b.logits, r.logits.data(), TE * 4, false);
        download(m_b.scores, r.scores.data(), TE * 4, true);
        r.padded = cfg.padToCapacity && r.capacity >= 0;
        return r;
    } catch (const cl::Error& e) {
        fail("routing", e);
    }
}

ScoreSums OpenCLBackend::metricSums(const Routing& r) {
    const int T = r.tokens, E = r.experts;
    // A few thousand numbers are summed on the host in less time than one round trip to
    // the device takes (upload, two kernels, a blocking read: 0.1 ms on PoCL, against
    // 0.02 ms for a classroom's 256 x 8); the routing's logits and scores are there already.
    if (size_t(T) * E < kHostMetricsBelow) return Backend::metricSums(r);
    ScoreSums out;
    out.normalizedScores.assign(E, 0.0);
    try {
        const size_t real = m_fp64 ? 8 : 4, TE = size_t(T) * E;
        cl::Buffer& bl = upload(m_b.mLogits, r.logits.data(), TE * 4);
        cl::Buffer& bs = upload(m_b.mScores, r.scores.data(), TE * 4);
        cl::Buffer& bp = ensure(m_b.mP, TE * real);
        cl::Buffer& bz = ensure(m_b.mZ2, size_t(T) * real);
        cl::Buffer& bh = ensure(m_b.mEntropy, size_t(T) * real);
        cl::Buffer& bsum = ensure(m_b.mSums, size_t(E + 2) * real);
        setArgs(m_k.tokenStats, bl, bs, bp, bz, bh, T, E);
        launch(m_k.tokenStats, cl::NDRange(T));
        setArgs(m_k.columnSums, bp, bz, bh, bsum, T, E);
        launch(m_k.columnSums, cl::NDRange(E + 2));
        std::vector<double> sums(E + 2);
        if (m_fp64) {
            download(m_b.mSums, sums.data(), sums.size() * 8, true);
        } else {
            std::vector<float> f(E + 2);
            download(m_b.mSums, f.data(), f.size() * 4, true);
            std::copy(f.begin(), f.end(), sums.begin());
        }
        std::copy(sums.begin(), sums.begin() + E, out.normalizedScores.begin());
        out.zSquared = sums[E];
        out.entropy = sums[E + 1];
        return out;
    } catch (const cl::Error& e) {
        fail("metrics", e);
    }
}

}  // namespace moe
