#pragma once
// Where the views go: a page or a lesson chapter is a list of views; they are tiled into
// rows that reflow with the window size and the UI scale. Plain geometry, no ImGui.
#include <vector>

namespace moe::gui {

// How a view likes to sit: Short views share a row (two at most) at a fixed height;
// a Strip has a row of its own at a fixed height; Tall views share a row (two at most)
// and take the height left over; a Wide view has a growing row of its own.
enum class ViewShape { Short, Strip, Tall, Wide };

struct LayoutSlot {
    int view;           // the caller's index
    ViewShape shape;
    float widthWeight;  // its share of a shared row
};

struct LayoutBox {
    float x = 0, y = 0, w = 0, h = 0;
};

// Preferred minimum heights at scale 1, in pixels.
inline constexpr float kShortHeight = 160, kStripHeight = 190, kGrowMinHeight = 240;
// The smallest a view is ever laid out, at scale 1 (its content scrolls below that).
inline constexpr float kMinViewWidth = 180, kMinViewHeight = 100;

// One box per slot (in the slots' order), filling `area`. Fixed rows keep their height
// times `scale`; growing rows share the rest. When the rows do not fit, they shrink in
// proportion, none below kMinViewHeight (views scroll), so none leaves the window.
std::vector<LayoutBox> tileViews(const std::vector<LayoutSlot>& slots, LayoutBox area, float scale);

} // namespace moe::gui
