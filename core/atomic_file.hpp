#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace moe {

// What one read may hold: texts, lessons, sessions and corpora; weights files.
inline constexpr uint64_t kMaxTextFileBytes = uint64_t(64) << 20;
inline constexpr uint64_t kMaxWeightsFileBytes = uint64_t(2) << 30;

// Writes to "<path>.tmp-<pid>" and renames, so a crash never leaves half a file
// where a good one was. Throws InputError(path, ...) when it cannot.
void writeFileAtomic(const std::string& path, std::string_view bytes);
// Throws InputError(path, ...) unless writeFileAtomic(path, ...) could create its file
// now: checked before long work (training) whose result would otherwise be lost.
void checkWritable(const std::string& path);
// Reads a whole regular file of at most maxBytes; throws InputError(path, ...) when it
// cannot, and for a directory, a device or a FIFO (which would never end or block).
// Every file moelab reads goes through here.
std::string readFile(const std::string& path, uint64_t maxBytes = kMaxTextFileBytes);

}  // namespace moe
