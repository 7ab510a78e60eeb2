#include "lesson.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "flags.hpp"
#include "input_limits.hpp"
#include "settings_schema.hpp"

namespace moe {
namespace {

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> splitList(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!trim(item).empty()) out.push_back(trim(item));
    return out;
}

template <size_t N>
bool known(const char* const (&names)[N], const std::string& s) {
    return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return s == n; });
}

template <size_t N>
std::string joined(const char* const (&names)[N]) {
    std::string out;
    for (const char* n : names) (out += out.empty() ? "" : ", ") += n;
    return out;
}

// One field of the file: name, value (continuation lines joined) and the line it starts on.
struct Field {
    std::string name, value;
    int line;
};

std::vector<Field> readFields(const std::string& text, const std::string& path) {
    std::vector<Field> fields;
    std::istringstream in(text);
    std::string raw;
    int lineNo = 0;
    bool blankSince = false;
    while (std::getline(in, raw)) {
        ++lineNo;
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        const std::string t = trim(raw);
        if (t.empty()) {
            blankSince = true;
            continue;
        }
        if (t[0] == '#') continue;
        if (raw[0] == ' ' || raw[0] == '\t') {  // continues the field above
            if (fields.empty()) throw InputError(path + ":" + std::to_string(lineNo), "an indented line continues no field");
            std::string& v = fields.back().value;
            // Lines of Chinese join without a space; others with one.
            const bool cjk = !v.empty() && static_cast<unsigned char>(v.back()) >= 0x80 && static_cast<unsigned char>(t[0]) >= 0x80;
            v += v.empty() ? "" : (blankSince ? "\n\n" : cjk ? "" : " ");
            v += t;
            blankSince = false;
            continue;
        }
        const size_t colon = raw.find(':');
        if (colon == std::string::npos)
            throw InputError(path + ":" + std::to_string(lineNo), "expected 'field: value' (got '" + t + "')");
        fields.push_back({trim(raw.substr(0, colon)), trim(raw.substr(colon + 1)), lineNo});
        blankSince = false;
    }
    return fields;
}

LessonGoal parseGoal(const std::string& s, const std::string& where) {
    static const char* ops[] = {"<=", ">=", "==", "<", ">"};
    for (const char* op : ops) {
        const size_t at = s.find(op);
        if (at == std::string::npos) continue;
        LessonGoal g;
        g.name = trim(s.substr(0, at));
        g.op = op;
        const std::string num = trim(s.substr(at + std::string(op).size()));
        char* end = nullptr;
        g.value = std::strtod(num.c_str(), &end);
        if (num.empty() || *end || !std::isfinite(g.value)) throw InputError(where, "'" + num + "' is not a number");
        const SettingSpec* spec = findSetting(g.name);
        const bool numericSetting = spec && (spec->kind == SettingKind::Int || spec->kind == SettingKind::Float);
        if (!known(kLessonMetrics, g.name) && !numericSetting)
            throw InputError(where, "'" + g.name + "' is neither a metric (" + joined(kLessonMetrics) +
                                        ") nor a numeric setting");
        return g;
    }
    throw InputError(where, "expected 'name <= number' (or <, >, >=, ==), got '" + s + "'");
}

// Flags that parse (known names, values of the right kind); their ranges are checked
// once the chapter's settings are put together.
void checkFlags(const std::vector<std::string>& flags, const std::string& where) {
    try {
        Settings s;
        applyFlags(s, Args(flags, settingFlags(), {}));
    } catch (const InputError& e) {
        throw InputError(where, e.what());
    }
}

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

} // namespace

std::vector<std::string> splitFlags(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, any = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted, any = true;
        } else if ((c == ' ' || c == '\t') && !quoted) {
            if (any) out.push_back(cur), cur.clear(), any = false;
        } else {
            cur += c, any = true;
        }
    }
    if (any) out.push_back(cur);
    return out;
}

Lesson parseLesson(const std::string& text, const std::string& path) {
    Lesson lesson;
    lesson.path = path;
    LessonChapter* ch = nullptr;
    for (const Field& f : readFields(text, path)) {
        const std::string where = path + ":" + std::to_string(f.line) + " " + f.name;
        const auto needChapter = [&] {
            if (!ch) throw InputError(where, "comes before the first 'chapter:'");
        };
        const auto bilingual = [&](LessonText LessonChapter::*field, bool zh) {
            needChapter();
            (zh ? (ch->*field).zh : (ch->*field).en) = f.value;
        };
        const std::string& n = f.name;
        if (n == "lesson") lesson.title.en = f.value;
        else if (n == "lesson.zh") lesson.title.zh = f.value;
        else if (n == "chapter") {
            lesson.chapters.emplace_back();
            ch = &lesson.chapters.back();
            ch->line = f.line;
        } else if (n == "settings") {
            std::vector<std::string>& dst = ch ? ch->flags : lesson.flags;
            dst = splitFlags(f.value);
            checkFlags(dst, where);
            if (ch) ch->flagsLine = f.line;
        } else if (n == "title" || n == "title.zh") bilingual(&LessonChapter::title, n == "title.zh");
        else if (n == "text" || n == "text.zh") bilingual(&LessonChapter::text, n == "text.zh");
        else if (n == "question" || n == "question.zh") bilingual(&LessonChapter::question, n == "question.zh");
        else if (n == "answer" || n == "answer.zh") bilingual(&LessonChapter::answer, n == "answer.zh");
        else if (n == "goal.text" || n == "goal.text.zh") bilingual(&LessonChapter::goalText, n == "goal.text.zh");
        else if (n == "page") {
            needChapter();
            if (f.value != "routing" && f.value != "parallel" && f.value != "training")
                throw InputError(where, "must be routing, parallel or training (got '" + f.value + "')");
            ch->page = f.value;
        } else if (n == "show" || n == "highlight") {
            needChapter();
            std::vector<std::string>& dst = n == "show" ? ch->show : ch->highlight;
            dst = splitList(f.value, ',');
            for (const std::string& v : dst)
                if (!known(kLessonViews, v))
                    throw InputError(where, "unknown view '" + v + "' (views: " + joined(kLessonViews) + ")");
        } else if (n == "try") {
            needChapter();
            const auto parts = splitList(f.value, '|');
            if (parts.size() != 3) throw InputError(where, "expected 'English label | 中文标签 | --flags' (got '" + f.value + "')");
            LessonTry t{{parts[0], parts[1]}, splitFlags(parts[2]), f.line};
            checkFlags(t.flags, where);
            ch->tries.push_back(std::move(t));
        } else if (n == "goal") {
            needChapter();
            for (const std::string& g : splitList(f.value, ',')) ch->goals.push_back(parseGoal(g, where));
        } else if (n == "experiment") {
            needChapter();
            if (f.value != "balance" && f.value != "sentiment")
                throw InputError(where, "experiment is 'balance' or 'sentiment' (got '" + f.value + "')");
            ch->experiment = f.value;
        } else {
            throw InputError(where, "unknown field (lesson, chapter, title, text, page, show, highlight, settings, try, "
                                    "question, answer, goal, goal.text, experiment; a '.zh' suffix for Chinese)");
        }
    }
    if (lesson.chapters.empty()) throw InputError(path, "has no 'chapter:'");
    for (const LessonChapter& c : lesson.chapters) {
        const std::string where = path + ":" + std::to_string(c.line) + " chapter";
        if (c.title.empty()) throw InputError(where, "has no title");
        if (c.text.empty()) throw InputError(where, "has no text");
        if (!c.question.empty() && c.answer.empty()) throw InputError(where, "asks a question without an answer");
    }
    // Every chapter's settings, and each try's on top of them, must be valid together.
    for (size_t c = 0; c < lesson.chapters.size(); ++c) {
        const LessonChapter& ch = lesson.chapters[c];
        for (int t = -1; t < int(ch.tries.size()); ++t) {
            const int line = t < 0 ? (ch.flagsLine ? ch.flagsLine : ch.line) : ch.tries[t].line;
            try {
                Settings s = chapterSettings(lesson, int(c), t, Settings{});
                checkSharedSettings(s, "");  // before building weights a student's machine cannot hold
                buildWeights(s);  // a weights file fixes the shape the ranges depend on
            } catch (const InputError& e) {
                throw InputError(path + ":" + std::to_string(line) + (t < 0 ? " settings" : " try"), e.what());
            }
        }
    }
    return lesson;
}

Lesson loadLesson(const std::string& path) {
    std::string text = readFile(path);
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte order mark, as Notepad writes
    return parseLesson(text, path);
}

Settings chapterSettings(const Lesson& lesson, int chapter, int tryIndex, const Settings& current) {
    const LessonChapter& c = lesson.chapters.at(chapter);
    std::vector<const std::vector<std::string>*> layers = {&lesson.flags, &c.flags};
    if (tryIndex >= 0) layers.push_back(&c.tries.at(tryIndex).flags);
    Settings s;
    bool model = false, text = false, backend = false;
    for (const auto* flags : layers) {  // later layers win
        const Args args(*flags, settingFlags(), {});
        applyFlags(s, args);
        model |= setsModel(args);
        text |= args.has("text") || args.has("text-file");
        backend |= args.has("backend") || args.has("device");
    }
    if (!model) useShippedModel(s);
    if (!text) s.text = current.text, s.textFile = current.textFile;
    if (!backend) s.backend = current.backend, s.device = current.device;  // a lesson is about the model, not the device
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

} // namespace moe
