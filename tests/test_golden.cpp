// Golden results: fixed seeds, texts and settings whose `moelab route --json` must equal
// a checked-in file (decisions exactly, numbers to 1e-6), so that a change of results
// across versions, platforms or backends is caught and made on purpose.
// MOELAB_UPDATE_GOLDEN=1 rewrites the files from the Eigen backend.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "test_support.hpp"

namespace {

using json = nlohmann::json;

struct GoldenCase {
    const char* name;
    std::vector<std::string> flags;
};

std::vector<GoldenCase> goldenCases() {
    return {
        // The app's opening state: the shipped checkpoint and the seeds' sentence, capacity 1.
        {"lesson",
         {"--weights", moe::dataPath("weights/lesson.safetensors"), "--text", "MoE是很强大的机制！",
          "--capacity-factor", "1", "--gpus", "4", "--placement", "load-aware"}},
        // Random weights with most routing options on, an invalid byte, and outputs.
        {"options",
         {"--seed",
          "3",
          "--experts",
          "6",
          "--k",
          "2",
          "--capacity-factor",
          "1",
          "--overflow",
          "reroute",
          "--drop-priority",
          "score",
          "--noisy-topk",
          "on",
          "--jitter",
          "0.05",
          "--text",
          "Hi 你好\xff!",
          "--gpus",
          "3",
          "--outputs"}},
        // Expert choice with sigmoid scores, groups and a selection bias.
        {"expert_choice", {"--seed",        "5",
                           "--experts",     "8",
                           "--k",           "2",
                           "--routing",     "expert-choice",
                           "--score",       "sigmoid",
                           "--temperature", "0.5",
                           "--groups",      "4",
                           "--topk-groups", "2",
                           "--expert-bias", "0,0.1,0,0,0,-0.1,0,0",
                           "--text",        "Expert choice 专家选择"}},
    };
}

json route(const std::vector<std::string>& flags, const std::string& backend) {
    std::vector<std::string> args = {"route", "--json", "--backend", backend};
    args.insert(args.end(), flags.begin(), flags.end());
    const moe::test::RunResult r = moe::test::runMoelab(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
}

// Paths and machine names differ between machines; everything else must not.
void dropMachineFields(json& j) {
    for (const char* k : {"device", "backend", "fallback_reason", "fallback", "weights", "text_file"})
        j["config"].erase(k);
}

// Differences between two JSON values: numbers within tol (absolute, or relative for
// large ones), everything else exactly.
void compare(const json& want, const json& got, const std::string& path, double tol, std::vector<std::string>& diffs) {
    if (diffs.size() > 20) return;
    if (want.is_number() && got.is_number()) {
        const double a = want.get<double>(), b = got.get<double>();
        if (std::abs(a - b) > tol * std::max(1.0, std::abs(a)))
            diffs.push_back(path + ": " + want.dump() + " vs " + got.dump());
        return;
    }
    if (want.type() != got.type()) {
        diffs.push_back(path + ": " + want.dump() + " vs " + got.dump());
        return;
    }
    if (want.is_object()) {
        for (const auto& [k, v] : want.items()) {
            if (!got.contains(k))
                diffs.push_back(path + "." + k + " missing");
            else
                compare(v, got[k], path + "." + k, tol, diffs);
        }
        for (const auto& [k, v] : got.items())
            if (!want.contains(k)) diffs.push_back(path + "." + k + " is new (update the golden file on purpose)");
    } else if (want.is_array()) {
        if (want.size() != got.size())
            diffs.push_back(path + ": " + std::to_string(want.size()) + " vs " + std::to_string(got.size()) +
                            " entries");
        else
            for (size_t i = 0; i < want.size(); ++i)
                compare(want[i], got[i], path + "[" + std::to_string(i) + "]", tol, diffs);
    } else if (want != got) {
        diffs.push_back(path + ": " + want.dump() + " vs " + got.dump());
    }
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RouteJsonEqualsTheCheckedInFile) {
    const std::string backend = GetParam();
    for (const GoldenCase& c : goldenCases()) {
        SCOPED_TRACE(std::string(c.name) + " on " + backend);
        const std::string file = std::string(MOELAB_GOLDEN_DIR) + "/route_" + c.name + ".json";
        json got = route(c.flags, backend);
        // Without an OpenCL device the request falls back to Eigen: comparing that would
        // pass without testing OpenCL at all.
        if (got["config"]["backend"] != backend)
            GTEST_SKIP() << "skipped: no " << backend << " device here (" << got["config"]["fallback_reason"].dump()
                         << ")";
        dropMachineFields(got);
        const char* update = std::getenv("MOELAB_UPDATE_GOLDEN");
        if (update && *update == '1' && backend == "eigen") {
            moe::writeFileAtomic(file, got.dump(1) + "\n");
            continue;
        }
        const json want = json::parse(moe::readFile(file));
        std::vector<std::string> diffs;
        // Scores and weights within 1e-6 (one float ulp near 1 is 6e-8; GPUs may differ by one).
        compare(want, got, c.name, 1e-6, diffs);
        for (const std::string& d : diffs) ADD_FAILURE() << d;
    }
}

// The Eigen reference; the OpenCL backend (PoCL here, a GPU elsewhere) must make the very
// same decisions. Without an OpenCL device the opencl case is skipped, visibly.
INSTANTIATE_TEST_SUITE_P(Backends, Golden, ::testing::Values("eigen", "opencl"));

}  // namespace
