#pragma once
// Session files: the text and every setting, as JSON (the route JSON's "config" names).
#include <string>

#include "model_options.hpp"

namespace moe::cli {
std::string sessionJson(const ModelOptions& o);
// Throws InputError naming the file or field when it cannot be read back.
ModelOptions parseSession(const std::string& json, const std::string& path);
} // namespace moe::cli
