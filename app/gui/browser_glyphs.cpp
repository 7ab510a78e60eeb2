// Characters the browser's font subset lacks (web/subset_font.py), drawn by the
// browser's own fonts on a 2D canvas (index.html: window.moelab.drawGlyph) into ImGui's
// atlas: text typed, pasted or loaded in the page shows whatever characters it holds,
// as the desktop's full font shows them. Only the web build compiles this file.
#include <emscripten.h>

#include <algorithm>
#include <cmath>

#include "style.hpp"

namespace moe::gui {
namespace {

struct BrowserGlyph {
    ImFont* font;
    unsigned codePoint;
    float em;  // the font's em in pixels: CSS font sizes are ems, ImGui's FontSize a line's height
    int rect, width, height, baseline;
};

// A full-width character's advance is one em (Noto Sans CJK: 1000 units; its line is 1448).
float emPixels(const ImFont* font) {
    const ImFontGlyph* one = font->FindGlyphNoFallback(0x4E00);  // 一
    return one ? one->AdvanceX : font->FontSize / 1.448f;
}

BrowserGlyph measure(ImFontAtlas& atlas, ImFont* font, unsigned cp) {
    const float em = emPixels(font);
    const double advance = EM_ASM_DOUBLE({ return window.moelab.glyphWidth($0, $1); }, cp, em);
    BrowserGlyph g{font,
                   cp,
                   em,
                   0,
                   std::max(1, int(std::ceil(advance))),
                   int(std::ceil(font->Ascent - font->Descent)),
                   int(std::round(font->Ascent))};
    // Offset 0: a glyph's rectangle starts at the line's top, its baseline at the ascent.
    g.rect = atlas.AddCustomRectFontGlyph(font, ImWchar(cp), g.width, g.height, float(std::round(advance)));
    return g;
}

}  // namespace

int addBrowserGlyphs(ImFontAtlas& atlas, const std::vector<ImFont*>& fonts, const std::vector<unsigned>& codePoints) {
    std::vector<BrowserGlyph> glyphs;
    for (ImFont* font : fonts)
        for (unsigned cp : codePoints)
            if (cp <= 0xFFFF && !font->FindGlyphNoFallback(ImWchar(cp))) glyphs.push_back(measure(atlas, font, cp));
    if (glyphs.empty()) return 0;
    atlas.Build();  // packs the new rectangles beside the font's glyphs
    int drawn = 0;
    EM_ASM(window.moelab.glyphInk = []);
    for (const BrowserGlyph& g : glyphs) {
        const ImFontAtlasCustomRect& r = *atlas.GetCustomRectByIndex(g.rect);
        if (!r.IsPacked()) continue;  // no room in the atlas: ImGui's '?' instead
        unsigned char* top = atlas.TexPixelsAlpha8 + size_t(r.Y) * atlas.TexWidth + r.X;
        EM_ASM(
            {
                const alpha = window.moelab.drawGlyph($0, $1, $2, $3, $4);
                for (let y = 0; y < $4; y++) HEAPU8.set(alpha.subarray(y * $3, (y + 1) * $3), $5 + y * $6);
            },
            g.codePoint, g.em, g.baseline, g.width, g.height, top, atlas.TexWidth);
        ++drawn;
    }
    return drawn;
}

}  // namespace moe::gui
