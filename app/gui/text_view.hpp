#pragma once
#include "view.hpp"

namespace moe::gui {
// The input sentence: typed, pasted, picked from the examples or loaded from a file.
class TextView final : public View {
public:
    TextView(const ViewInfo& info, Ui& ui) : View(info, ui) {}

protected:
    void drawContent(AppState& state) override;

private:
    void textBox(AppState& state, std::string& text, ImVec2 box, bool readOnly);
    void examples(AppState& state, std::string& text, float width, float height, bool fromTrace);
};
}  // namespace moe::gui
