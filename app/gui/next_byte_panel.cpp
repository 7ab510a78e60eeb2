#include "next_byte_panel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "tokenizer.hpp"
#include "wrap.hpp"

namespace moe::gui {

std::string nextByteLabel(const std::string& text, int byte) {
    // Up to three bytes before it may be an unfinished character it completes.
    const size_t tail = std::min<size_t>(3, text.size());
    const std::string probe = text.substr(text.size() - tail) + char(byte);
    const std::vector<ByteToken> tokens = tokenize(probe);
    const ByteToken& last = tokens.back();
    const bool complete = last.valid && last.byteInChar == last.charBytes - 1;
    const bool control = last.charBytes == 1 && (last.byte < 0x20 || last.byte == 0x7F);
    if (complete && !control) return last.byte == ' ' ? "' '" : last.text;
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", byte);
    return hex;
}

std::vector<NextByte> likeliestNextBytes(const Mat& logprobs, const std::string& text, int n) {
    if (logprobs.rows() == 0) return {};
    const int row = int(logprobs.rows()) - 1;
    std::vector<int> order(logprobs.cols());
    std::iota(order.begin(), order.end(), 0);
    n = std::min<int>(n, int(order.size()));
    std::partial_sort(order.begin(), order.begin() + n, order.end(),
                      [&](int a, int b) { return logprobs(row, a) > logprobs(row, b); });
    std::vector<NextByte> out;
    for (int i = 0; i < n; ++i)
        out.push_back({order[i], std::exp(double(logprobs(row, order[i]))), nextByteLabel(text, order[i])});
    return out;
}

namespace {
// The next item on this line when it fits the window's width, else on the next line.
void sameLineIfFits(float width) {
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    ImGui::SameLine();
    if (ImGui::GetContentRegionAvail().x < width + spacing) ImGui::NewLine();
}
}  // namespace

void drawTraceSummary(const AppState& state, const Ui& ui) {
    const RouterTrace* trace = state.trace();
    if (!trace) return;
    // On a projector the file's name, not where it sits on this machine.
    const std::string file =
        ui.presenting ? std::filesystem::path(state.tracePath()).filename().string() : state.tracePath();
    textWrappedf(tr("Router trace: %s (%s)"), trace->model.c_str(), file.c_str());
    textWrappedf(tr("%d layers, %d tokens, %d experts, top-%d"), trace->numLayers(), trace->tokenCount(),
                 trace->numExperts, trace->topK);
    if (trace->hasLogits()) {
        textDisabledWrappedf("%s", tr("It holds the router's logits: every routing setting applies."));
        return;
    }
    textDisabledWrappedf("%s", tr("It holds only the choices: capacity, drops, placement and traffic apply."));
    std::string ignored;
    for (const std::string& flag : state.traceIgnores()) ignored += (ignored.empty() ? "" : ", ") + flag;
    if (ignored.empty()) return;
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.55f, 0.2f, 1));
    textWrappedf("%s %s", tr("Not applied, they need the router's scores:"), ignored.c_str());
    ImGui::PopStyleColor();
}

void drawNextBytePanel(AppState& state, Ui& ui) {
    if (state.trace()) return drawTraceSummary(state, ui);
    const LmRun* run = state.lmRun();
    if (!run || !state.lm()) return;
    const std::string& text = state.settings().text;
    const std::vector<NextByte> next = likeliestNextBytes(run->logprobs, text);
    ImGui::TextUnformatted(tr("Next byte:"));
    char item[48];
    for (const NextByte& b : next) {
        std::snprintf(item, sizeof item, "%s %.0f%%", b.label.c_str(), b.probability * 100);
        sameLineIfFits(ImGui::CalcTextSize(item).x);
        ImGui::TextUnformatted(item);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("0x%02X: p = %.4f", b.byte, b.probability);
    }
    sameLineIfFits(ImGui::CalcTextSize(tr("Continue the text")).x + ImGui::GetStyle().FramePadding.x * 2);
    if (!next.empty() && ImGui::SmallButton(tr("Continue the text"))) {
        state.settings().text += char(next.front().byte);
        state.changed(SettingEffect::Route);
    }
    // Bits per byte: what the routing costs in quality against the model as trained.
    const double bpb = run->bitsPerByte, trained = state.asTrainedBitsPerByte();
    ImGui::Text(tr("bits per byte on the text: %.3f (as trained: %.3f)"), bpb, trained);
    ui.measured["bits_per_byte"] = float(bpb);
    if (std::abs(bpb - trained) > 5e-4) {
        ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(bpb > trained ? kWarning : IM_COL32(0, 158, 115, 255)),
                           "%+.3f", bpb - trained);
    }
}

}  // namespace moe::gui
