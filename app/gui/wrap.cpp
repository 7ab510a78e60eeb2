#include "wrap.hpp"

#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cstdarg>
#include <cstdio>

#include "tokenizer.hpp"

namespace moe::gui {
namespace {

// One UTF-8 code point at text[i]; its length in n (1 for a malformed byte).
unsigned decode(std::string_view s, size_t i, size_t& n) {
    int len;
    const unsigned cp = codePointAt(s, i, len);
    n = static_cast<size_t>(len);
    return cp;
}

bool isCjk(unsigned c) {
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x2FFFF);
}
bool isClosing(unsigned c) {  // never starts a line
    for (unsigned x : {0xFF0Cu, 0x3002u, 0xFF01u, 0xFF1Fu, 0xFF1Bu, 0xFF1Au, 0x3001u, 0xFF09u, 0x300Du, 0x300Fu,
                       0x201Du, 0x2019u, 0x3011u, 0x300Bu, 0x2026u})
        if (c == x) return true;
    return c == ')' || c == ',' || c == '.' || c == ':' || c == ';' || c == '!' || c == '?';
}
bool isOpening(unsigned c) {  // never ends a line
    for (unsigned x : {0xFF08u, 0x300Cu, 0x300Eu, 0x201Cu, 0x2018u, 0x3010u, 0x300Au})
        if (c == x) return true;
    return c == '(';
}

std::string_view trimRight(std::string_view s) {
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

}  // namespace

std::vector<std::string_view> wrapLines(std::string_view text, float width,
                                        const std::function<float(unsigned)>& advance) {
    std::vector<std::string_view> lines;
    size_t start = 0, i = 0,
           breakAt = std::string_view::npos;  // breakAt: where the line may end
    float w = 0;
    unsigned prev = 0;
    while (i < text.size()) {
        size_t n;
        const unsigned c = decode(text, i, n);
        if (c == '\n') {
            lines.push_back(trimRight(text.substr(start, i - start)));
            start = i = i + 1;
            breakAt = std::string_view::npos;
            w = 0;
            prev = 0;
            continue;
        }
        // A break is allowed before c after a space or a path's '/', or between CJK characters.
        if (i > start && (((prev == ' ' || prev == '/') && c != ' ') ||
                          ((isCjk(c) || isCjk(prev)) && !isClosing(c) && !isOpening(prev) && c != ' ')))
            breakAt = i;
        const float cw = advance(c);
        if (w + cw > width && i > start && c != ' ') {
            const size_t end = breakAt != std::string_view::npos && breakAt > start ? breakAt : i;
            lines.push_back(trimRight(text.substr(start, end - start)));
            start = end;
            while (start < text.size() && text[start] == ' ') ++start;
            breakAt = std::string_view::npos;
            prev = 0;
            w = 0;
            for (size_t k = start; k < i;) {  // what moved to the new line
                size_t m;
                prev = decode(text, k, m);
                w += advance(prev);
                k += m;
            }
            if (start > i) i = start;
            continue;  // c again, on the new line
        }
        w += cw;
        prev = c;
        i += n;
    }
    if (start < text.size() || lines.empty()) lines.push_back(trimRight(text.substr(std::min(start, text.size()))));
    return lines;
}

void textWrapped(std::string_view text, float width) {
    ImFont* font = ImGui::GetFont();
    const float size = ImGui::GetFontSize(), scale = size / font->FontSize;
    width = std::max(width > 0 ? width : ImGui::GetContentRegionAvail().x, size);
    ImGui::BeginGroup();  // later lines start where the first did, as after SameLine
    for (std::string_view line :
         wrapLines(text, width, [&](unsigned c) { return font->GetCharAdvance(static_cast<ImWchar>(c)) * scale; }))
        ImGui::TextUnformatted(line.data(), line.data() + line.size());
    ImGui::EndGroup();
}

std::string ellipsized(std::string_view text, float width) {
    ImFont* font = ImGui::GetFont();
    const float size = ImGui::GetFontSize();
    const char* end = text.data() + text.size();
    if (font->CalcTextSizeA(size, FLT_MAX, 0, text.data(), end).x <= width) return std::string(text);
    // ImGui stops measuring, at a whole character, where the width runs out.
    const char* fits = text.data();
    font->CalcTextSizeA(size, width - font->CalcTextSizeA(size, FLT_MAX, 0, "\u2026").x, 0, text.data(), end, &fits);
    return std::string(text.data(), fits) + "\u2026";
}

namespace {
void textWrappedv(const char* fmt, va_list args) {
    char buf[2048];
    std::vsnprintf(buf, sizeof buf, fmt, args);
    textWrapped(buf);
}
}  // namespace

void textWrappedf(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    textWrappedv(fmt, args);
    va_end(args);
}

void textDisabledWrappedf(const char* fmt, ...) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    va_list args;
    va_start(args, fmt);
    textWrappedv(fmt, args);
    va_end(args);
    ImGui::PopStyleColor();
}

}  // namespace moe::gui
