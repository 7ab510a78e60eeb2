#include "style.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "i18n.hpp"
#include "platform.hpp"
#include "tokenizer.hpp"

namespace moe::gui {

ImU32 expertColor(int e, float alpha) {
    static const ImU32 base[] = {
        IM_COL32(230, 159, 0, 255),   IM_COL32(86, 180, 233, 255), IM_COL32(0, 158, 115, 255),
        IM_COL32(240, 228, 66, 255),  IM_COL32(0, 114, 178, 255),  IM_COL32(204, 121, 167, 255),
        IM_COL32(153, 153, 153, 255), IM_COL32(136, 34, 85, 255),  IM_COL32(51, 34, 136, 255),
        IM_COL32(17, 119, 51, 255),   IM_COL32(68, 170, 153, 255), IM_COL32(153, 153, 51, 255),
        IM_COL32(204, 102, 119, 255), IM_COL32(170, 68, 153, 255), IM_COL32(136, 204, 238, 255),
        IM_COL32(221, 204, 119, 255)};
    constexpr int n = sizeof(base) / sizeof(base[0]);
    ImVec4 c = ImGui::ColorConvertU32ToFloat4(base[((e % n) + n) % n]);
    const float shade = 1.0f - 0.3f * float((e / n) % 3);  // later cycles darker
    return ImGui::ColorConvertFloat4ToU32(ImVec4(c.x * shade, c.y * shade, c.z * shade, alpha));
}

ImU32 scoreColor(float v) {
    static const float stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!std::isfinite(v)) v = 0;
    v = std::clamp(v, 0.0f, 1.0f) * 4.0f;
    const int i = std::min(3, static_cast<int>(v));
    const float f = v - i;
    const auto mix = [&](int c) { return static_cast<int>(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])); };
    return IM_COL32(mix(0), mix(1), mix(2), 255);
}

ImU32 signedColor(float v) {
    static const float stops[][3] = {{33, 102, 172}, {103, 169, 207}, {247, 247, 247}, {239, 138, 98}, {178, 24, 43}};
    if (!std::isfinite(v)) v = 0;
    v = (std::clamp(v, -1.0f, 1.0f) + 1.0f) * 2.0f;
    const int i = std::min(3, static_cast<int>(v));
    const float f = v - i;
    const auto mix = [&](int c) { return static_cast<int>(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])); };
    return IM_COL32(mix(0), mix(1), mix(2), 255);
}

std::string displayChar(const ByteToken& t) {
    if (t.valid && t.byte == ' ') return "\u00B7";  // Noto CJK has no open-box glyph
    return printableChar(t);
}

ImU32 textOn(ImU32 bg) {
    const ImVec4 c = ImGui::ColorConvertU32ToFloat4(bg);
    const float luminance = 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z;
    return luminance > 0.5f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
}

void applyTheme(Theme theme, float scale) {
    ImGuiStyle style;
    if (theme == Theme::Dark)
        ImGui::StyleColorsDark(&style);
    else
        ImGui::StyleColorsLight(&style);
    style.WindowRounding = 4;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.WindowPadding = ImVec2(8, 6);
    style.ItemSpacing = ImVec2(8, 5);
    style.ScaleAllSizes(scale);
    // Fills are axis-aligned boxes: their anti-aliased fringe is invisible but costs
    // about 3 ms a frame under Mesa's software renderer (measured, 1280x800).
    style.AntiAliasedFill = false;
    ImGui::GetStyle() = style;
}

std::vector<unsigned> codePoints(const std::string& s) {
    std::vector<unsigned> out;
    for (size_t i = 0; i < s.size();) {
        int len;
        const unsigned cp = codePointAt(s, i, len);
        if (len > 1) out.push_back(cp);  // ASCII and malformed bytes need no glyph range
        i += len;
    }
    return out;
}

bool Fonts::needsRebuild(const std::string& text, const std::string& more) {
    if (!m_regular || !m_problem.empty() || (text == m_checkedText && more.size() == m_checkedMore)) return false;
    m_checkedText = text;
    m_checkedMore = more.size();  // a lesson's text changes only with another lesson
    for (unsigned cp : codePoints(text + more))
        if (cp <= 0xFFFF && !m_regular->FindGlyphNoFallback(static_cast<ImWchar>(cp))) {
            // Characters the font itself lacks would ask for a rebuild every frame.
            if (std::find(m_extra.begin(), m_extra.end(), cp) == m_extra.end()) return true;
        }
    return false;
}

void Fonts::build(float scale, const std::string& text, const std::string& more) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    m_problem.clear();
    m_checkedText = text;
    m_checkedMore = more.size();
    static const char* candidates[] = {"/fonts/moelab-cjk.otf",  // the browser's subset (web/subset_font.py)
                                       "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                                       "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                                       "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"};
    m_path.clear();
    for (const char* c : candidates)
        if (std::filesystem::exists(c)) {
            m_path = c;
            break;
        }
    if (m_path.empty()) {
        m_problem = "Chinese font not found: install fonts-noto-cjk (apt-get install fonts-noto-cjk)";
        ImFontConfig cfg;
        cfg.SizePixels = 13.0f * scale;
        m_regular = io.Fonts->AddFontDefault(&cfg);
        m_large = m_small = m_tiny = m_regular;
        io.Fonts->Build();
        return;
    }
    for (unsigned cp : codePoints(text + more + allTranslatedText()))
        if (cp <= 0xFFFF && std::find(m_extra.begin(), m_extra.end(), cp) == m_extra.end()) m_extra.push_back(cp);
    ImFontGlyphRangesBuilder b;
    b.AddRanges(io.Fonts->GetGlyphRangesChineseSimplifiedCommon());
    static const ImWchar symbols[] = {0x2000, 0x206F, 0x2190, 0x21FF, 0x2200, 0x22FF, 0x2500,
                                      0x25FF, 0x2080, 0x209F, 0x3000, 0x303F, 0xFF00, 0xFFEF,
                                      0x00A0, 0x024F, 0x0370, 0x03FF, 0x2600, 0x27BF, 0};
    b.AddRanges(symbols);
    for (unsigned cp : m_extra) b.AddChar(static_cast<ImWchar>(cp));
    m_ranges.clear();
    b.BuildRanges(&m_ranges);
    ImFontConfig cfg;
    cfg.OversampleH = 1;  // CJK atlases get large; 1x keeps the build fast
    cfg.OversampleV = 1;
    m_regular = io.Fonts->AddFontFromFileTTF(m_path.c_str(), 17.0f * scale, &cfg, m_ranges.Data);
    m_large = io.Fonts->AddFontFromFileTTF(m_path.c_str(), 26.0f * scale, &cfg, m_ranges.Data);
    // The small sizes hold only what they show (expert numbers, "+n", arrows), so they
    // cost the atlas little and never need a rebuild for new text.
    static const ImWchar smallRanges[] = {0x0020, 0x00FF, 0x2190, 0x21FF, 0};
    m_small = io.Fonts->AddFontFromFileTTF(m_path.c_str(), 17.0f * 0.8f * scale, &cfg, smallRanges);
    m_tiny =
        io.Fonts->AddFontFromFileTTF(m_path.c_str(), 17.0f * 0.68f * scale, &cfg, io.Fonts->GetGlyphRangesDefault());
    if (!m_regular || !m_large || !m_small || !m_tiny) {
        m_problem = "could not load " + m_path;
        io.Fonts->Clear();
        m_regular = m_large = m_small = m_tiny = io.Fonts->AddFontDefault();
    }
    io.Fonts->Build();
    if (kInBrowser && m_problem.empty()) m_browserGlyphs = addBrowserGlyphs(*io.Fonts, {m_regular, m_large}, m_extra);
}

#if !defined(__EMSCRIPTEN__)  // browser_glyphs.cpp has the browser's
int addBrowserGlyphs(ImFontAtlas&, const std::vector<ImFont*>&, const std::vector<unsigned>&) { return 0; }
#endif

}  // namespace moe::gui
