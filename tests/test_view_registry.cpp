// The registry of views and pages (app/gui/view_registry.hpp): every name a lesson, a
// lesson code, --page, --hide or --export-view can use resolves to a view or page of the
// app, and the names nobody may use are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data_dir.hpp"
#include "gui/app.hpp"
#include "gui/gui_main.hpp"
#include "gui/gui_options.hpp"
#include "gui/view_registry.hpp"
#include "lesson.hpp"
#include "test_support.hpp"

using namespace moe;
using namespace moe::gui;

namespace {

gui::GuiOptions options(const std::vector<std::string>& argv) { return parseGuiOptions(argv); }

}  // namespace

TEST(ViewRegistry, EveryViewIsBuiltOnceUnderItsOwnId) {
    Ui ui;
    const Views views(ui);
    std::set<std::string> ids;
    for (const ViewInfo& info : viewInfos()) {
        EXPECT_TRUE(ids.insert(info.id).second) << "two rows for " << info.id;
        View* v = views.byName(info.id);
        ASSERT_NE(v, nullptr) << info.id;
        EXPECT_EQ(&v->info(), &info);
        EXPECT_STREQ(v->title(), info.title);
        EXPECT_GT(info.widthWeight, 0.0f) << info.id;
    }
    EXPECT_EQ(views.all().size(), ids.size());
    EXPECT_EQ(views.byName("nosuchview"), nullptr);
}

TEST(ViewRegistry, EveryNameALessonCanUseResolves) {
    Ui ui;
    const Views views(ui);
    const LessonNames names = lessonNames();
    ASSERT_FALSE(names.views.empty());
    ASSERT_FALSE(names.pages.empty());
    for (const std::string& name : names.views) EXPECT_NE(views.byName(name), nullptr) << name;
    // Lessons accept every page, and every page's views exist.
    std::set<std::string> pages(names.pages.begin(), names.pages.end());
    for (const PageInfo& p : pageInfos()) {
        EXPECT_TRUE(pages.count(p.key)) << p.key;
        EXPECT_EQ(&pageInfo(p.page), &p);
        for (const auto* list : {&p.views, &p.compactViews})
            for (std::string_view v : *list) EXPECT_NE(views.byName(v), nullptr) << p.key << ": " << v;
    }
    // The lesson panel is the lesson itself: no chapter shows or hides it.
    EXPECT_FALSE(std::count(names.views.begin(), names.views.end(), "lesson"));
    // The built-in lesson uses only names of the registry, its pages included.
    const std::string path = dataPath("lessons/moe-basics.lesson");
    const Lesson lesson = loadLesson(path, names);
    for (const LessonChapter& c : lesson.chapters) {
        EXPECT_NE(findPage(c.page), nullptr) << c.page;
        for (const std::string& v : c.show) EXPECT_NE(views.byName(v), nullptr) << v;
        for (const std::string& v : c.highlight) EXPECT_NE(views.byName(v), nullptr) << v;
    }
}

TEST(ViewRegistry, EveryPageAndNamedViewIsAFlagValue) {
    Ui ui;
    const Views views(ui);
    for (const PageInfo& p : pageInfos()) EXPECT_EQ(options({"--page", p.key}).page, p.page) << p.key;
    EXPECT_INPUT_ERROR(options({"--page", "kitchen"}), "--page");
    for (const std::string& name : namedViews()) {
        EXPECT_EQ(options({"--hide", name}).hidden, std::vector<std::string>{name});
        EXPECT_NE(views.byName(name), nullptr) << name;
    }
    EXPECT_INPUT_ERROR(options({"--hide", "lesson"}), "--hide");
}

TEST(ViewRegistry, EveryExportableViewIsAnExportViewValue) {
    Ui ui;
    const Views views(ui);
    for (const std::string& name : exportableViews()) {
        const GuiOptions o = options({"--export-view", name, "--out", "v.png"});
        EXPECT_EQ(o.exportView, name);
        const View* v = views.byName(name);
        ASSERT_NE(v, nullptr) << name;
        EXPECT_TRUE(v->exportable()) << name;
    }
    // The lesson panel is no figure; the embedding is a texture, so PNG only.
    EXPECT_INPUT_ERROR(options({"--export-view", "lesson", "--out", "v.png"}), "--export-view");
    ASSERT_NE(views.byName("embedding"), nullptr);
    EXPECT_TRUE(views.byName("embedding")->exportable());
    EXPECT_FALSE(views.byName("embedding")->hasSvg());
    EXPECT_TRUE(views.byName("heatmap")->hasSvg());
}
