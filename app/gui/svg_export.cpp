#include "svg_export.hpp"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "errors.hpp"

namespace moe::gui {
namespace {

struct GlyphRef {
    const ImFont* font;
    const ImFontGlyph* glyph;
};

// Every glyph of every font by where it sits in the atlas.
class GlyphIndex {
public:
    explicit GlyphIndex(const ImFontAtlas& atlas) {
        for (const ImFont* font : atlas.Fonts)
            for (const ImFontGlyph& g : font->Glyphs)
                if (g.Visible) m_byCorner.emplace(std::make_pair(g.U0, g.V0), GlyphRef{font, &g});
    }
    // The glyph whose atlas rectangle holds the quad's texture rectangle: its top-left
    // corner for a whole glyph; inside it for one ImGui trimmed at a clip edge.
    const GlyphRef* find(ImVec2 uv0, ImVec2 uv1) const {
        if (const auto it = m_byCorner.find({uv0.x, uv0.y}); it != m_byCorner.end()) return &it->second;
        const ImVec2 mid((uv0.x + uv1.x) / 2, (uv0.y + uv1.y) / 2);
        for (const auto& [corner, ref] : m_byCorner) {
            const ImFontGlyph& g = *ref.glyph;
            if (mid.x >= g.U0 && mid.x <= g.U1 && mid.y >= g.V0 && mid.y <= g.V1) return &ref;
        }
        return nullptr;
    }

private:
    std::map<std::pair<float, float>, GlyphRef> m_byCorner;
};

std::string num(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

// ImU32 is A<<24 | B<<16 | G<<8 | R.
std::string colourAttrs(const char* attr, ImU32 c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s=\"#%02x%02x%02x\"", attr, c & 0xFF, (c >> 8) & 0xFF, (c >> 16) & 0xFF);
    std::string s = buf;
    if (const unsigned a = c >> 24; a < 255) s += std::string(" ") + attr + "-opacity=\"" + num(a / 255.0f) + "\"";
    return s;
}

void appendUtf8(std::string& out, unsigned cp) {
    if (cp == '&')
        out += "&amp;";
    else if (cp == '<')
        out += "&lt;";
    else if (cp == '>')
        out += "&gt;";
    else if (cp < 0x80)
        out += char(cp);
    else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// A gradient (AddRectFilledMultiColor) becomes its mean colour.
ImU32 meanColour(std::initializer_list<ImU32> colours) {
    ImU32 out = 0;
    for (int shift = 0; shift < 32; shift += 8) {
        unsigned sum = 0;
        for (ImU32 c : colours) sum += (c >> shift) & 0xFF;
        out |= (sum / unsigned(colours.size())) << shift;
    }
    return out;
}

// Builds the body in draw order: a shape run or a text run is written out when the next
// primitive cannot join it, so what ImGui painted later stays on top.
class SvgWriter {
public:
    SvgWriter(std::string& body, float emPerFontSize) : m_body(body), m_em(emPerFontSize) {}

    void polygon(const ImVec2* p, int n, ImU32 colour) {
        flushText();
        if (colour != m_pathColour) {
            flushPath();
            m_pathColour = colour;
        }
        // One winding for every subpath: with the nonzero rule, overlaps then stay filled.
        float area = 0;
        for (int i = 0; i < n; ++i) area += p[i].x * p[(i + 1) % n].y - p[(i + 1) % n].x * p[i].y;
        for (int j = 0; j < n; ++j) {
            const ImVec2 v = p[area < 0 ? n - 1 - j : j];
            m_path += (j ? " L" : "M") + num(v.x) + " " + num(v.y);
        }
        m_path += "Z";
    }

    // A glyph quad: its corners on screen and in the atlas. A glyph trimmed at a clip
    // edge is written whole (the clip path trims it again): its full place follows from
    // how much of its atlas rectangle the quad shows.
    void glyph(const GlyphRef& g, ImVec2 topLeft, ImVec2 bottomRight, ImVec2 uv0, ImVec2 uv1, ImU32 colour) {
        flushPath();
        const ImFontGlyph& gl = *g.glyph;
        const float du = uv1.x - uv0.x, dv = uv1.y - uv0.y;
        const float s = du > 0 && gl.X1 > gl.X0 ? (bottomRight.x - topLeft.x) / (du / (gl.U1 - gl.U0) * (gl.X1 - gl.X0))
                        : dv > 0 && gl.Y1 > gl.Y0
                            ? (bottomRight.y - topLeft.y) / (dv / (gl.V1 - gl.V0) * (gl.Y1 - gl.Y0))
                            : 1.0f;
        const float left = topLeft.x - (uv0.x - gl.U0) / (gl.U1 - gl.U0) * (gl.X1 - gl.X0) * s;
        const float top = topLeft.y - (uv0.y - gl.V0) / (gl.V1 - gl.V0) * (gl.Y1 - gl.Y0) * s;
        const float x = left - gl.X0 * s, baseline = top - gl.Y0 * s + g.font->Ascent * s;
        const float size = g.font->FontSize * s * m_em;
        if (!m_text.empty() && g.font == m_font && colour == m_textColour && std::abs(baseline - m_baseline) < 0.5f &&
            std::abs(size - m_size) < 0.01f && x > m_nextX - 0.5f) {
            // ImGui draws no quad for a space: a gap of whole space widths is spaces again.
            const ImFontGlyph* space = g.font->FindGlyphNoFallback(' ');
            const float spaceW = space ? space->AdvanceX * s : 0;
            const float gap = x - m_nextX;
            const int spaces = spaceW > 0 ? int(std::lround(gap / spaceW)) : 0;
            if (std::abs(gap - spaces * spaceW) < 1.0f && spaces <= 8) {
                m_text.append(size_t(spaces), ' ');
                appendUtf8(m_text, gl.Codepoint);
                m_nextX = x + gl.AdvanceX * s;
                return;
            }
        }
        flushText();
        m_font = g.font;
        m_textColour = colour;
        m_baseline = baseline;
        m_x = x;
        m_size = size;
        appendUtf8(m_text, gl.Codepoint);
        m_nextX = x + gl.AdvanceX * s;
    }

    void flush() {
        flushPath();
        flushText();
    }

private:
    void flushPath() {
        if (m_path.empty()) return;
        m_body += "<path d=\"" + m_path + "\" " + colourAttrs("fill", m_pathColour) + "/>\n";
        m_path.clear();
    }
    void flushText() {
        if (m_text.empty()) return;
        m_body += "<text x=\"" + num(m_x) + "\" y=\"" + num(m_baseline) + "\" font-size=\"" + num(m_size) + "\" " +
                  colourAttrs("fill", m_textColour) + " xml:space=\"preserve\">" + m_text + "</text>\n";
        m_text.clear();
    }

    std::string& m_body;
    const float m_em;
    std::string m_path;
    ImU32 m_pathColour = 0;
    std::string m_text;
    const ImFont* m_font = nullptr;
    ImU32 m_textColour = 0;
    float m_baseline = 0, m_x = 0, m_size = 0, m_nextX = 0;
};

// ImGui sizes a font by its ascent minus descent, SVG by its em square. An ideograph is
// one em wide in CJK fonts, so its advance gives the ratio (1 for fonts without one).
float emPerFontSize(const ImFontAtlas& atlas) {
    for (const ImFont* font : atlas.Fonts)
        if (const ImFontGlyph* g = font->FindGlyphNoFallback(0x4E00); g && font->FontSize > 0)
            return g->AdvanceX / font->FontSize;
    return 1.0f;
}

// One draw command's triangles: glyphs as text, quads and triangles as polygons.
void commandShapes(SvgWriter& w, const GlyphIndex& glyphs, const ImDrawList& list, const ImDrawCmd& cmd, ImVec2 origin,
                   ImVec2 white) {
    const ImDrawIdx* idx = list.IdxBuffer.Data + cmd.IdxOffset;
    const ImDrawVert* vtx = list.VtxBuffer.Data + cmd.VtxOffset;
    const auto at = [&](unsigned i) {
        ImDrawVert v = vtx[idx[i]];
        v.pos.x -= origin.x;
        v.pos.y -= origin.y;
        return v;
    };
    for (unsigned i = 0; i + 2 < cmd.ElemCount; i += 3) {
        const ImDrawVert a = at(i), b = at(i + 1), cc = at(i + 2);
        const bool textured = a.uv.x != white.x || a.uv.y != white.y;
        // A rectangle is two triangles (a b c) (a c d): one quad, or one glyph.
        const bool quad = i + 5 < cmd.ElemCount && idx[i + 3] == idx[i] && idx[i + 4] == idx[i + 2];
        if (textured) {
            if (quad) {
                if (const GlyphRef* g = glyphs.find(a.uv, cc.uv)) w.glyph(*g, a.pos, cc.pos, a.uv, cc.uv, a.col);
                i += 3;
            }
            continue;  // not a glyph (a cursor shape): nothing of the view's content
        }
        if (quad) {
            const ImDrawVert d = at(i + 5);
            const ImVec2 p[4] = {a.pos, b.pos, cc.pos, d.pos};
            w.polygon(p, 4, meanColour({a.col, b.col, cc.col, d.col}));
            i += 3;
        } else {
            const ImVec2 p[3] = {a.pos, b.pos, cc.pos};
            w.polygon(p, 3, meanColour({a.col, b.col, cc.col}));
        }
    }
}

}  // namespace

void svgDrawStyle(ImGuiStyle& style) {
    style.AntiAliasedLines = false;
    style.AntiAliasedLinesUseTex = false;
    style.AntiAliasedFill = false;
}

std::string drawDataToSvg(const ImDrawData& data, ImVec2 size, ImU32 background, const std::string& idPrefix) {
    const ImFontAtlas& atlas = *ImGui::GetIO().Fonts;
    const GlyphIndex glyphs(atlas);
    const ImVec2 white = atlas.TexUvWhitePixel, origin = data.DisplayPos;
    std::string body, defs;
    std::map<std::tuple<float, float, float, float>, int> clips;
    SvgWriter w(body, emPerFontSize(atlas));
    int openClip = -1;
    for (int l = 0; l < data.CmdListsCount; ++l) {
        const ImDrawList& list = *data.CmdLists[l];
        for (const ImDrawCmd& cmd : list.CmdBuffer) {
            if (cmd.UserCallback || cmd.ElemCount == 0) continue;
            if (cmd.TextureId != atlas.TexID)
                throw InputError("--out", "this view shows an image, which has no SVG form: export it as PNG");
            const ImVec4 c = cmd.ClipRect;
            const auto key = std::make_tuple(c.x - origin.x, c.y - origin.y, c.z - origin.x, c.w - origin.y);
            const auto [it, added] = clips.emplace(key, int(clips.size()));
            if (added)
                defs += "<clipPath id=\"" + idPrefix + "-c" + std::to_string(it->second) + "\"><rect x=\"" +
                        num(std::get<0>(key)) + "\" y=\"" + num(std::get<1>(key)) + "\" width=\"" +
                        num(std::get<2>(key) - std::get<0>(key)) + "\" height=\"" +
                        num(std::get<3>(key) - std::get<1>(key)) + "\"/></clipPath>\n";
            if (it->second != openClip) {
                w.flush();
                if (openClip >= 0) body += "</g>\n";
                body += "<g clip-path=\"url(#" + idPrefix + "-c" + std::to_string(it->second) + ")\">\n";
                openClip = it->second;
            }
            commandShapes(w, glyphs, list, cmd, origin, white);
        }
    }
    w.flush();
    if (openClip >= 0) body += "</g>\n";
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
           num(size.x) + "\" height=\"" + num(size.y) + "\" viewBox=\"0 0 " + num(size.x) + " " + num(size.y) +
           "\" font-family=\"'Noto Sans CJK SC', 'Noto Sans', sans-serif\">\n<defs>\n" + defs +
           "</defs>\n<rect width=\"" + num(size.x) + "\" height=\"" + num(size.y) + "\" " +
           colourAttrs("fill", background | IM_COL32_A_MASK) + "/>\n" + body + "</svg>\n";
}

}  // namespace moe::gui
