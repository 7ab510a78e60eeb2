// Runs a fuzz target's LLVMFuzzerTestOneInput over every file given on the command line
// (a directory: every regular file in it, in name order), so the seed corpora replay in
// ctest without libFuzzer. A crash or an escaped exception fails the test; so does no input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

static std::vector<fs::path> inputs(const std::vector<std::string>& args) {
    std::vector<fs::path> out;
    for (const auto& arg : args) {
        if (fs::is_directory(arg)) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::directory_iterator(arg))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            out.insert(out.end(), files.begin(), files.end());
        } else {
            out.emplace_back(arg);
        }
    }
    return out;
}

int main(int argc, char** argv) {
    int ran = 0;
    for (const fs::path& path : inputs({argv + 1, argv + argc})) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
            return 1;
        }
        const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        std::printf("replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
        std::fflush(stdout);
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        ++ran;
    }
    std::printf("replay: %d inputs ran\n", ran);
    if (ran == 0) std::fprintf(stderr, "replay: no inputs (give corpus directories or files)\n");
    return ran > 0 ? 0 : 1;
}
