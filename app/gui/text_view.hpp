#pragma once
#include "view.hpp"

namespace moe::gui {
// The input sentence: typed, pasted, picked from the examples or loaded from a file.
class TextView final : public View {
public:
    TextView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;
};
}  // namespace moe::gui
