#pragma once
// The language model's depth (issue 25): the text drawn once per layer, each byte coloured
// by that layer's first-choice expert (the Mixtral paper's Fig. 8, live), the layer control,
// the next-byte panel, and the routing analysis per layer (consecutive same-expert rate
// against chance, token specialisation).
#include <memory>
#include <string>
#include <vector>

#include "lm/routing_analysis.hpp"
#include "view.hpp"

namespace moe::gui {

class LayersView final : public View {
public:
    LayersView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    // One character of the text as the rows draw it: its first byte, its byte count, its
    // label and width, and its place once wrapped.
    struct TextCell {
        int token = 0, bytes = 1;
        std::string shown;
        float w = 0, x = 0;
        int line = 0;
    };
    static std::vector<TextCell> wrapCells(const std::vector<ByteToken>& tokens, float width, float pad);
    struct RowGeometry {
        float lineH = 0, labelW = 0, width = 0;
        int maxLines = 1;
        bool showText = true;  // false: colour strips too thin for the characters
    };
    void drawTextRows(AppState& state, const std::vector<TextCell>& cells, float labelW, float height);
    void drawLayerRow(const AppState& state, int layer, const std::vector<TextCell>& cells, const RowGeometry& g,
                      int& hovered);
    void layerByteTooltip(const AppState& state, int layer, int token);
    float rowLineHeight() const;
    float rowsHeight(int lines, int layers) const;
    void drawAnalysis(const AppState& state, float height);
    void drawSweep(const AppState& state, ImVec2 p, float w, float h);
    std::vector<LayerRoutingStats> m_stats;
    const LmRun* m_statsOf = nullptr;
    uint64_t m_statsVersion = 0;
};

// The layer control: a slider over the model's layers ([ and ] step it too).
void layerControl(AppState& state, Ui& ui, bool hint = false);  // hint: the keys, beside it

// The journey of one byte through every layer of the language model: its experts and
// weights per layer.
void drawLmJourney(const AppState& state, Ui& ui, int token);

}  // namespace moe::gui
