#include "astra_export.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "atomic_file.hpp"
#include "errors.hpp"

namespace moe::astra {
namespace {

using ChakraProtoMsg::Node;
using Matrix = std::vector<std::vector<int64_t>>;

void intAttr(Node& n, const char* name, int32_t v) {
    auto* a = n.add_attr();
    a->set_name(name);
    a->set_int32_val(v);
}

void longAttr(Node& n, const char* name, int64_t v) {
    auto* a = n.add_attr();
    a->set_name(name);
    a->set_int64_val(v);
}

// Builds the nodes of one rank, numbering them in order.
class TraceBuilder {
public:
    explicit TraceBuilder(int rank) : m_rank(rank) {}
    Node& add(ChakraProtoMsg::NodeType type, const std::string& name, const std::vector<uint64_t>& deps) {
        Node& n = m_nodes.emplace_back();
        n.set_id(m_nodes.size() - 1);
        n.set_name(name);
        n.set_type(type);
        for (uint64_t d : deps) n.add_data_deps(d);
        auto* cpu = n.add_attr();
        cpu->set_name("is_cpu_op");
        cpu->set_bool_val(false);
        return n;
    }
    // A phase's point-to-point messages: this rank's sends (row of m), then its receives
    // (column of m); local copies and empty pairs are not messages. Returns their ids.
    // ASTRA-sim sends one message of a rank at a time, in node order: rank r sends to r+1,
    // r+2, ... (and hears from r-1, r-2, ...), as NCCL's all-to-all does, so that the ranks
    // do not all start on the same receiver.
    std::vector<uint64_t> exchange(const Matrix& m, int tag, const char* phase, const std::vector<uint64_t>& deps) {
        std::vector<uint64_t> ids;
        const int G = static_cast<int>(m.size());
        for (int dir = 0; dir < 2; ++dir)
            for (int i = 1; i < G; ++i) {
                const int o = dir == 0 ? (m_rank + i) % G : (m_rank - i + G) % G;
                const int src = dir == 0 ? m_rank : o, dst = dir == 0 ? o : m_rank;
                if (src == dst || m[src][dst] == 0) continue;
                const auto type = dir == 0 ? ChakraProtoMsg::COMM_SEND_NODE : ChakraProtoMsg::COMM_RECV_NODE;
                const std::string name =
                    std::string(phase) + (dir == 0 ? "_send_to_" : "_recv_from_") + std::to_string(o);
                Node& n = add(type, name, deps);
                intAttr(n, "comm_src", src);
                intAttr(n, "comm_dst", dst);
                longAttr(n, "comm_size", m[src][dst]);
                intAttr(n, "comm_tag", tag);
                ids.push_back(n.id());
            }
        return ids;
    }
    // One ALL_TO_ALL of `bytes` per rank; without involved_dim ASTRA-sim spans every dimension.
    std::vector<uint64_t> collective(int64_t bytes, const char* phase, const std::vector<uint64_t>& deps) {
        Node& n = add(ChakraProtoMsg::COMM_COLL_NODE, std::string(phase) + "_all_to_all", deps);
        longAttr(n, "comm_type", ChakraProtoMsg::ALL_TO_ALL);
        longAttr(n, "comm_size", bytes);
        return {n.id()};
    }
    std::vector<Node> take() { return std::move(m_nodes); }

private:
    int m_rank;
    std::vector<Node> m_nodes;
};

// The expert FFN's work on this rank: num_ops for ASTRA-sim's roofline (system.json turns it
// on, compute-bound: peak-perf is moelab's TFLOP/s) and the same time in whole microseconds
// for a run without the roofline. No node when the rank computes nothing.
std::vector<uint64_t> compute(TraceBuilder& b, const Traffic& t, const ClusterConfig& c, int rank,
                              const std::vector<uint64_t>& deps) {
    const GpuTraffic& p = t.perGpu[rank];
    if (p.tokensComputed == 0) return deps;
    Node& n = b.add(ChakraProtoMsg::COMP_NODE, "expert_ffn", deps);
    const double flopsPerAssignment = 2.0 * 2.0 * c.simHidden * c.ffnHidden();
    longAttr(n, "num_ops", std::llround(p.tokensComputed * flopsPerAssignment));
    auto* size = n.add_attr();
    size->set_name("tensor_size");
    size->set_uint64_val(1);  // operational intensity = num_ops: always compute-bound
    n.set_duration_micros(static_cast<uint64_t>(std::llround(p.computeUs)));
    return {n.id()};
}

// The largest GPU's bytes of a phase, own share included (nccl-tests' bytes per rank): a
// uniform all-to-all moves the same amount on every rank.
int64_t uniformBytes(const Matrix& m) {
    int64_t most = 0;
    for (const auto& row : m) {
        int64_t sum = 0;
        for (int64_t b : row) sum += b;
        most = std::max(most, sum);
    }
    return most;
}

}  // namespace

int networkDims(const ClusterConfig& c) { return c.gpus > std::max(1, c.gpusPerNode) ? 2 : 1; }

std::vector<Node> rankNodes(const Traffic& t, const ClusterConfig& c, int rank, const ExportOptions& opt) {
    TraceBuilder b(rank);
    std::vector<uint64_t> dispatch, combineDeps;
    if (opt.collective) {
        dispatch = b.collective(uniformBytes(t.dispatchBytes), "dispatch", {});
        combineDeps = compute(b, t, c, rank, dispatch);
        b.collective(uniformBytes(t.combineBytes), "combine", combineDeps);
    } else {
        dispatch = b.exchange(t.dispatchBytes, kDispatchTag, "dispatch", {});
        combineDeps = compute(b, t, c, rank, dispatch);
        b.exchange(t.combineBytes, kCombineTag, "combine", combineDeps);
    }
    return b.take();
}

std::string traceFile(const std::vector<Node>& nodes) {
    std::string out;
    {
        google::protobuf::io::StringOutputStream raw(&out);
        google::protobuf::io::CodedOutputStream coded(&raw);
        ChakraProtoMsg::GlobalMetadata meta;
        meta.set_version("0.0.4");
        const auto put = [&](const google::protobuf::MessageLite& m) {
            coded.WriteVarint32(static_cast<uint32_t>(m.ByteSizeLong()));
            m.SerializeWithCachedSizes(&coded);
        };
        put(meta);
        for (const Node& n : nodes) put(n);
    }
    return out;
}

void exportAstra(const Traffic& t, const ClusterConfig& c, const ExportOptions& opt, const std::string& dir) {
    if (c.gpus > c.gpusPerNode && c.gpus % c.gpusPerNode != 0)
        throw InputError("--gpus", "ASTRA-sim's network needs whole nodes: a multiple of --gpus-per-node");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) throw InputError(dir, "cannot create the directory");
    const std::filesystem::path d(dir);
    for (int g = 0; g < t.gpus; ++g)
        writeFileAtomic((d / ("workload." + std::to_string(g) + ".et")).string(), traceFile(rankNodes(t, c, g, opt)));
    writeFileAtomic((d / "network.yml").string(), networkYaml(c));
    writeFileAtomic((d / "system.json").string(), systemJson(c, networkDims(c)));
    if (networkDims(c) > 1) {
        writeFileAtomic((d / "network_1d.yml").string(), flatNetworkYaml(c));
        writeFileAtomic((d / "system_1d.json").string(), systemJson(c, 1));
    }
    writeFileAtomic((d / "memory.json").string(), memoryJson());
    const std::string script = (d / "run.sh").string();
    writeFileAtomic(script, runScript());
    std::filesystem::permissions(script, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                                 std::filesystem::perm_options::add, ec);
}

}  // namespace moe::astra
