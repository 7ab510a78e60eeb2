#pragma once
#include <string>
#include <string_view>

namespace moe {
// Writes to "<path>.tmp-<pid>" and renames, so a crash never leaves half a file
// where a good one was. Throws InputError(path, ...) when it cannot.
void writeFileAtomic(const std::string& path, std::string_view bytes);
// Reads a whole file; throws InputError(path, ...) when it cannot.
std::string readFile(const std::string& path);
} // namespace moe
