#include "text_view.hpp"
#include "wrap.hpp"

#include <imgui_stdlib.h>

#include <algorithm>

#include "presets.hpp"

namespace moe::gui {

void TextView::drawContent(AppState& state) {
    // A router trace brings its own tokens: its text is shown, not edited.
    const bool fromTrace = state.trace() != nullptr;
    caption(fromTrace ? "The router trace's text: its tokens are the ones the model saw (File > Open a router trace)."
                      : "Type or paste a sentence. Every UTF-8 byte becomes one token.");
    std::string& text = state.settings().text;
    const float examplesWidth = std::min(px(220), ImGui::GetContentRegionAvail().x * 0.4f);
    const ImVec2 box(ImGui::GetContentRegionAvail().x - examplesWidth - ImGui::GetStyle().ItemSpacing.x,
                     ImGui::GetContentRegionAvail().y);
    if (fromTrace && !state.traceNamesTokens()) {  // an engine's choices: no text to show
        ImGui::BeginChild("##notext", box);
        textDisabledWrappedf("%s", tr("This trace records no token text, only the experts each token chose: its "
                                      "tokens show as ?."));
        ImGui::EndChild();
    } else {
        textBox(state, text, box, fromTrace);
    }
    ImGui::SameLine();
    examples(state, text, examplesWidth, box.y, fromTrace);
}

void TextView::textBox(AppState& state, std::string& text, ImVec2 box, bool readOnly) {
    ImGui::PushFont(ui().fonts.large());
    if (ImGui::InputTextMultiline("##text", &text, box, readOnly ? ImGuiInputTextFlags_ReadOnly : 0)) {
        state.settings().textFile.clear();
        state.changed(SettingEffect::Route);
    }
    ImGui::PopFont();
}

void TextView::examples(AppState& state, std::string& text, float width, float height, bool fromTrace) {
    ImGui::BeginChild("##examples", ImVec2(width, height));
    ImGui::TextDisabled("%s", tr("Examples"));
    for (const char* s : exampleSentences()) {
        ImGui::PushID(s);
        const bool picked = ImGui::Selectable(ellipsized(s, ImGui::GetContentRegionAvail().x).c_str());
        ImGui::PopID();
        if (picked && !fromTrace) {
            text = s;
            state.settings().textFile.clear();
            state.changed(SettingEffect::Route);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s);
    }
    const auto& t = state.tokens();
    ImGui::Separator();
    ImGui::TextDisabled(tr("%zu bytes, %d characters"), t.size(), t.empty() ? 0 : t.back().charIndex + 1);
    ImGui::EndChild();
}

}  // namespace moe::gui
