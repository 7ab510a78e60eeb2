#pragma once
// A frame's ImGui draw lists as SVG, for slides: filled shapes become paths (one per run
// of one colour under one clip rectangle) and text becomes <text> again, each glyph found
// by where it sits in the font atlas, so Chinese stays searchable and editable.
// Draw the frame without anti-aliasing (svgDrawStyle): fringes would become slivers.
#include <imgui.h>

#include <string>

namespace moe::gui {

// Turns off what SVG draws better by itself: anti-aliased fringes and textured lines.
void svgDrawStyle(ImGuiStyle& style);

// The SVG of everything in `data`, `size` pixels, on `background`; element ids start
// with idPrefix (figures pasted into one page keep their clip paths apart). Throws
// InputError naming --out when the frame holds an image (a texture other than the font
// atlas), which has no SVG form here.
std::string drawDataToSvg(const ImDrawData& data, ImVec2 size, ImU32 background,
                          const std::string& idPrefix = "moelab");

}  // namespace moe::gui
