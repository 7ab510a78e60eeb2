// OpenCL against the Eigen reference, in the style of ggml's test-backend-ops: every
// stage of the layer over a table of odd shapes and routing options. Routing must be
// identical; outputs within a normalised error of 1e-5. Without a device every test
// says "skipped: no OpenCL device: <reason>".
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "atomic_file.hpp"
#include "backends/eigen_backend.hpp"
#include "backends/factory.hpp"
#include "backends/opencl/opencl_backend.hpp"
#include "opencl_test_device.hpp"
#include "errors.hpp"
#include "embedding.hpp"
#include "experts.hpp"
#include "layer.hpp"
#include "rng.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

using test::Device;
using test::makeDevice;

Device& device() {
    static Device d = makeDevice(OpenCLBackend::FfnKernels::Auto);
    return d;
}

// The same device with the GPU kernels (work-group tiled expert GEMMs), whatever its type.
Device& tiledDevice() {
    static Device d = makeDevice(OpenCLBackend::FfnKernels::Tiled);
    return d;
}

#define REQUIRE_OPENCL() \
    if (!device().backend) GTEST_SKIP() << "skipped: no OpenCL device: " << device().why

std::string randomText(int n, uint64_t seed) {
    Rng rng(seed, "parity.text");
    std::string s(n, ' ');
    for (char& c : s) c = static_cast<char>(rng.next() & 0xFF);  // every byte value, valid UTF-8 or not
    return s;
}

struct Case {
    std::string name;
    int T = 0, E = 0, k = 0, D = 0, H = 0;
    Activation act = Activation::Relu;
    int shared = 0;
    RouterConfig cfg;
};

std::vector<Case> cases() {
    std::vector<Case> out;
    const auto add = [&](std::string name, int T, int E, int k, int D, int H, auto tweak) {
        Case c;
        c.name = std::move(name);
        c.T = T;
        c.E = E;
        c.k = k;
        c.D = D;
        c.H = H;
        c.cfg.k = k;
        tweak(c);
        out.push_back(c);
    };
    const auto none = [](Case&) {};
    // Shapes: odd token counts, expert counts and widths that are no multiple of 16.
    for (int T : {1, 7, 13, 19, 23})
        for (int E : {3, 5, 64}) add("shape", T, E, std::min(E, 1 + (T % 4)), 19, 37, none);
    add("large-T", 4099, 64, 8, 33, 70, none);
    add("large-T-k1", 4099, 5, 1, 24, 40, none);
    for (int k = 1; k <= 8; ++k) add("k", 23, 8, k, 17, 29, none);
    // Every routing option.
    add("sigmoid", 19, 5, 2, 19, 37, [](Case& c) { c.cfg.score = ScoreFn::Sigmoid; });
    add("T0-softmax", 19, 5, 3, 19, 37, [](Case& c) { c.cfg.temperature = 0; });
    add("T0-sigmoid", 19, 5, 3, 19, 37, [](Case& c) {
        c.cfg.temperature = 0;
        c.cfg.score = ScoreFn::Sigmoid;
    });
    add("T-half", 23, 64, 4, 19, 37, [](Case& c) { c.cfg.temperature = 0.5f; });
    add("raw-weights", 23, 5, 2, 19, 37, [](Case& c) { c.cfg.renormalize = false; });
    add("dropless", 23, 3, 2, 19, 37, [](Case& c) { c.cfg.capacityFactor = 0; });
    add("tight", 4099, 64, 8, 19, 37, [](Case& c) { c.cfg.capacityFactor = 0.5; });
    add("min-capacity", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.capacityFactor = 0.2;
        c.cfg.minCapacity = 3;
    });
    add("score-priority", 4099, 5, 2, 19, 37, [](Case& c) {
        c.cfg.capacityFactor = 0.7;
        c.cfg.dropPriority = DropPriority::Score;
    });
    add("reroute", 4099, 64, 8, 19, 37, [](Case& c) {
        c.cfg.capacityFactor = 0.6;
        c.cfg.overflow = Overflow::Reroute;
    });
    add("reroute-score", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.capacityFactor = 0.5;
        c.cfg.overflow = Overflow::Reroute;
        c.cfg.dropPriority = DropPriority::Score;
    });
    add("expert-choice", 23, 5, 2, 19, 37, [](Case& c) { c.cfg.mode = RoutingMode::ExpertChoice; });
    add("expert-choice-large", 4099, 64, 8, 19, 37, [](Case& c) { c.cfg.mode = RoutingMode::ExpertChoice; });
    add("expert-choice-raw", 13, 3, 1, 19, 37, [](Case& c) {
        c.cfg.mode = RoutingMode::ExpertChoice;
        c.cfg.renormalize = false;
        c.cfg.capacityFactor = 2;
    });
    add("noisy", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.noisyTopk = true;
        c.cfg.noiseSeed = 4;
    });
    add("jitter", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.jitter = 0.05f;
        c.cfg.noiseSeed = 4;
    });
    add("groups-max", 23, 64, 6, 19, 37, [](Case& c) {
        c.cfg.groups = 8;
        c.cfg.topkGroups = 3;
    });
    add("groups-top2", 4099, 64, 8, 19, 37, [](Case& c) {
        c.cfg.groups = 8;
        c.cfg.topkGroups = 4;
        c.cfg.groupScore = GroupScore::Top2Sum;
    });
    add("bias", 23, 5, 2, 19, 37, [](Case& c) { c.cfg.expertBias = {0.1f, -0.2f, 0.3f, 0.0f, 0.05f}; });
    add("gelu", 23, 5, 2, 19, 37, [](Case& c) { c.act = Activation::Gelu; });
    add("silu", 23, 5, 2, 19, 37, [](Case& c) { c.act = Activation::Silu; });
    add("swiglu-shared", 23, 5, 2, 19, 37, [](Case& c) {
        c.act = Activation::SwiGlu;
        c.shared = 2;
    });
    add("shared-only-kept", 7, 3, 1, 19, 37, [](Case& c) {
        c.shared = 1;
        c.cfg.capacityFactor = 0.01;
    });
    add("wide", 13, 5, 2, 130, 300, none);
    // The systems' rules: GShard, DeepSpeed-MoE, Tutel, Megatron.
    add("random-routing", 4099, 8, 2, 19, 37, [](Case& c) {
        c.cfg.randomRouting = true;
        c.cfg.noiseSeed = 3;
    });
    add("random-routing-k4", 23, 8, 4, 19, 37, [](Case& c) {
        c.cfg.randomRouting = true;
        c.cfg.capacityFactor = 0.5;
        c.cfg.overflow = Overflow::Reroute;
    });
    add("random-priority", 4099, 8, 2, 19, 37, [](Case& c) {
        c.cfg.dropPriority = DropPriority::Random;
        c.cfg.capacityFactor = 0.6;
        c.cfg.noiseSeed = 9;
    });
    add("random-priority-reroute", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.dropPriority = DropPriority::Random;
        c.cfg.capacityFactor = 0.5;
        c.cfg.overflow = Overflow::Reroute;
    });
    add("dynamic-capacity", 4099, 16, 2, 19, 37, [](Case& c) { c.cfg.capacityFactor = -1.5; });
    add("dynamic-capacity-loose", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.capacityFactor = -8;
        c.cfg.randomRouting = true;
    });
    add("padded", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.padToCapacity = true;
        c.cfg.capacityFactor = 1;
    });
    add("group-capacity", 4099, 16, 2, 19, 37, [](Case& c) {
        c.cfg.capacityGroups = 7;
        c.cfg.capacityFactor = 1;
    });
    add("group-capacity-reroute", 23, 5, 2, 19, 37, [](Case& c) {
        c.cfg.capacityGroups = 3;
        c.cfg.capacityFactor = 0.8;
        c.cfg.overflow = Overflow::Reroute;
        c.cfg.dropPriority = DropPriority::Score;
    });
    return out;
}

// Test logs name the case instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name << " T=" << c.T << " E=" << c.E << " k=" << c.k; }

class Parity : public ::testing::TestWithParam<Case> {};

ModelWeights weightsFor(const Case& c, uint64_t seed) {
    ModelShape s;
    s.experts = c.E;
    s.dim = c.D;
    s.hidden = c.H;
    s.activation = c.act;
    s.sharedExperts = c.shared;
    return initWeights(s, seed);
}

double maxAbs(const Mat& m) { return m.size() ? m.cwiseAbs().maxCoeff() : 0.0; }

TEST_P(Parity, RoutingIdenticalOutputsClose) {
    REQUIRE_OPENCL();
    const Case& c = GetParam();
    const ModelWeights w = weightsFor(c, 17);
    const Mat x = embedBytes(w, randomText(c.T, c.T * 31 + c.E));
    EigenBackend ref;
    OpenCLBackend& cl = *device().backend;
    LayerResult a, b;
    runLayer(ref, w, c.cfg, x, true, a);
    runLayer(cl, w, c.cfg, x, true, b);

    // router.cl + scores.cl: the same bits (same summation order, no contraction).
    EXPECT_LE(maxAbs(a.routing.logits - b.routing.logits), 0.0) << "router";
    // PoCL gives the same bits; a GPU's double exp may differ by an ulp (OpenCL allows 3).
    EXPECT_LE(maxAbs(a.routing.scores - b.routing.scores), 1e-6) << "scores";
    // topk.cl, capacity.cl, expert_choice.cl: identical decisions.
    EXPECT_EQ(a.routing.capacity, b.routing.capacity);
    EXPECT_EQ(a.routing.slotBegin, b.routing.slotBegin) << "slots";
    EXPECT_EQ(a.routing.slotExpert, b.routing.slotExpert) << "experts";
    EXPECT_EQ(a.routing.slotKept, b.routing.slotKept) << "kept";
    EXPECT_EQ(a.routing.slotChoice, b.routing.slotChoice) << "choices before reroute";
    for (int i = 0; i < a.routing.slotCount(); ++i)
        EXPECT_EQ(a.routing.skipped(i), b.routing.skipped(i)) << "random routing, slot " << i;
    EXPECT_EQ(a.routing.padded, b.routing.padded);
    EXPECT_EQ(a.routing.requested, b.routing.requested);
    EXPECT_EQ(a.routing.kept, b.routing.kept);
    EXPECT_EQ(a.routing.overflow, b.routing.overflow);
    ASSERT_EQ(a.routing.slotWeight.size(), b.routing.slotWeight.size());
    for (size_t i = 0; i < a.routing.slotWeight.size(); ++i)
        EXPECT_NEAR(a.routing.slotWeight[i], b.routing.slotWeight[i], 1e-6) << "weight " << i;
    // dispatch.cl, expert_ffn.cl, combine.cl: normalised error.
    ASSERT_EQ(a.outputs.rows(), b.outputs.rows());
    EXPECT_LT(maxAbs(a.outputs - b.outputs) / std::max(1.0, maxAbs(a.outputs)), 1e-5) << "outputs";
    EXPECT_TRUE(b.outputs.allFinite());
    // metrics.cl reductions.
    EXPECT_NEAR(a.metrics.auxLoss, b.metrics.auxLoss, 1e-9 * std::max(1.0, a.metrics.auxLoss));
    EXPECT_NEAR(a.metrics.zLoss, b.metrics.zLoss, 1e-6 * std::max(1.0, a.metrics.zLoss));
    EXPECT_NEAR(a.metrics.entropy, b.metrics.entropy, 1e-6);
    EXPECT_EQ(a.metrics.dropped, b.metrics.dropped);
}

// The expert stage alone on a device, fed the reference's routing: the largest error
// against the reference, relative to the output's size.
double expertsError(OpenCLBackend& cl, const Case& c) {
    const ModelWeights w = weightsFor(c, 5);
    const Mat x = embedBytes(w, randomText(c.T, 99));
    EigenBackend ref;
    const Routing r = ref.route(w, c.cfg, x);
    Mat a, b;
    ref.experts(w, x, r, a);
    cl.experts(w, x, r, b);
    return maxAbs(a - b) / std::max(1.0, maxAbs(a));
}

TEST_P(Parity, ExpertsOnTheReferenceRouting) {
    REQUIRE_OPENCL();
    EXPECT_LT(expertsError(*device().backend, GetParam()), 1e-5);
}

// The GPU kernels (expert_ffn_tiled.cl and router_linear_tiled) on every case of the
// table: tiles of 64 rows, a partial last tile, widths that are not multiples of 64,
// SwiGLU, shared experts, jitter; the router's logits bit for bit.
TEST_P(Parity, TiledGpuKernelsOnTheReferenceRouting) {
    if (!tiledDevice().backend) GTEST_SKIP() << "skipped: no OpenCL device: " << tiledDevice().why;
    OpenCLBackend& tiled = *tiledDevice().backend;
    ASSERT_TRUE(tiled.tiledKernels());
    const Case& c = GetParam();
    EXPECT_LT(expertsError(tiled, c), 1e-5);
    // The whole layer on the tiled kernels: the same decisions as the reference.
    const ModelWeights w = weightsFor(c, 17);
    const Mat x = embedBytes(w, randomText(c.T, c.T * 31 + c.E));
    EigenBackend ref;
    LayerResult la, lb;
    runLayer(ref, w, c.cfg, x, true, la);
    runLayer(tiled, w, c.cfg, x, true, lb);
    EXPECT_TRUE(la.routing.logits == lb.routing.logits) << "router_linear_tiled's logits differ from the reference's";
    EXPECT_EQ(la.routing.slotExpert, lb.routing.slotExpert);
    EXPECT_LT(maxAbs(la.outputs - lb.outputs) / std::max(1.0, maxAbs(la.outputs)), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Table, Parity, ::testing::ValuesIn(cases()), [](const auto& info) {
    const Case& c = info.param;
    std::string n = c.name + "_T" + std::to_string(c.T) + "_E" + std::to_string(c.E) + "_k" + std::to_string(c.k);
    for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
});

TEST(OpenCL, SentenceRoutingMatchesTheReference) {
    // Sentence level: the gate sees each sentence's mean embedding; bytes follow their sentence.
    REQUIRE_OPENCL();
    Case c;
    c.E = 4;
    c.D = 19;
    c.H = 37;
    const ModelWeights w = weightsFor(c, 23);
    const std::string text = "这个电影真是太精彩了！Service was awful. 房间也很脏。\nOK";
    const Mat x = embedBytes(w, text);
    RouterConfig cfg;
    cfg.level = RouteLevel::Sentence;
    cfg.capacityFactor = 1;
    EigenBackend ref;
    LayerResult a, b;
    runLayer(ref, w, cfg, text, x, true, a);
    runLayer(*device().backend, w, cfg, text, x, true, b);
    ASSERT_EQ(a.unitRouting.tokens, 4);
    EXPECT_EQ(a.unitRouting.slotExpert, b.unitRouting.slotExpert);
    EXPECT_EQ(a.unitRouting.slotKept, b.unitRouting.slotKept);
    EXPECT_EQ(a.routing.slotExpert, b.routing.slotExpert);
    EXPECT_LT(maxAbs(a.outputs - b.outputs) / std::max(1.0, maxAbs(a.outputs)), 1e-5);
}

TEST(OpenCL, EmptyInput) {
    REQUIRE_OPENCL();
    ModelShape s;
    const ModelWeights w = initWeights(s, 1);
    LayerResult r;
    runLayer(*device().backend, w, RouterConfig{}, Mat(0, s.dim), true, r);
    EXPECT_EQ(r.routing.tokens, 0);
    EXPECT_EQ(r.outputs.rows(), 0);
    EXPECT_EQ(r.metrics.auxLoss, 0.0);
}

TEST(OpenCL, WeightsChangeIsSeen) {
    // A new set of weights (new version) must be uploaded again, not served stale.
    REQUIRE_OPENCL();
    ModelShape s;
    ModelWeights w = initWeights(s, 1);
    const Mat x = embedBytes(w, "abc");
    LayerResult a, b;
    runLayer(*device().backend, w, RouterConfig{}, x, true, a);
    w.experts[0].b2.array() += 1.0f;
    w.routerB.array() += 0.5f;
    w.touch();
    runLayer(*device().backend, w, RouterConfig{}, x, true, b);
    EigenBackend ref;
    LayerResult c;
    runLayer(ref, w, RouterConfig{}, x, true, c);
    EXPECT_EQ(b.routing.logits, c.routing.logits);
    EXPECT_LT(maxAbs(b.outputs - c.outputs), 1e-5);
}

class EnvGuard {
public:
    EnvGuard(const char* name, const std::string& value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
            m_had = true;
        }
        setenv(name, value.c_str(), 1);
    }
    ~EnvGuard() {
        if (m_had)
            setenv(m_name, m_old.c_str(), 1);
        else
            unsetenv(m_name);
    }

private:
    const char* m_name;
    std::string m_old;
    bool m_had = false;
};

TEST(OpenCL, ProgramIsCachedOnDisk) {
    REQUIRE_OPENCL();
    const auto dir = std::filesystem::temp_directory_path() / ("moelab_cl_cache_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    EnvGuard cache("MOELAB_CL_CACHE", dir.string());
    OpenCLBackend first;
    EXPECT_FALSE(first.programFromCache());
    EXPECT_TRUE(std::filesystem::exists(first.programCachePath()));
    OpenCLBackend second;
    EXPECT_TRUE(second.programFromCache());  // the second start compiles nothing
    std::filesystem::remove_all(dir);
}

// Auto falls back to Eigen and says why; OpenCL asked for by name is bad input.
TEST(OpenCL, UnknownDeviceFallsBackWithReasonOnlyForAuto) {
    const BackendChoice c = makeBackend(BackendKind::Auto, "no-such-device-xyz");
    EXPECT_EQ(c.backend->name(), "eigen");
    EXPECT_NE(c.fallbackReason.find("no-such-device-xyz"), std::string::npos) << c.fallbackReason;
    const std::string field = test::inputErrorField([] { makeBackend(BackendKind::OpenCL, "no-such-device-xyz"); });
    EXPECT_EQ(field, "--backend opencl");
}

TEST(OpenCL, KernelFolderOverridesEmbeddedSources) {
    REQUIRE_OPENCL();
    const auto dir = std::filesystem::temp_directory_path() / ("moelab_kernels_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const auto& f : std::filesystem::directory_iterator(MOELAB_SHADER_DIR))
        if (f.path().extension() == ".cl") std::filesystem::copy_file(f.path(), dir / f.path().filename());
    EnvGuard cache("MOELAB_CL_CACHE", (dir / "cache").string());
    {
        EnvGuard kd("MOELAB_KERNEL_DIR", dir.string());
        EXPECT_EQ(makeBackend(BackendKind::OpenCL).backend->name(), "opencl");
        // A broken kernel: the build log reaches the fallback reason.
        std::ofstream(dir / "combine.cl", std::ios::app) << "\nthis is not OpenCL C;\n";
        const BackendChoice broken = makeBackend(BackendKind::Auto);
        EXPECT_EQ(broken.backend->name(), "eigen");
        EXPECT_NE(broken.fallbackReason.find("kernel build failed"), std::string::npos) << broken.fallbackReason;
        // A missing kernel file is named.
        std::filesystem::remove(dir / "topk.cl");
        const std::string field = test::inputErrorField([] { makeBackend(BackendKind::OpenCL); });
        EXPECT_NE(field.find("topk.cl"), std::string::npos) << field;
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
