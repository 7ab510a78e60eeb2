#pragma once
// Where moelab's shipped data (corpus, checkpoint, lessons) lives: $MOELAB_DATA, else
// ../share/moelab beside the running binary (installed, and the build tree, where CMake
// links build/share/moelab to the source's assets/). No path is compiled in.
#include <string>

namespace moe {

// The data folder; throws InputError naming the places looked at when none has the data.
std::string dataDir();
// dataDir() + "/" + relative.
std::string dataPath(const std::string& relative);

}  // namespace moe
