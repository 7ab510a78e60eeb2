#include "data_dir.hpp"

#include <cstdlib>
#include <filesystem>

#include "errors.hpp"

namespace moe {
namespace fs = std::filesystem;

namespace {
// A folder holds moelab's data when the bundled corpus is in it.
bool hasData(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "corpus" / "lesson.txt", ec);
}
}  // namespace

std::string dataDir() {
    static const std::string found = [] {
        std::string tried;
        if (const char* env = std::getenv("MOELAB_DATA"); env && *env) {
            if (hasData(env)) return std::string(env);
            tried += std::string(env) + " ($MOELAB_DATA); ";
        }
        std::error_code ec;
        const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
        if (!ec) {
            const fs::path share = exe.parent_path().parent_path() / "share" / "moelab";
            if (hasData(share)) return share.lexically_normal().string();
            tried += share.string();
        }
        return std::string("!") + tried;  // not found: the message names what was tried
    }();
    if (!found.empty() && found[0] == '!')
        throw InputError("moelab data", "not found (looked in " + found.substr(1) +
                                            "); set MOELAB_DATA to the folder holding corpus/ and weights/");
    return found;
}

std::string dataPath(const std::string& relative) { return dataDir() + "/" + relative; }

}  // namespace moe
