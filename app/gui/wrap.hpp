#pragma once
// Word wrap that knows Chinese. ImGui 1.86 breaks lines only at spaces, so a
// run of Chinese without spaces is one long "word": it jumps to the next line
// whole, or is cut mid-phrase. Here a line may break between any two CJK
// characters, never before closing punctuation (，。！？) nor after an opening
// bracket, and at spaces as usual.
#include <imgui.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace moe::gui {

// The lines of text wrapped to width, as views into text (trailing spaces and
// the newline dropped). advance(codepoint) gives a character's width.
std::vector<std::string_view> wrapLines(std::string_view text, float width,
                                        const std::function<float(unsigned)>& advance);

// ImGui::TextWrapped's replacement: the text wrapped to width (the region's
// width when 0, as in a window; a tooltip has none and must say), in the
// current text colour.
void textWrapped(std::string_view text, float width = 0);
// The same for printf-style text, at the region's width.
void textWrappedf(const char* fmt, ...) IM_FMTARGS(1);
// text cut to fit width with "…" at the end (whole UTF-8 characters), or text itself.
std::string ellipsized(std::string_view text, float width);
// The same in the faint colour of ImGui::TextDisabled.
void textDisabledWrappedf(const char* fmt, ...) IM_FMTARGS(1);

}  // namespace moe::gui
