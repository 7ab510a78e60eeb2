#include "layout.hpp"

#include <algorithm>
#include <cmath>

namespace moe::gui {

float heldScale(float wanted, int windowW, int windowH) {
    if (windowW <= 0 || windowH <= 0) return wanted;
    const float holds = std::min(windowW / kMinLogicalWidth, windowH / kMinLogicalHeight);
    return std::min(wanted, std::max(0.75f, std::floor(holds * 20) / 20));  // steps of 5 %
}

float fitScale(int windowW, int windowH) {
    return std::clamp(std::round(std::min(windowW / 1280.0f, windowH / 800.0f) * 20) / 20, 0.75f, 2.5f);
}

namespace {

// A row of the layout: its views (indices of slots), its least height, whether it grows.
struct Row {
    std::vector<size_t> members;
    float minHeight;
    bool grows;
};

// Short and Tall views share a row with one more of their shape; the rest get a row each.
std::vector<Row> rowsOf(const std::vector<LayoutSlot>& slots, float scale) {
    std::vector<Row> rows;
    for (size_t i = 0; i < slots.size(); ++i) {
        const ViewShape shape = slots[i].shape;
        const bool shares = shape == ViewShape::Short || shape == ViewShape::Tall;
        Row* last = rows.empty() ? nullptr : &rows.back();
        if (shares && last && last->members.size() < 2 && slots[last->members.front()].shape == shape) {
            last->members.push_back(i);
            continue;
        }
        const float h = shape == ViewShape::Short   ? kShortHeight
                        : shape == ViewShape::Strip ? kStripHeight
                                                    : kGrowMinHeight;
        const float fixed = slots[i].height > 0 ? slots[i].height : h * scale;
        rows.push_back({{i}, fixed, shape == ViewShape::Tall || shape == ViewShape::Wide});
    }
    return rows;
}

// Rows that need more than `height`: shrunk in proportion, but rows under the floor are
// lifted to it and the others give up what that takes.
std::vector<float> shrunkHeights(const std::vector<Row>& rows, float height, float scale) {
    std::vector<float> heights;
    for (const Row& r : rows) heights.push_back(r.minHeight);
    const float floor = std::min(kMinViewHeight * scale, height / rows.size());
    std::vector<bool> pinned(rows.size(), false);
    for (bool again = true; again;) {
        again = false;
        float free = height, flexible = 0;
        for (size_t i = 0; i < rows.size(); ++i) (pinned[i] ? free -= floor : flexible += rows[i].minHeight);
        for (size_t i = 0; i < rows.size(); ++i) {
            if (pinned[i]) continue;
            heights[i] = rows[i].minHeight * free / flexible;
            if (heights[i] < floor) pinned[i] = again = true;
        }
    }
    for (size_t i = 0; i < rows.size(); ++i)
        if (pinned[i]) heights[i] = floor;
    return heights;
}

}  // namespace

std::vector<LayoutBox> tileViews(const std::vector<LayoutSlot>& slots, LayoutBox area, float scale) {
    const std::vector<Row> rows = rowsOf(slots, scale);
    std::vector<LayoutBox> out(slots.size());
    if (rows.empty()) return out;
    float fixed = 0, growMin = 0;
    int growing = 0;
    for (const Row& r : rows) {
        if (r.grows) {
            growMin += r.minHeight;
            ++growing;
        } else
            fixed += r.minHeight;
    }
    // No growing row: the fixed rows grow instead, in proportion.
    const bool allFixed = growing == 0;
    const float need = fixed + growMin;
    const float spare = std::max(0.0f, area.h - need);
    std::vector<float> heights;
    for (const Row& r : rows) heights.push_back(r.minHeight);
    if (need > area.h) heights = shrunkHeights(rows, area.h, scale);
    float y = area.y;
    for (size_t ri = 0; ri < rows.size(); ++ri) {
        const Row& r = rows[ri];
        float h = heights[ri];
        if (allFixed)
            h += spare * (r.minHeight / fixed);
        else if (r.grows)
            h += spare / growing;
        float wsum = 0;
        for (size_t m : r.members) wsum += slots[m].widthWeight;
        float x = area.x;
        for (size_t m : r.members) {
            const float w = area.w * slots[m].widthWeight / wsum;
            out[m] = {x, y, w, h};
            x += w;
        }
        y += h;
    }
    return out;
}

}  // namespace moe::gui
