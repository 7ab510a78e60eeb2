#pragma once
// The language model's guess for the byte after the text (issue 25): the five likeliest
// bytes with their probabilities, a button that appends the likeliest, and the model's
// bits per byte on the text beside the trained routing's (so a routing that drops tokens
// or uses one expert shows what it costs).
#include <string>
#include <vector>

#include "view.hpp"

namespace moe::gui {

struct NextByte {
    int byte = 0;
    double probability = 0;
    std::string label;  // the character it completes, or \xNN
};

// The n likeliest next bytes after `text` from the last row of logprobs [T, 256], best first.
std::vector<NextByte> likeliestNextBytes(const Mat& logprobs, const std::string& text, int n = 5);

// How a next byte reads after `text`: the printable character it ends (with the text's
// unfinished UTF-8 bytes before it, if any), else \xNN.
std::string nextByteLabel(const std::string& text, int byte);

void drawNextBytePanel(AppState& state, Ui& ui);

// With a router trace open, in its place: what the trace is, whether it has the router's
// logits, and the settings a choices-only trace cannot apply.
void drawTraceSummary(const AppState& state, const Ui& ui);

}  // namespace moe::gui
