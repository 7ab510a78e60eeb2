#pragma once
#include "view.hpp"

namespace moe::gui {
// The input sentence: typed, pasted, picked from the examples or loaded from a file.
class TextView final : public View {
public:
    explicit TextView(Ui& ui) : View("Text", "text", ui) {}

protected:
    void drawContent(AppState& state) override;
};
} // namespace moe::gui
