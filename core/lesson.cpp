#include "lesson.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "flags.hpp"
#include "settings_schema.hpp"

namespace moe {
namespace {

double metricValue(const std::string& name, const Metrics& m, int capacity) {
    if (name == "drop_rate") return m.dropRate;
    if (name == "dropped") return m.dropped;
    if (name == "aux_loss") return m.auxLoss;
    if (name == "z_loss") return m.zLoss;
    if (name == "cv") return m.cv;
    if (name == "max_over_mean") return m.maxOverMean;
    if (name == "entropy") return m.entropy;
    if (name == "capacity") return capacity;
    return NAN;
}

}  // namespace

std::vector<std::string> splitFlags(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, any = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
            any = true;
        } else if ((c == ' ' || c == '\t') && !quoted) {
            if (any) {
                out.push_back(cur);
                cur.clear();
                any = false;
            }
        } else {
            cur += c;
            any = true;
        }
    }
    if (any) out.push_back(cur);
    return out;
}

Settings chapterSettings(const Lesson& lesson, int chapter, int tryIndex, const Settings& current,
                         const RouterConfig* startRouter) {
    const LessonChapter& c = lesson.chapters.at(chapter);
    std::vector<const std::vector<std::string>*> layers = {&lesson.flags, &c.flags};
    if (tryIndex >= 0) layers.push_back(&c.tries.at(tryIndex).flags);
    Settings s;
    if (startRouter) s.router = *startRouter;
    bool model = false, text = false, backend = false;
    for (const auto* flags : layers) {  // later layers win
        const Args args(*flags, settingFlags(), {});
        applyFlags(s, args);
        model |= setsModel(args);
        text |= args.has("text") || args.has("text-file");
        backend |= args.has("backend") || args.has("device");
    }
    if (!model) useShippedModel(s);
    if (!text) {
        s.text = current.text;
        s.textFile = current.textFile;
    }
    if (!backend) {  // a lesson is about the model, not the device
        s.backend = current.backend;
        s.device = current.device;
    }
    resolveSettings(s);
    return s;
}

bool goalMet(const LessonGoal& g, const Settings& s, const Metrics& m, int capacity) {
    double v = metricValue(g.name, m, capacity);
    if (std::isnan(v))
        if (const SettingSpec* spec = findSetting(g.name)) v = settingValue(*spec, s).get<double>();
    if (g.op == "<=") return v <= g.value + 1e-12;
    if (g.op == ">=") return v >= g.value - 1e-12;
    if (g.op == "<") return v < g.value;
    if (g.op == ">") return v > g.value;
    return std::abs(v - g.value) <= 1e-12 * std::max(1.0, std::abs(g.value));
}

std::string goalText(const LessonGoal& g) {
    char num[32];
    std::snprintf(num, sizeof num, "%g", g.value);
    return g.name + " " + g.op + " " + num;
}

}  // namespace moe