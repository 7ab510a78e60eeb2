#pragma once
// The seeds' sentiment claim, drawn: the held-out accuracy per epoch while the run trains,
// then the held-out routing counted by sentiment and by language, with the verdict the
// numbers give. The run itself is the training page's model's (sentiment_run.hpp).
#include "sentiment_run.hpp"
#include "view.hpp"

namespace moe::gui {

void drawSentimentPanel(SentimentRun& run, const Ui& ui);

}  // namespace moe::gui
