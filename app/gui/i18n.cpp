#include "i18n.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace moe::gui {
namespace {

Language g_language = Language::English;

const std::unordered_map<std::string_view, const char*>& chinese() {
    static const std::unordered_map<std::string_view, const char*> t = [] {
        std::unordered_map<std::string_view, const char*> m;
        for (const auto& [en, zh] : translationTable()) m.emplace(en, zh);
        return m;
    }();
    return t;
}

}  // namespace

void setLanguage(Language l) { g_language = l; }
Language language() { return g_language; }

Language languageFromEnvironment() {
    for (const char* var : {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}) {
        const char* v = std::getenv(var);
        if (v && *v) return std::strncmp(v, "zh", 2) == 0 ? Language::Chinese : Language::English;
    }
    return Language::English;
}

bool hasTranslation(const char* english) { return chinese().count(english) != 0; }

const char* tr(const char* english) {
    if (g_language == Language::English) return english;
    const auto& t = chinese();
    auto it = t.find(english);
    return it == t.end() ? english : it->second;
}

std::string allTranslatedText() {
    std::string all = "简体中文";
    for (const auto& [en, zh] : chinese()) all += zh;
    return all;
}

std::string translateMessage(const std::string& message) {
    if (g_language == Language::English) return message;
    // The fixed phrases of the engine's messages (settings_schema.cpp, flags.cpp, ...).
    static const std::pair<const char*, const char*> phrases[] = {
        {"must be in ", "必须在此范围内："},
        {"must be one of ", "必须是以下之一："},
        {"must be an integer", "必须是整数"},
        {"must be a number", "必须是数字"},
        {"must divide the expert count", "必须整除专家数"},
        {"needs one value per expert", "需要每个专家一个值"},
        {"unknown flag", "未知参数"},
        {"needs a value", "需要一个值"},
        {"given twice", "重复给出"},
        {"cannot read", "无法读取"},
        {"cannot write", "无法写入"},
        {"not found", "找不到"},
        {"not a session file", "不是会话文件"},
        {"unknown field", "未知字段"},
        {"unknown view", "未知视图"},
        {"keeps ", "只保留 "},
        {" experts, fewer than k = ", " 个专家，少于 k = "},
        {"needs --placement contiguous, so that a group of experts is a device",
         "需要 --placement contiguous，才能让一组专家对应一台设备"},
        {" threads)", " 个线程）"},  // the Eigen backend's device name
        {"this build has no OpenCL", "此版本没有 OpenCL（网页版只用 Eigen）"},
    };
    std::string out = message;
    for (const auto& [en, zh] : phrases)
        for (size_t at = out.find(en); at != std::string::npos; at = out.find(en, at + std::string(zh).size()))
            out.replace(at, std::string(en).size(), zh);
    return out;
}

const char* label(const char* english, const char* id) {
    struct Key {
        const char *english, *id;
        Language language;
        bool operator==(const Key& o) const { return english == o.english && id == o.id && language == o.language; }
    };
    struct Hash {
        size_t operator()(const Key& k) const {
            return std::hash<const void*>()(k.english) * 31 + std::hash<const void*>()(k.id) + size_t(k.language);
        }
    };
    static std::unordered_map<Key, std::string, Hash> cache;
    const Key key{english, id, g_language};
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, std::string(tr(english)) + "###" + id).first;
    return it->second.c_str();
}

}  // namespace moe::gui
