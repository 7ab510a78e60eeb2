#pragma once
// Everything one run of moelab is set up with: the text, the model's shape, the router,
// the simulated cluster and the backend. The app shows and edits one Settings; the CLI
// builds one from its flags. settings_schema.hpp describes every field once.
#include <array>
#include <string>
#include <string_view>

#include "cluster.hpp"
#include "config.hpp"
#include "weights.hpp"

namespace moe {

// The seeds' demo sentence (seed 003), the default input.
inline constexpr const char* kDefaultText = "MoE是很强大的机制！";

enum class BackendKind { Eigen, OpenCL, Auto };
template <>
struct EnumNames<BackendKind> {
    static constexpr std::array<std::string_view, 3> names{"eigen", "opencl", "auto"};
};

// Group-limited routing by simulated device: one group per GPU (DeepSeek-V2's
// device-limited routing) or per node (V3's node-limited routing).
enum class RouteGroups { Off, Gpus, Nodes };
template <>
struct EnumNames<RouteGroups> {
    static constexpr std::array<std::string_view, 3> names{"off", "gpus", "nodes"};
};

struct Settings {
    std::string text = kDefaultText;
    std::string textFile;  // where the text came from, if a file
    ModelShape shape;
    RouterConfig router;
    uint64_t seed = 0;
    std::string weightsPath;  // empty: initialise from the seed
    BackendKind backend = BackendKind::Eigen;
    std::string device;                               // OpenCL device hint
    ClusterConfig cluster{.simFfnHidden = 4 * 4096};  // expert-parallel simulation
    RouteGroups routeGroups = RouteGroups::Off;
};

// With route groups on: groups = G (per GPU) or G/N (per node); needs contiguous
// placement and a group count that divides E. Throws InputError("--route-groups").
void applyRouteGroups(Settings& s);
// The groups route groups ask for: G (per GPU) or G/N (per node, at least 1); 1 when off.
int routeGroupCount(const Settings& s);

// DeepSeek-V2's M, the devices a token may use: the kept groups when routing is limited by
// GPU (route groups = gpus), else 0 (no limit).
int deviceLimit(const Settings& s);

// Loads the weights file or initialises from the seed; a file fixes the shape.
ModelWeights makeWeights(Settings& s);
// makeWeights, then checks every setting against the shape (k against E, ...):
// InputError naming the flag.
ModelWeights buildWeights(Settings& s);

}  // namespace moe
