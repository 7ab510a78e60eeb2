#pragma once
// Helpers for the command-line tests (test_cli*.cpp): run moelab, read its JSON.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace moe::test {

inline RunResult run(const std::vector<std::string>& args) { return runMoelab(args); }

inline nlohmann::json routeJson(std::vector<std::string> args) {
    args.insert(args.begin(), "route");
    args.push_back("--json");
    const RunResult r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

inline std::string tempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace moe::test
