// Reading a lesson file (docs/lessons.md): fields, chapters, their settings checked
// together, and every problem noted with its line, so that `moelab lesson check` and the
// app's dialog can list all of them.
#include <algorithm>
#include <climits>
#include <filesystem>
#include <cmath>
#include <sstream>
#include <string_view>

#include "atomic_file.hpp"
#include "data_dir.hpp"
#include "errors.hpp"
#include "input_limits.hpp"
#include "flags.hpp"
#include "lesson.hpp"
#include "lm/lm_model.hpp"
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

// A name the list has; an empty list knows every name (LessonNames).
bool named(const std::vector<std::string>& names, const std::string& s) {
    return names.empty() || std::find(names.begin(), names.end(), s) != names.end();
}

template <size_t N>
std::string joined(const char* const (&names)[N]) {
    std::string out;
    for (const char* n : names) (out += out.empty() ? "" : ", ") += n;
    return out;
}

std::string joined(const std::vector<std::string>& names, const char* separator) {
    std::string out;
    for (const std::string& n : names) (out += out.empty() ? "" : separator) += n;
    return out;
}

// A problem with one field, thrown by its parser; the field's line and name are added
// where it is caught, so that the file is read on.
struct FieldProblem {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw FieldProblem{std::move(message)}; }

// One field of the file: name, value (continuation lines joined) and the line it starts on.
struct Field {
    std::string name, value;
    int line;
};

std::vector<Field> readFields(const std::string& text, std::vector<LessonProblem>& problems) {
    std::vector<Field> fields;
    std::istringstream in(text);
    std::string raw;
    int lineNo = 0;
    bool blankSince = false, afterBadLine = false;
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
            if (afterBadLine) continue;         // already reported with the line it continues
            if (fields.empty()) {
                problems.push_back({lineNo, "", "an indented line continues no field"});
                afterBadLine = true;
                continue;
            }
            std::string& v = fields.back().value;
            // Lines of Chinese join without a space; others with one.
            const bool cjk =
                !v.empty() && static_cast<unsigned char>(v.back()) >= 0x80 && static_cast<unsigned char>(t[0]) >= 0x80;
            v += v.empty() ? "" : (blankSince ? "\n\n" : cjk ? "" : " ");
            v += t;
            blankSince = false;
            continue;
        }
        const size_t colon = raw.find(':');
        afterBadLine = colon == std::string::npos;
        if (afterBadLine)
            problems.push_back({lineNo, "", "expected 'field: value' (got '" + t + "')"});
        else
            fields.push_back({trim(raw.substr(0, colon)), trim(raw.substr(colon + 1)), lineNo});
        blankSince = false;
    }
    return fields;
}

LessonGoal parseGoal(const std::string& s) {
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
        if (num.empty() || *end || !std::isfinite(g.value)) fail("'" + num + "' is not a number");
        const SettingSpec* spec = findSetting(g.name);
        const bool numericSetting = spec && (spec->kind == SettingKind::Int || spec->kind == SettingKind::Float);
        if (!known(kLessonMetrics, g.name) && !numericSetting)
            fail("'" + g.name + "' is neither a metric (" + joined(kLessonMetrics) + ") nor a numeric setting");
        return g;
    }
    fail("expected 'name <= number' (or <, >, >=, ==), got '" + s + "'");
}

// Flags that parse (known names, values of the right kind); their ranges are checked
// once the chapter's settings are put together.
std::vector<std::string> checkedFlags(const std::string& line) {
    std::vector<std::string> flags = splitFlags(line);
    try {
        Settings s;
        applyFlags(s, Args(flags, settingFlags(), {}));
    } catch (const InputError& e) {
        fail(e.what());
    }
    return flags;
}

const char* const kFieldNames =
    "lesson, chapter, title, text, page, show, highlight, settings, try, question, answer, "
    "goal, goal.text, experiment, heatmap, model; a '.zh' suffix for Chinese";

// Reads a lesson field by field, noting every problem rather than stopping at the first.
class LessonReader {
public:
    LessonReader(const std::string& path, const LessonNames& names, std::vector<LessonProblem>& problems)
        : m_names(names), m_problems(problems) {
        m_lesson.path = path;
    }
    void read(const Field& f) {
        try {
            field(f);
        } catch (const FieldProblem& p) {
            m_problems.push_back({f.line, f.name, p.message});
        }
    }
    Lesson finish() {
        checkChapters();
        checkSettings();
        checkLanguages();
        return std::move(m_lesson);
    }

private:
    void field(const Field& f);
    void chapterField(const Field& f);
    void checkChapters();
    void checkSettings();
    void checkLanguages();
    void error(int line, const std::string& field, const std::string& message) {
        m_problems.push_back({line, field, message});
    }

    Lesson m_lesson;
    LessonChapter* m_chapter = nullptr;
    int m_titleLine = 0, m_flagsLine = 0;
    const LessonNames& m_names;
    std::vector<LessonProblem>& m_problems;
};

void LessonReader::field(const Field& f) {
    const std::string& n = f.name;
    if (n == "lesson" || n == "lesson.zh") {
        (n == "lesson" ? m_lesson.title.en : m_lesson.title.zh) = f.value;
        m_titleLine = m_titleLine ? m_titleLine : f.line;
    } else if (n == "chapter") {
        m_lesson.chapters.emplace_back();
        m_chapter = &m_lesson.chapters.back();
        m_chapter->line = f.line;
    } else if (n == "settings" && !m_chapter) {
        m_lesson.flags = checkedFlags(f.value);
        m_flagsLine = f.line;
    } else if (!m_chapter) {
        static const char* const chapterFields[] = {"title",      "title.zh",  "text", "text.zh",   "page",
                                                    "show",       "highlight", "try",  "question",  "question.zh",
                                                    "answer",     "answer.zh", "goal", "goal.text", "goal.text.zh",
                                                    "experiment", "heatmap",   "model"};
        if (known(chapterFields, n)) fail("comes before the first 'chapter:'");
        fail(std::string("unknown field (") + kFieldNames + ")");
    } else {
        chapterField(f);
    }
}

void LessonReader::chapterField(const Field& f) {
    LessonChapter& ch = *m_chapter;
    const std::string& n = f.name;
    const bool zh = n.size() > 3 && n.compare(n.size() - 3, 3, ".zh") == 0;
    const std::string base = zh ? n.substr(0, n.size() - 3) : n;
    LessonText* text = base == "title"       ? &ch.title
                       : base == "text"      ? &ch.text
                       : base == "question"  ? &ch.question
                       : base == "answer"    ? &ch.answer
                       : base == "goal.text" ? &ch.goalText
                                             : nullptr;
    if (text) {
        (zh ? text->zh : text->en) = f.value;
    } else if (n == "settings") {
        ch.flags = checkedFlags(f.value);
        ch.flagsLine = f.line;
    } else if (n == "page") {
        if (!named(m_names.pages, f.value)) fail("must be " + joined(m_names.pages, ", ") + " (got '" + f.value + "')");
        ch.page = f.value;
    } else if (n == "show" || n == "highlight") {
        std::vector<std::string> views = splitList(f.value, ',');
        for (const std::string& v : views)
            if (!named(m_names.views, v)) fail("unknown view '" + v + "' (views: " + joined(m_names.views, ", ") + ")");
        (n == "show" ? ch.show : ch.highlight) = std::move(views);
    } else if (n == "try") {
        const auto parts = splitList(f.value, '|');
        if (parts.size() != 3) fail("expected 'English label | 中文标签 | --flags' (got '" + f.value + "')");
        ch.tries.push_back({{parts[0], parts[1]}, checkedFlags(parts[2]), f.line});
    } else if (n == "goal") {
        for (const std::string& g : splitList(f.value, ',')) ch.goals.push_back(parseGoal(g));
    } else if (n == "experiment") {
        if (f.value != "balance" && f.value != "sentiment")
            fail("experiment is 'balance' or 'sentiment' (got '" + f.value + "')");
        ch.experiment = f.value;
    } else if (n == "heatmap") {
        if (f.value != "scores" && f.value != "logits") fail("heatmap is 'scores' or 'logits' (got '" + f.value + "')");
        ch.heatmap = f.value;
    } else if (n == "model") {  // the chapter runs the language model (tiny-lm, or a .safetensors path)
        if (f.value.empty() || !std::filesystem::exists(lmPath(f.value)))
            fail("no language model '" + f.value + "' (" + lmPath(f.value) + " does not exist)");
        ch.model = f.value;
    } else {
        fail(std::string("unknown field (") + kFieldNames + ")");
    }
}

void LessonReader::checkChapters() {
    if (m_lesson.chapters.empty()) error(0, "", "has no 'chapter:'");
    for (const LessonChapter& c : m_lesson.chapters) {
        if (c.title.empty()) error(c.line, "chapter", "has no title");
        if (c.text.empty()) error(c.line, "chapter", "has no text");
        if (!c.question.empty() && c.answer.empty()) error(c.line, "chapter", "asks a question without an answer");
        // Students read the goal as a sentence, never as 'drop_rate <= 0'.
        if (!c.goals.empty() && c.goalText.empty()) error(c.line, "chapter", "has a goal without goal.text");
    }
}

// Every chapter's settings, and each try's on top of them, must be valid together. A
// problem in the lesson's own settings is reported once, not in every chapter.
void LessonReader::checkSettings() {
    const auto valid = [&](int line, const std::string& field, auto&& settings) {
        try {
            Settings s = settings();
            checkSharedSettings(s, "");  // before building weights a student's machine cannot hold
            buildWeights(s);             // a weights file fixes the shape the ranges depend on
            return true;
        } catch (const InputError& e) {
            error(line, field, e.what());
            return false;
        }
    };
    const bool base = valid(m_flagsLine, "settings", [&] {
        Settings s;
        const Args args(m_lesson.flags, settingFlags(), {});
        applyFlags(s, args);
        if (!setsModel(args)) useShippedModel(s);
        resolveSettings(s);
        return s;
    });
    for (size_t c = 0; base && c < m_lesson.chapters.size(); ++c) {
        const LessonChapter& ch = m_lesson.chapters[c];
        for (int t = -1; t < int(ch.tries.size()); ++t) {
            const int line = t < 0 ? (ch.flagsLine ? ch.flagsLine : ch.line) : ch.tries[t].line;
            const bool ok = valid(line, t < 0 ? "settings" : "try",
                                  [&] { return chapterSettings(m_lesson, int(c), t, Settings{}); });
            if (!ok && t < 0) break;  // its tries build on it
        }
    }
}

// A chapter should speak both languages; one that does not is still usable.
void LessonReader::checkLanguages() {
    const auto missing = [](std::initializer_list<std::pair<const LessonText*, const char*>> texts, bool zh) {
        std::string out;
        for (const auto& [t, name] : texts)
            if (!t->empty() && (zh ? t->zh : t->en).empty())
                (out += out.empty() ? "" : ", ") += std::string(name) + (zh ? ".zh" : "");
        return out;
    };
    for (bool zh : {true, false})
        if (const std::string m = missing({{&m_lesson.title, "lesson"}}, zh); !m.empty())
            m_problems.push_back(
                {m_titleLine, "",
                 std::string("the lesson's title has no ") + (zh ? "Chinese" : "English") + " (no " + m + ")", true});
    for (const LessonChapter& c : m_lesson.chapters)
        for (bool zh : {true, false}) {
            const std::string m = missing({{&c.title, "title"},
                                           {&c.text, "text"},
                                           {&c.question, "question"},
                                           {&c.answer, "answer"},
                                           {&c.goalText, "goal.text"}},
                                          zh);
            if (!m.empty())
                m_problems.push_back(
                    {c.line, "",
                     std::string("chapter without ") + (zh ? "Chinese" : "English") + " text (no " + m + ")", true});
        }
}

}  // namespace

bool LessonCheck::hasErrors() const {
    return std::any_of(problems.begin(), problems.end(), [](const LessonProblem& p) { return !p.warning; });
}

LessonCheck checkLesson(const std::string& text, const std::string& path, const LessonNames& names) {
    constexpr std::string_view kBom = "\xEF\xBB\xBF";  // written by some Windows editors
    const std::string_view body = std::string_view(text).starts_with(kBom) ? std::string_view(text).substr(3) : text;
    LessonCheck out;
    LessonReader reader(path, names, out.problems);
    for (const Field& f : readFields(std::string(body), out.problems)) reader.read(f);
    out.lesson = reader.finish();
    // In line order; problems of the file as a whole (line 0) last.
    const auto order = [](const LessonProblem& p) { return p.line > 0 ? p.line : INT_MAX; };
    std::stable_sort(out.problems.begin(), out.problems.end(),
                     [&](const LessonProblem& a, const LessonProblem& b) { return order(a) < order(b); });
    return out;
}

std::string problemLine(const LessonProblem& p, const std::string& path) {
    std::string out = path + (p.line > 0 ? ":" + std::to_string(p.line) : "") + ": ";
    if (p.warning) out += "warning: ";
    if (!p.field.empty()) out += p.field + ": ";
    return out + p.message;
}

Lesson parseLesson(const std::string& text, const std::string& path, const LessonNames& names) {
    LessonCheck check = checkLesson(text, path, names);
    for (const LessonProblem& p : check.problems)
        if (!p.warning)
            throw InputError(
                path + (p.line > 0 ? ":" + std::to_string(p.line) : "") + (p.field.empty() ? "" : " " + p.field),
                p.message);
    return std::move(check.lesson);
}

Lesson loadLesson(const std::string& path, const LessonNames& names) {
    return parseLesson(readFile(path), path, names);
}

std::string lessonFile(const std::string& name) {
    return name == "builtin" ? dataPath("lessons/moe-basics.lesson") : name;
}

}  // namespace moe
