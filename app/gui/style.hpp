#pragma once
// Colours, themes and fonts shared by every view.
#include <imgui.h>

#include <string>
#include <vector>

#include "tokenizer.hpp"

namespace moe::gui {

// One fixed colour per expert, the same in every view: Okabe & Ito's colour-blind-safe
// set, then Paul Tol's muted set, then the two again darker.
ImU32 expertColor(int e, float alpha = 1.0f);
// Perceptual sequential map for scores in [0, 1] (viridis control points).
ImU32 scoreColor(float v);
// Diverging map for signed values in [-1, 1]: blue, white at 0, red (ColorBrewer RdBu).
ImU32 signedColor(float v);
// Black or white, whichever reads on `background`.
ImU32 textOn(ImU32 background);
inline const ImU32 kWarning = IM_COL32(213, 94, 0, 255);      // overflow, drops (Okabe-Ito vermillion)
inline const ImU32 kHighlight = IM_COL32(240, 200, 40, 255);  // a lesson's highlighted views

// How a token's character is drawn: escapes for control and invalid bytes, a dot for space.
std::string displayChar(const ByteToken& t);

enum class Theme { Dark, Light };
void applyTheme(Theme theme, float scale);

// The CJK-capable font, its glyph ranges grown with the text shown.
class Fonts {
public:
    // Loads Noto Sans CJK (fonts-noto-cjk) at base size * scale; falls back to
    // ImGui's built-in font with a message when it is missing.
    void build(float scale, const std::string& text, const std::string& more = "");
    // True when `text` has characters the atlas lacks: call build() before NewFrame.
    // Called every frame: scans only when the text differs from the last one seen.
    bool needsRebuild(const std::string& text, const std::string& more = "");
    ImFont* regular() const { return m_regular; }
    ImFont* large() const { return m_large; }
    // Smaller text (expert tags; 0.8 of regular; Latin and arrows) and the tiniest (the
    // chips' "0x" and subscripts; ASCII), each drawn at its own size: the atlas is sampled
    // without filtering, which is only sharp when no glyph is scaled.
    ImFont* small() const { return m_small; }
    ImFont* tiny() const { return m_tiny; }
    const std::string& problem() const { return m_problem; }
    const std::string& path() const { return m_path; }
    int browserGlyphs() const { return m_browserGlyphs; }  // drawn by the browser's fonts (below)

private:
    ImFont* m_regular = nullptr;
    ImFont* m_large = nullptr;
    ImFont* m_small = nullptr;
    ImFont* m_tiny = nullptr;
    ImVector<ImWchar> m_ranges;
    std::vector<unsigned> m_extra;  // code points added beyond the common ranges
    std::string m_checkedText;      // the text needsRebuild last scanned
    size_t m_checkedMore = 0;       // and the size of the extra text (a lesson's)
    std::string m_problem, m_path;
    int m_browserGlyphs = 0;
};

// The browser: glyphs `fonts` lack for `codePoints`, drawn by the browser's own fonts
// into the atlas, which is built again (browser_glyphs.cpp); returns how many. The
// desktop's full font has them: 0 there.
int addBrowserGlyphs(ImFontAtlas& atlas, const std::vector<ImFont*>& fonts, const std::vector<unsigned>& codePoints);

std::vector<unsigned> codePoints(const std::string& utf8);

}  // namespace moe::gui
