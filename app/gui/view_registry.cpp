#include "view_registry.hpp"

#include <algorithm>

#include "compare_view.hpp"
#include "controls_view.hpp"
#include "dense_view.hpp"
#include "embedding_view.hpp"
#include "gui_main.hpp"
#include "gpu_view.hpp"
#include "heatmap_view.hpp"
#include "i18n.hpp"
#include "journey_view.hpp"
#include "layers_view.hpp"
#include "lesson_view.hpp"
#include "load_view.hpp"
#include "text_view.hpp"
#include "token_strip_view.hpp"
#include "traffic_view.hpp"
#include "training_view.hpp"

namespace moe::gui {
namespace {

template <class V>
std::unique_ptr<View> make(const ViewInfo& info, Ui& ui) {
    return std::make_unique<V>(info, ui);
}

using S = ViewShape;
constexpr ViewExport kPng = ViewExport::Png, kSvg = ViewExport::PngAndSvg;

// In drawing order (a later window is drawn over an earlier one).
// id, title, shape, width weight, export, named, follows the token, factory
const ViewInfo kViews[] = {
    {"controls", N_("Controls"), S::Tall, 1.0f, kSvg, true, false, make<ControlsView>},
    {"lesson", N_("Lesson"), S::Tall, 1.0f, ViewExport::None, false, false, make<LessonView>},
    {"text", N_("Text"), S::Short, 1.38f, kSvg, true, false, make<TextView>},
    {"dense", N_("Dense vs MoE"), S::Short, 1.0f, kSvg, true, false, make<DenseView>},
    {"tokens", N_("Token strip"), S::Strip, 1.0f, kSvg, true, true, make<TokenStripView>},
    {"embedding", N_("Byte embedding"), S::Strip, 1.0f, kPng, true, true, make<EmbeddingView>},  // a texture
    {"journey", N_("Token journey"), S::Tall, 1.3f, kSvg, true, true, make<JourneyView>},
    {"heatmap", N_("Gate scores"), S::Tall, 1.27f, kSvg, true, true, make<HeatmapView>},
    {"load", N_("Expert load"), S::Tall, 1.0f, kSvg, true, false, make<LoadView>},
    {"traffic", N_("All-to-all traffic"), S::Wide, 1.0f, kSvg, true, false, make<TrafficView>},
    {"gpus", N_("GPUs and timeline"), S::Wide, 1.0f, kSvg, true, false, make<GpuView>},
    {"training", N_("Training"), S::Wide, 1.0f, kSvg, true, false, make<TrainingView>},
    {"compare", N_("Compare A/B"), S::Wide, 1.0f, kSvg, true, false, make<CompareView>},
    {"layers", N_("Layers"), S::Wide, 1.6f, kSvg, true, true, make<LayersView>},  // the language model's
};

// In the View menu's order, which the shortcuts follow.
const PageInfo kPages[] = {
    {Page::Routing,
     "routing",
     N_("Routing page"),
     "Ctrl+1",
     {"text", "dense", "tokens", "heatmap", "load"},
     {"text", "tokens", "heatmap", "load"}},
    {Page::Parallel, "parallel", N_("Expert parallel"), "Ctrl+2", {"traffic", "gpus"}, {}},
    {Page::Training, "training", N_("Training"), "Ctrl+3", {"training", "tokens"}, {}},
    {Page::Journey, "journey", N_("Token journey page"), "Ctrl+4", {"tokens", "embedding", "journey", "heatmap"}, {}},
    {Page::Compare, "compare", N_("Compare A/B page"), "Ctrl+5", {"compare"}, {}},
};

}  // namespace

std::span<const ViewInfo> viewInfos() { return kViews; }

const ViewInfo* findView(std::string_view id) {
    for (const ViewInfo& v : kViews)
        if (id == v.id) return &v;
    return nullptr;
}

std::span<const PageInfo> pageInfos() { return kPages; }

const PageInfo* findPage(std::string_view key) {
    for (const PageInfo& p : kPages)
        if (key == p.key) return &p;
    return nullptr;
}

const PageInfo& pageInfo(Page page) {
    for (const PageInfo& p : kPages)
        if (p.page == page) return p;
    return kPages[0];
}

std::vector<std::string> namedViews() {
    std::vector<std::string> out;
    for (const ViewInfo& v : kViews)
        if (v.named) out.push_back(v.id);
    return out;
}

std::vector<std::string> exportableViews() {
    std::vector<std::string> out;
    for (const ViewInfo& v : kViews)
        if (v.exports != ViewExport::None) out.push_back(v.id);
    return out;
}

std::vector<std::string> pageKeys() {
    std::vector<std::string> out;
    for (const PageInfo& p : kPages) out.push_back(p.key);
    return out;
}

LessonNames lessonNames() { return {namedViews(), pageKeys()}; }

std::string joinedNames(const std::vector<std::string>& names, const char* separator) {
    std::string out;
    for (const std::string& n : names) (out += out.empty() ? "" : separator) += n;
    return out;
}

std::vector<std::string> viewAndPageTitles() {
    std::vector<std::string> out;
    for (const ViewInfo& v : kViews) out.push_back(v.title);
    for (const PageInfo& p : kPages) out.push_back(p.label);
    return out;
}

}  // namespace moe::gui
