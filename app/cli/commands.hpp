#pragma once
#include <string>
#include <vector>

#include "lesson.hpp"

namespace moe::cli {
// Each returns the process exit code; bad input throws InputError (exit 2).
int cmdRoute(const std::vector<std::string>& args);
int cmdExportWeights(const std::vector<std::string>& args);
int cmdBench(const std::vector<std::string>& args);
int cmdInfo(const std::vector<std::string>& args);
int cmdTrain(const std::vector<std::string>& args);
// generate --model M --text PROMPT --bytes N: the language model continues the prompt.
int cmdGenerate(const std::vector<std::string>& args);
// The app's view and page names (empty in a build without the app) check --hide and lessons.
int cmdCode(const std::vector<std::string>& args, const LessonNames& appNames);
// lesson check FILE: exit 0 when the lesson is usable (warnings aside), 2 with its problems on stderr.
int cmdLesson(const std::vector<std::string>& args, const LessonNames& appNames);
// analyze --model M --text-file PATH: per layer, what the routing says about the text.
int cmdAnalyze(const std::vector<std::string>& args);
// import-trace --from vllm|sglang IN --out FILE: an engine's routed-experts array as a router trace.
int cmdImportTrace(const std::vector<std::string>& args);
// export-astra --out DIR [flags]: the step's all-to-all as ASTRA-sim input (docs/astra-sim.md).
int cmdExportAstra(const std::vector<std::string>& args);
}  // namespace moe::cli
