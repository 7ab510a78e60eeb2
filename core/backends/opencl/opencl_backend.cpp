#include "opencl_backend.hpp"

#include <algorithm>
#include <stdexcept>

#include "../../errors.hpp"

namespace moe {
namespace {

constexpr int kRowsPerTile = 8;  // RM in expert_ffn.cl
constexpr int kLanes = 16;       // outputs per work-item in expert_ffn.cl (float16)

size_t roundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

template <typename... Args>
void setArgs(cl::Kernel& k, Args&&... args) {
    cl_uint i = 0;
    (k.setArg(i++, std::forward<Args>(args)), ...);
}

} // namespace

OpenCLBackend::OpenCLBackend(const std::string& hint) {
    std::string why;
    auto dev = opencl::chooseDevice(hint, why);
    if (!dev) throw std::runtime_error(why);
    m_device = *dev;
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
    } catch (const cl::Error& e) {
        throw std::runtime_error("OpenCL error on " + m_device.label() + ": " + e.what() + " (" +
                                 std::to_string(e.err()) + ")");
    }
}

OpenCLBackend::~OpenCLBackend() = default;

cl::Kernel& OpenCLBackend::kernel(const std::string& name) {
    auto it = m_kernels.find(name);
    if (it == m_kernels.end()) it = m_kernels.emplace(name, cl::Kernel(m_program, name.c_str())).first;
    return it->second;
}

cl::Buffer& OpenCLBackend::ensure(const std::string& name, size_t bytes) {
    Buffer& b = m_buffers[name];
    bytes = std::max<size_t>(bytes, 64);  // no zero-size buffers
    if (bytes > b.capacity) {
        b.buf = cl::Buffer(m_context, CL_MEM_READ_WRITE, bytes);
        b.capacity = bytes;
    }
    return b.buf;
}

cl::Buffer& OpenCLBackend::upload(const std::string& name, const void* data, size_t bytes, bool blocking) {
    cl::Buffer& b = ensure(name, bytes);
    if (bytes) m_queue.enqueueWriteBuffer(b, blocking ? CL_TRUE : CL_FALSE, 0, bytes, data);
    return b;
}

void OpenCLBackend::download(const std::string& name, void* data, size_t bytes, bool blocking) {
    if (bytes) m_queue.enqueueReadBuffer(m_buffers.at(name).buf, blocking ? CL_TRUE : CL_FALSE, 0, bytes, data);
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
    upload("router_wt", wt.data(), wt.size() * 4, true);
    upload("noise_wt", nt.data(), nt.size() * 4, true);
    upload("router_b", b.data(), b.size() * 4, true);
    m_routerVersion = w.version;
}

void OpenCLBackend::uploadExperts(const ModelWeights& w) {
    if (m_expertsVersion == w.version && w.version != 0) return;
    const int D = w.shape.dim, H = w.shape.hidden;
    const int Hp = static_cast<int>(roundUp(H, kLanes)), Dp = static_cast<int>(roundUp(D, kLanes));
    std::vector<const ExpertWeights*> all;
    for (const auto& e : w.experts) all.push_back(&e);
    for (const auto& e : w.shared) all.push_back(&e);
    const size_t G = all.size();
    // Transposed to [in][out] and zero-padded to 16 outputs (see expert_ffn.cl).
    std::vector<float> w1t(G * D * Hp, 0.0f), b1(G * Hp, 0.0f), w2t(G * Hp * Dp, 0.0f), b2(G * Dp, 0.0f), wgt, bg;
    const bool swiglu = w.shape.activation == Activation::SwiGlu;
    if (swiglu) wgt.assign(G * D * Hp, 0.0f), bg.assign(G * Hp, 0.0f);
    using Strided = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
    for (size_t g = 0; g < G; ++g) {
        const ExpertWeights& e = *all[g];
        Strided(w1t.data() + g * D * Hp, D, H, Eigen::OuterStride<>(Hp)) = e.w1.transpose();
        Eigen::Map<Vec>(b1.data() + g * Hp, H) = e.b1;
        Strided(w2t.data() + g * Hp * Dp, H, D, Eigen::OuterStride<>(Dp)) = e.w2.transpose();
        Eigen::Map<Vec>(b2.data() + g * Dp, D) = e.b2;
        if (swiglu) {
            Strided(wgt.data() + g * D * Hp, D, H, Eigen::OuterStride<>(Hp)) = e.wGate.transpose();
            Eigen::Map<Vec>(bg.data() + g * Hp, H) = e.bGate;
        }
    }
    upload("w1t", w1t.data(), w1t.size() * 4, true);
    upload("b1", b1.data(), b1.size() * 4, true);
    upload("w2t", w2t.data(), w2t.size() * 4, true);
    upload("b2", b2.data(), b2.size() * 4, true);
    upload("wgt", wgt.data(), wgt.size() * 4, true);
    upload("bg", bg.data(), bg.size() * 4, true);
    m_expertsVersion = w.version;
}

Routing OpenCLBackend::route(const ModelWeights& w, const RouterConfig& cfg, const Mat& x) {
    const int E = w.shape.experts;
    validate(cfg, E);
    const int T = static_cast<int>(x.rows()), D = static_cast<int>(x.cols());
    const Vec bias = effectiveBias(w, cfg);
    if (T == 0) {  // nothing to launch; the reference's empty routing
        RouterLogits none;
        none.logits.resize(0, E);
        return decideRouting(std::move(none), cfg, bias);
    }
    try {
        uploadRouter(w);
        const bool tokenChoice = cfg.mode == RoutingMode::TokenChoice;
        const int k = cfg.k;
        Routing r;
        r.tokens = T;
        r.experts = E;
        r.k = k;
        r.mode = cfg.mode;
        r.capacity = expertCapacity(cfg, T, E);
        const size_t TE = size_t(T) * E, TK = size_t(T) * k;

        // Uploads do not block: their host memory lives until the blocking download at the end.
        cl::Buffer& bx = upload("x", x.data(), x.size() * 4);
        const bool jitter = cfg.jitter > 0;
        const Mat jitterF = jitter ? jitterFactors(T, D, cfg.jitter, cfg.noiseSeed) : Mat();
        if (jitter) upload("jitter", jitterF.data(), jitterF.size() * 4);
        cl::Buffer& bj = ensure("jitter", jitter ? size_t(T) * D * 4 : 4);
        cl::Buffer& blog = ensure("logits", TE * 4);
        const int Ep = static_cast<int>(roundUp(E, kLanes));
        auto& lin = kernel("router_linear");
        setArgs(lin, bx, bj, int(jitter), m_buffers.at("router_wt").buf, m_buffers.at("router_b").buf, 1, blog, T, D, E, Ep);
        m_queue.enqueueNDRangeKernel(lin, cl::NullRange, cl::NDRange(Ep / kLanes, T));
        cl::Buffer& bnl = ensure("noise_logits", TE * 4);
        const Mat eps = cfg.noisyTopk ? routingNoise(T, E, cfg.noiseSeed) : Mat();
        if (cfg.noisyTopk) {
            upload("eps", eps.data(), eps.size() * 4);
            setArgs(lin, bx, bj, int(jitter), m_buffers.at("noise_wt").buf, m_buffers.at("router_b").buf, 0, bnl, T, D, E, Ep);
            m_queue.enqueueNDRangeKernel(lin, cl::NullRange, cl::NDRange(Ep / kLanes, T));
        }
        cl::Buffer& beps = ensure("eps", cfg.noisyTopk ? TE * 4 : 4);
        cl::Buffer& bz = ensure("z", TE * 4);
        cl::Buffer& bs = ensure("scores", TE * 4);
        auto& sc = kernel("scores");
        setArgs(sc, blog, bnl, beps, int(cfg.noisyTopk), cfg.temperature, int(cfg.score == ScoreFn::Sigmoid), bz, bs, T, E);
        m_queue.enqueueNDRangeKernel(sc, cl::NullRange, cl::NDRange(T));

        cl::Buffer& bb = upload("bias", bias.data(), size_t(E) * 4);
        cl::Buffer& bkeys = ensure("keys", TE * 4);
        cl::Buffer& bch = ensure("choices", TK * 4);
        cl::Buffer& bw = ensure("weights", TK * 4);
        cl::Buffer& bn = ensure("norms", size_t(T) * 4);
        const int groups = tokenChoice ? cfg.groups : 1;
        const int keep = cfg.topkGroups == 0 ? groups : cfg.topkGroups;
        auto& tk = kernel("topk");
        setArgs(tk, bz, bs, bb, cfg.temperature, groups, keep, int(cfg.groupScore == GroupScore::Top2Sum),
                int(cfg.renormalize), bkeys, bch, bw, bn, T, E, tokenChoice ? k : 0);
        m_queue.enqueueNDRangeKernel(tk, cl::NullRange, cl::NDRange(T));

        r.requested.assign(E, 0);
        r.kept.assign(E, 0);
        r.overflow.assign(E, 0);
        cl::Buffer& breq = ensure("requested", size_t(E) * 4);
        cl::Buffer& bload = ensure("load", size_t(E) * 4);
        cl::Buffer& bover = ensure("overflow", size_t(E) * 4);
        if (tokenChoice) {
            const bool byScore = cfg.dropPriority == DropPriority::Score;
            cl::Buffer& border = ensure("order", byScore ? TK * 4 : 4);
            if (byScore) {
                auto& po = kernel("priority_order");
                setArgs(po, bs, bch, border, T, E, k);
                m_queue.enqueueNDRangeKernel(po, cl::NullRange, cl::NDRange(T, k));
            }
            cl::Buffer& bkept = ensure("kept", TK);
            if (cfg.overflow == Overflow::Reroute && r.capacity >= 0) {
                auto& rr = kernel("capacity_reroute");
                setArgs(rr, bch, bw, border, int(byScore), r.capacity, bkeys, bs, bn, bkept, breq, bload, bover, T, E, k);
                m_queue.enqueueNDRangeKernel(rr, cl::NullRange, cl::NDRange(1));
            } else {
                auto& cd = kernel("capacity_drop");
                setArgs(cd, bch, border, int(byScore), r.capacity, bkept, breq, bload, bover, T, E, k);
                m_queue.enqueueNDRangeKernel(cd, cl::NullRange, cl::NDRange(E));
            }
            r.slotBegin.resize(T + 1);
            for (int t = 0; t <= T; ++t) r.slotBegin[t] = t * k;
            r.slotExpert.resize(TK);
            r.slotWeight.resize(TK);
            r.slotKept.resize(TK);
            download("choices", r.slotExpert.data(), TK * 4, false);
            download("weights", r.slotWeight.data(), TK * 4, false);
            download("kept", r.slotKept.data(), TK, false);
            download("requested", r.requested.data(), size_t(E) * 4, false);
            download("load", r.kept.data(), size_t(E) * 4, false);
            download("overflow", r.overflow.data(), size_t(E) * 4, false);
        } else {
            const int cap = std::min(r.capacity, T);
            cl::Buffer& bp = ensure("picked", TE);
            auto& sel = kernel("expert_choice_select");
            setArgs(sel, bkeys, cap, bp, T, E);
            m_queue.enqueueNDRangeKernel(sel, cl::NullRange, cl::NDRange(E));
            cl::Buffer& bex = ensure("ec_expert", TE * 4);
            cl::Buffer& bew = ensure("ec_weight", TE * 4);
            cl::Buffer& bcnt = ensure("ec_count", size_t(T) * 4);
            auto& ga = kernel("expert_choice_gather");
            setArgs(ga, bp, bkeys, bs, int(cfg.renormalize), bex, bew, bcnt, T, E);
            m_queue.enqueueNDRangeKernel(ga, cl::NullRange, cl::NDRange(T));
            std::vector<int> ex(TE), cnt(T);
            std::vector<float> ew(TE);
            download("ec_expert", ex.data(), TE * 4, false);
            download("ec_weight", ew.data(), TE * 4, false);
            download("ec_count", cnt.data(), size_t(T) * 4, true);
            r.slotBegin.assign(1, 0);
            for (int t = 0; t < T; ++t) {
                for (int i = 0; i < cnt[t]; ++i) {
                    r.slotExpert.push_back(ex[size_t(t) * E + i]);
                    r.slotWeight.push_back(ew[size_t(t) * E + i]);
                }
                r.slotBegin.push_back(static_cast<int>(r.slotExpert.size()));
            }
            r.slotKept.assign(r.slotExpert.size(), 1);
            r.requested.assign(E, cap);
            r.kept = r.requested;
        }
        r.logits.resize(T, E);
        r.scores.resize(T, E);
        download("logits", r.logits.data(), TE * 4, false);
        download("scores", r.scores.data(), TE * 4, true);
        return r;
    } catch (const cl::Error& e) {
        throw std::runtime_error(std::string("OpenCL routing failed: ") + e.what() + " (" + std::to_string(e.err()) + ")");
    }
}

void OpenCLBackend::experts(const ModelWeights& w, const Mat& x, const Routing& r, Mat& out) {
    const int T = r.tokens, D = w.shape.dim, E = w.shape.experts;
    const int Hp = static_cast<int>(roundUp(w.shape.hidden, kLanes)), Dp = static_cast<int>(roundUp(D, kLanes));
    const int S = static_cast<int>(w.shared.size());
    out.resize(T, D);
    if (T == 0) return;
    try {
        uploadExperts(w);
        cl::Buffer& bx = upload("x", x.data(), x.size() * 4);
        const int slots = r.slotCount();
        const std::vector<int> slotToken = r.slotTokens();
        std::vector<int> offsets(E + S + 1, 0);
        for (int s = 0; s < slots; ++s)
            if (r.slotKept[s]) ++offsets[r.slotExpert[s] + 1];
        for (int g = 0; g < E + S; ++g) offsets[g + 1] += offsets[g] + (g >= E ? T : 0);
        const int rows = offsets[E + S];
        std::vector<int> te, tr, tn;  // tiles; alive until the blocking download

        cl::Buffer& bse = upload("slot_expert", r.slotExpert.data(), size_t(slots) * 4);
        cl::Buffer& bsk = upload("slot_kept", r.slotKept.data(), size_t(slots));
        cl::Buffer& bst = upload("slot_token", slotToken.data(), size_t(slots) * 4);
        cl::Buffer& bsw = upload("slot_weight", r.slotWeight.data(), size_t(slots) * 4);
        cl::Buffer& bsb = upload("slot_begin", r.slotBegin.data(), size_t(T + 1) * 4);
        cl::Buffer& boff = upload("offsets", offsets.data(), offsets.size() * 4);
        cl::Buffer& brt = ensure("row_token", size_t(rows) * 4);
        cl::Buffer& bsr = ensure("slot_row", size_t(slots) * 4);
        cl::Buffer& by = ensure("y", size_t(rows) * Dp * 4);
        if (rows > 0) {
            auto& bk = kernel("bucket_slots");
            setArgs(bk, bse, bsk, bst, slots, boff, brt, bsr, E, S, T);
            m_queue.enqueueNDRangeKernel(bk, cl::NullRange, cl::NDRange(E + S));
            cl::Buffer& bxg = ensure("xg", size_t(rows) * D * 4);
            auto& gr = kernel("gather_rows");
            setArgs(gr, bx, brt, bxg, rows, D);
            m_queue.enqueueNDRangeKernel(gr, cl::NullRange, cl::NDRange(D, rows));

            for (int g = 0; g < E + S; ++g)
                for (int r0 = offsets[g]; r0 < offsets[g + 1]; r0 += kRowsPerTile)
                    te.push_back(g), tr.push_back(r0), tn.push_back(std::min(kRowsPerTile, offsets[g + 1] - r0));
            const int tiles = static_cast<int>(te.size());
            cl::Buffer& bte = upload("tile_expert", te.data(), te.size() * 4);
            cl::Buffer& btr = upload("tile_row", tr.data(), tr.size() * 4);
            cl::Buffer& btn = upload("tile_rows", tn.data(), tn.size() * 4);
            cl::Buffer& bh = ensure("h", size_t(rows) * Hp * 4);
            const int act = static_cast<int>(w.shape.activation);  // relu, gelu, silu, swiglu = 0..3
            auto& up = kernel("ffn_up");
            setArgs(up, bxg, m_buffers.at("w1t").buf, m_buffers.at("b1").buf, m_buffers.at("wgt").buf,
                    m_buffers.at("bg").buf, bte, btr, btn, bh, D, Hp, act);
            m_queue.enqueueNDRangeKernel(up, cl::NullRange, cl::NDRange(Hp / kLanes, tiles));
            auto& down = kernel("ffn_down");
            setArgs(down, bh, m_buffers.at("w2t").buf, m_buffers.at("b2").buf, bte, btr, btn, by, Dp, Hp);
            m_queue.enqueueNDRangeKernel(down, cl::NullRange, cl::NDRange(Dp / kLanes, tiles));
        } else {
            // Nothing kept: every slot's row is -1 so the combine writes zeros.
            std::vector<int> none(slots, -1);
            upload("slot_row", none.data(), none.size() * 4, true);
        }
        cl::Buffer& bout = ensure("out", size_t(T) * D * 4);
        auto& cb = kernel("combine");
        setArgs(cb, by, bsb, m_buffers.at("slot_row").buf, bsw, boff, bout, T, D, Dp, E, S);
        m_queue.enqueueNDRangeKernel(cb, cl::NullRange, cl::NDRange(D, T));
        download("out", out.data(), size_t(T) * D * 4, true);
    } catch (const cl::Error& e) {
        throw std::runtime_error(std::string("OpenCL expert compute failed: ") + e.what() + " (" +
                                 std::to_string(e.err()) + ")");
    }
}

ScoreSums OpenCLBackend::metricSums(const Routing& r) {
    const int T = r.tokens, E = r.experts;
    ScoreSums out;
    out.normalizedScores.assign(E, 0.0);
    if (T == 0) return out;
    try {
        const size_t real = m_fp64 ? 8 : 4, TE = size_t(T) * E;
        cl::Buffer& bl = upload("m_logits", r.logits.data(), TE * 4);
        cl::Buffer& bs = upload("m_scores", r.scores.data(), TE * 4);
        cl::Buffer& bp = ensure("m_p", TE * real);
        cl::Buffer& bz = ensure("m_z2", size_t(T) * real);
        cl::Buffer& bh = ensure("m_entropy", size_t(T) * real);
        cl::Buffer& bsum = ensure("m_sums", size_t(E + 2) * real);
        auto& ts = kernel("token_stats");
        setArgs(ts, bl, bs, bp, bz, bh, T, E);
        m_queue.enqueueNDRangeKernel(ts, cl::NullRange, cl::NDRange(T));
        auto& cs = kernel("column_sums");
        setArgs(cs, bp, bz, bh, bsum, T, E);
        m_queue.enqueueNDRangeKernel(cs, cl::NullRange, cl::NDRange(E + 2));
        std::vector<double> sums(E + 2);
        if (m_fp64) {
            download("m_sums", sums.data(), sums.size() * 8, true);
        } else {
            std::vector<float> f(E + 2);
            download("m_sums", f.data(), f.size() * 4, true);
            std::copy(f.begin(), f.end(), sums.begin());
        }
        std::copy(sums.begin(), sums.begin() + E, out.normalizedScores.begin());
        out.zSquared = sums[E];
        out.entropy = sums[E + 1];
        return out;
    } catch (const cl::Error& e) {
        throw std::runtime_error(std::string("OpenCL metrics failed: ") + e.what());
    }
}

} // namespace moe
