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
    int view;  // the caller's index
    ViewShape shape;
    float widthWeight;  // its share of a shared row
    float height = 0;   // a fixed row's height in pixels, when its content asked for more (else the default)
};

struct LayoutBox {
    float x = 0, y = 0, w = 0, h = 0;
};

// Preferred minimum heights at scale 1, in pixels.
inline constexpr float kShortHeight = 160, kStripHeight = 190, kGrowMinHeight = 240;
// The smallest a view is ever laid out, at scale 1 (its content scrolls below that).
inline constexpr float kMinViewWidth = 180, kMinViewHeight = 100;

// The smallest logical screen the app is laid out for (1920 x 1080 at 200 %): a bigger UI
// scale on a smaller window is held to the largest scale that keeps this much room.
inline constexpr float kMinLogicalWidth = 960, kMinLogicalHeight = 540;
float heldScale(float wanted, int windowW, int windowH);
// "Fit to the window": the scale at which 1280 x 800 of layout fills the window.
float fitScale(int windowW, int windowH);

// One box per slot (in the slots' order), filling `area`. Fixed rows keep their height
// times `scale`; growing rows share the rest. When the rows do not fit, they shrink in
// proportion, none below kMinViewHeight (views scroll), so none leaves the window.
std::vector<LayoutBox> tileViews(const std::vector<LayoutSlot>& slots, LayoutBox area, float scale);

}  // namespace moe::gui
