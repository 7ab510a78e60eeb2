#pragma once
// The language model on the command line: `route --model` and `generate` (cmd_lm.cpp);
// `analyze` (cmd_analyze.cpp) shares its flag handling.
#include <nlohmann/json.hpp>
#include <string_view>

#include "backends/backend.hpp"
#include "flags.hpp"
#include "layer.hpp"
#include "lm/lm_model.hpp"
#include "lesson_code.hpp"
#include "settings.hpp"

namespace moe::cli {

// The shape flags, --preset and --csv with the language model, and --lesson, --chapter and
// --code with --model itself: InputError naming the flag.
void refuseModelFlags(const Args& a);
// The model's MoE shape and trained routing, then the routing, cluster and backend flags
// given (InputError naming the flag); the text must not be empty.
Settings modelSettings(const Args& a, const LmModel& m);
// A lesson chapter or code that runs the model (lesson_code.hpp's requestedModel).
struct ModelLesson {
    const LessonRequest* request = nullptr;
    const Lesson* lesson = nullptr;  // loaded, or nullptr
};
// The chapter's or code's settings by the layering rule over the model's shape and trained
// routing, then the flags given; the model's file fixes the shape.
Settings lessonModelSettings(const Args& a, const LmModel& m, const ModelLesson& from);

// route --model NAME|PATH, or a chapter or code of the model: every layer's routing, the
// next byte's likeliest values and the bits per byte; the one-layer fields describe layer 0.
int routeModel(const Args& a, const std::string& name, const ModelLesson& from = {});

// route's one-layer JSON for res, with extraFields (",\"key\":value,...") before the closing brace.
void writeRouteJson(const Settings& o, const ModelWeights& w, const LayerResult& res, Backend& backend,
                    const nlohmann::json& config, bool withOutputs, std::string_view extraFields);

}  // namespace moe::cli
