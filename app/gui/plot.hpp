#pragma once
// Charts with axes, ticks, units and legends, drawn with ImDrawList (ImPlot is not in
// Debian 12): line charts over training steps and the expert x step load strip.
#include <imgui.h>

#include <deque>
#include <string>
#include <vector>

namespace moe::gui {

struct PlotSeries {
    const std::vector<int>* x;  // steps
    const std::vector<float>* y;
    ImU32 colour;
    const char* label;  // in the legend (already translated), or nullptr
    float width = 1.5f;
};

// Round tick positions (1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> niceTicks(double lo, double hi, int maxTicks);

// What a chart's axes show where the data alone would mislead: the x axis's name
// (translated; "step" when null) and a fixed y range (from chance to perfect, say).
struct ChartAxes {
    const char* x = nullptr;
    double yFrom = 0, yTo = 0;  // used when yTo > yFrom; data outside still widens it
};

// A line chart at the cursor, `size` in pixels: title top left, the y axis with ticks
// and the unit, the x axis in steps, the series, and a legend top right.
void lineChart(const char* title, const char* yUnit, const std::vector<PlotSeries>& series, ImVec2 size,
               const ChartAxes& axes = {});

// Per-expert load over steps: one column per step, one row per expert (labels E0..),
// brightness = the expert's share of that step against a fair share 1/E; a legend
// below maps the colours to shares.
void loadStrip(const std::deque<std::vector<int>>& loads, int lastStep, ImVec2 size);

}  // namespace moe::gui
