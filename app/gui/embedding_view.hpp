#pragma once
#include "texture.hpp"
#include "view.hpp"

namespace moe::gui {
// The byte embedding: the 256 x D table as a heatmap, one column per byte value, the
// bytes of the current text marked and the pinned one outlined; hover shows a byte's row.
class EmbeddingView final : public View {
public:
    EmbeddingView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    void uploadMap(const ModelWeights& w);
    Texture m_map;  // D rows x 256 columns, redrawn when the weights change
    uint64_t m_weightsVersion = 0;
    float m_scale = 1;  // |max| of the table: the colour scale's ends
};
}  // namespace moe::gui
