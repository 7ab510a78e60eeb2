// The Chinese UI is complete: every string the app shows has an entry in the string
// table, no two English strings share a Chinese one, format strings keep their
// arguments, and every glyph the UI draws is in the font atlas.
#include <gtest/gtest.h>

#include <imgui.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "atomic_file.hpp"
#include "cluster.hpp"
#include "data_dir.hpp"
#include "gui/i18n.hpp"
#include "gui/style.hpp"
#include "lesson.hpp"
#include "presets.hpp"
#include "settings_schema.hpp"
#include "train/train_model.hpp"
#include "train/trainer.hpp"

namespace {

using namespace moe;
using namespace moe::gui;

// A C++ string literal's text: \uXXXX, \n, \" and \\ unescaped.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        const char c = s[++i];
        if (c == 'n')
            out += '\n';
        else if (c == 'u' && i + 4 < s.size() + 1) {
            const unsigned cp = std::stoul(s.substr(i + 1, 4), nullptr, 16);
            i += 4;
            if (cp < 0x80)
                out += char(cp);
            else if (cp < 0x800) {
                out += char(0xC0 | cp >> 6);
                out += char(0x80 | (cp & 63));
            } else {
                out += char(0xE0 | cp >> 12);
                out += char(0x80 | (cp >> 6 & 63));
                out += char(0x80 | (cp & 63));
            }
        } else
            out += c;
    }
    return out;
}

// Every string the app's sources pass to tr(), caption() or label(), with where it is.
std::map<std::string, std::string> uiStrings() {
    std::map<std::string, std::string> out;
    // tr("a" "b"), caption(...), label(...) and N_(...): adjacent literals joined.
    const std::regex call(R"re(\b(?:tr|caption|label|N_)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+))re");
    const std::regex literal(R"re("((?:[^"\\]|\\.)*)")re");
    for (const auto& f : std::filesystem::directory_iterator(std::string(MOELAB_SOURCE_DIR) + "/app/gui")) {
        if (f.path().extension() != ".cpp" || f.path().filename() == "translations.cpp") continue;
        const std::string text = readFile(f.path().string());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), call); it != std::sregex_iterator(); ++it) {
            const std::string parts = (*it)[1];
            std::string joined;
            for (auto p = std::sregex_iterator(parts.begin(), parts.end(), literal); p != std::sregex_iterator(); ++p)
                joined += unescape((*p)[1]);
            out[joined] = f.path().filename().string();
        }
    }
    return out;
}

TEST(Translations, EveryStringTheAppShowsHasAChineseEntry) {
    std::vector<std::string> missing;
    const auto need = [&](const std::string& en, const std::string& where) {
        if (!hasTranslation(en.c_str())) missing.push_back("\"" + en + "\" (" + where + ")");
    };
    for (const auto& [en, where] : uiStrings()) need(en, where);
    for (const SettingSpec& s : settingSpecs()) {
        need(s.label, "settings_schema.cpp label");
        need(groupName(s.group), "settings_schema.cpp group");
        for (std::string_view c : s.choices)
            need(std::string(c), "settings_schema.cpp choice of " + std::string(s.key));
        if (s.zeroMeans) need(s.zeroMeans, "settings_schema.cpp zeroMeans of " + std::string(s.key));
        if (s.negativeMeans) need(s.negativeMeans, "settings_schema.cpp negativeMeans of " + std::string(s.key));
    }
    for (int c = 0; c < train::kByteClasses; ++c) need(train::byteClassName(c), "trainer.cpp byte class");
    for (const std::string& en : viewAndPageTitles()) need(en, "view or page title");
    for (const TopologyPreset& t : topologyPresets())
        need(t.description, "cluster.cpp topology " + std::string(t.name));
    for (const char* change : train::kTrainableChanges) need(change, "train_model.hpp kTrainableChanges");
    for (const std::string& m : missing) ADD_FAILURE() << "no Chinese for " << m;
    EXPECT_TRUE(missing.empty()) << missing.size() << " strings without Chinese";
}

TEST(Translations, RawEnglishLiteralsGoThroughTheTable) {
    // ImGui calls whose text is an English literal, not tr(...): they would stay English.
    const std::regex raw(
        R"re(ImGui::(?:Text|TextDisabled|TextWrapped|Button|MenuItem|Selectable|Checkbox|SetTooltip|BeginMenu|TabItem|BeginTabItem)\(\s*"((?:[^"\\]|\\.)*[A-Za-z]{3,}(?:[^"\\]|\\.)*)")re");
    std::vector<std::string> found;
    for (const auto& f : std::filesystem::directory_iterator(std::string(MOELAB_SOURCE_DIR) + "/app/gui")) {
        if (f.path().extension() != ".cpp") continue;
        const std::string text = readFile(f.path().string());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), raw); it != std::sregex_iterator(); ++it) {
            const std::string s = (*it)[1];
            // Formulas and units are the same in both languages.
            if (std::regex_search(s, std::regex(R"(^[%\s\w=/()·.+\-\[\]:,|\\u0-9]*$)")) &&
                !std::regex_search(s, std::regex(R"([a-z]{4,} [a-z]{3,})")))
                continue;
            found.push_back(f.path().filename().string() + ": \"" + s + "\"");
        }
    }
    for (const std::string& f : found) ADD_FAILURE() << "untranslated literal in " << f;
}

// The same word in another case or with other spaces is the same label.
std::string folded(std::string s) {
    std::string out;
    for (char c : s)
        if (c != ' ') out += char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

TEST(Translations, NoTwoLabelsShareOneChineseString) {
    std::map<std::string, std::string> seen;
    std::set<std::string> keys;
    for (const auto& [en, zh] : translationTable()) {
        EXPECT_TRUE(keys.insert(en).second) << "\"" << en << "\" is in the table twice";
        const auto [it, fresh] = seen.emplace(zh, en);
        EXPECT_TRUE(fresh || folded(it->second) == folded(en))
            << "\"" << en << "\" and \"" << it->second << "\" both read \"" << zh << "\"";
    }
}

// docs/glossary.md: one Chinese term per concept. The variants it rejects appear in none
// of the Chinese a student reads: the app's table, the settings' help, the presets and
// the built-in lesson.
TEST(Translations, OneChineseTermPerConcept) {
    std::vector<std::pair<std::string, std::string>> zh;  // where, text
    for (const auto& [en, text] : translationTable()) zh.emplace_back(en, text);
    for (const SettingSpec& s : settingSpecs())
        if (s.helpZh) zh.emplace_back("help of " + std::string(s.key), s.helpZh);
    for (const Preset& p : presets())
        zh.emplace_back(std::string("preset ") + p.name, std::string(p.titleZh) + p.scaledZh);
    const Lesson lesson = loadLesson(dataPath("lessons/moe-basics.lesson"));
    for (const LessonChapter& c : lesson.chapters)
        for (const LessonText* t : {&c.title, &c.text, &c.question, &c.answer, &c.goalText})
            zh.emplace_back(c.title.en, t->zh);
    // The rejected variant and the glossary's term; 种子 alone is the random seed (随机种子).
    const std::pair<std::regex, const char*> rejected[] = {{std::regex("种子(教程)? ?00"), "教程 00N"},
                                                           {std::regex("令牌"), "词元"},
                                                           {std::regex("得分"), "分数"},
                                                           {std::regex("首选|次选"), "第一选择"},
                                                           {std::regex("派发"), "分发"},
                                                           {std::regex("容量系数"), "容量因子"},
                                                           {std::regex("负载平衡"), "负载均衡"},
                                                           {std::regex("负载 CV"), "负载变异系数"}};
    for (const auto& [where, text] : zh)
        for (const auto& [variant, term] : rejected)
            EXPECT_FALSE(std::regex_search(text, variant))
                << where << ": \"" << text << "\" (the glossary says " << term << ")";
}

TEST(Translations, FormatStringsKeepTheirArguments) {
    const std::regex spec(R"(%[-+ #0]*[0-9]*(?:\.[0-9]+)?(?:hh|h|ll|l|z)?[diouxXeEfgGcsp%])");
    for (const auto& [enText, zhText] : translationTable()) {
        const std::string en = enText, zh = zhText;
        std::vector<std::string> a, b;
        for (auto it = std::sregex_iterator(en.begin(), en.end(), spec); it != std::sregex_iterator(); ++it)
            a.push_back(it->str());
        for (auto it = std::sregex_iterator(zh.begin(), zh.end(), spec); it != std::sregex_iterator(); ++it)
            b.push_back(it->str());
        EXPECT_EQ(a, b) << "\"" << en << "\" -> \"" << zh << "\"";
    }
}

TEST(Translations, EveryGlyphIsInTheFontAtlas) {
    ImGui::CreateContext();
    gui::Fonts fonts;
    fonts.build(1.0f, "");
    if (!fonts.problem().empty()) {
        ImGui::DestroyContext();
        GTEST_SKIP() << "skipped: " << fonts.problem();
    }
    // The translations, and every literal of the app's sources (symbols such as ★ and →).
    std::string all = gui::allTranslatedText();
    const std::regex literal(R"re("((?:[^"\\]|\\.)*)")re");
    for (const auto& f : std::filesystem::directory_iterator(std::string(MOELAB_SOURCE_DIR) + "/app/gui")) {
        const std::string text = readFile(f.path().string());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), literal); it != std::sregex_iterator(); ++it)
            all += unescape((*it)[1]);
    }
    std::set<unsigned> missing;
    for (unsigned cp : gui::codePoints(all))
        if (cp <= 0xFFFF && !fonts.regular()->FindGlyphNoFallback(static_cast<ImWchar>(cp))) missing.insert(cp);
    ImGui::DestroyContext();
    for (unsigned cp : missing) ADD_FAILURE() << "U+" << std::hex << cp << " is not in the font atlas";
}

}  // namespace
