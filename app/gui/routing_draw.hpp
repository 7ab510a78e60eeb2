#pragma once
// The three pictures of one routing, shared by their views and the A/B comparison:
// the gate-score map, the token chips and the load bars. Given another routing of the
// same text, each outlines what differs from it.
#include <utility>
#include <vector>

#include "metrics.hpp"
#include "routing.hpp"
#include "tokenizer.hpp"
#include "view.hpp"

namespace moe::gui {

struct RoutingPicture {
    const Routing& routing;
    const std::vector<ByteToken>& tokens;
    int groups = 1;                  // group-limited routing: boundaries between expert groups
    const Routing* other = nullptr;  // A/B: outline the assignments that differ from it
    bool logits = false;             // colour the raw logits (lowest to highest) instead of the scores
};

// Whether token t's kept experts differ between two routings of the same tokens.
bool assignmentsDiffer(const Routing& a, const Routing& b, int t);

// The experts x tokens score map in a child region (scrolling what does not fit);
// returns the hovered (token, expert), or (-1, -1).
std::pair<int, int> drawGateMap(const RoutingPicture& p, Ui& ui, ImVec2 size, const char* id);
// The token chips in a child region; returns the hovered token or -1.
int drawTokenChips(const RoutingPicture& p, Ui& ui, ImVec2 size, const char* id);
// Requested (outline) and kept (fill) per expert, overflow hatched, the capacity line;
// returns the hovered expert or -1. yMax > 0: the bars' scale runs 0..yMax (shared by
// pictures side by side) and a y axis is drawn at the left.
int drawLoadBars(const Routing& r, Ui& ui, ImVec2 size, int yMax = 0);
// The top of a load picture's scale: the largest requested, kept or capacity.
int loadScaleTop(const Routing& r);
// Drop rate, aux loss, CV, max/mean, z-loss and entropy as a two-column table.
void drawMetricsTable(const Metrics& m, const char* id);
// The score colour scale with its label.
void scoreLegend(Ui& ui);
// The lowest and highest logit of a routing: the ends of the logit colour scale.
std::pair<float, float> logitRange(const Routing& r);
// The logit colour scale, from the lowest logit to the highest.
void logitLegend(Ui& ui, const Routing& r);

}  // namespace moe::gui
