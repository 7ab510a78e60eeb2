#pragma once
// English and Simplified Chinese UI text. tr("English text") returns the text in the
// current language; the English string is the key, so code reads naturally. The table
// is translations.cpp; tests/test_translations.cpp keeps it complete.
#include <string>
#include <utility>
#include <vector>

namespace moe::gui {

enum class Language { English, Chinese };
void setLanguage(Language l);
Language language();
// From LANG / LC_ALL / LANGUAGE: zh* gives Chinese.
Language languageFromEnvironment();
const char* tr(const char* english);
bool hasTranslation(const char* english);
// Marks a literal that reaches tr() later (through a variable), so the table's test sees it.
constexpr const char* N_(const char* english) { return english; }
// Every (English, Chinese) pair.
const std::vector<std::pair<const char*, const char*>>& translationTable();
// Every translated string, concatenated: their characters must be in the font atlas.
std::string allTranslatedText();
// "Translated###stable-id": the label changes with the language, the ImGui ID does not.
// Cached by the literals' addresses, so a steady frame allocates nothing.
const char* label(const char* english, const char* id);
// An error message from the engine in the current language: its fixed phrases
// translated, the names and numbers in it kept.
std::string translateMessage(const std::string& message);
// The titles of every view and page (for the translation test).
std::vector<std::string> viewAndPageTitles();

}  // namespace moe::gui
