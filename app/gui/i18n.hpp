#pragma once
// English and Simplified Chinese UI text. tr("English text") returns the text in the
// current language; the English string is the key, so code reads naturally.
#include <string>

namespace moe::gui {

enum class Language { English, Chinese };
void setLanguage(Language l);
Language language();
// From LANG / LC_ALL / LANGUAGE: zh* gives Chinese.
Language languageFromEnvironment();
const char* tr(const char* english);
// Every translated string, concatenated: their characters must be in the font atlas.
std::string allTranslatedText();
// "Translated###stable-id": the label changes with the language, the ImGui ID does not.
// Cached by the literals' addresses, so a steady frame allocates nothing.
const char* label(const char* english, const char* id);

} // namespace moe::gui
