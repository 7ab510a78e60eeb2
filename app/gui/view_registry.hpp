#pragma once
// Every view and page of the app, one row each (view_registry.cpp). The app builds its
// views, menus, shortcuts and page layouts from these rows, and lessons, lesson codes,
// --page, --hide and --export-view take their valid names from them. Adding a view is
// one file pair and one row (docs/architecture.md).
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "layout.hpp"
#include "lesson.hpp"

namespace moe::gui {

struct Ui;
class View;

enum class Page { Routing, Journey, Parallel, Training, Compare };

// What a view offers in its right-click menu and in File > Export a view.
enum class ViewExport { None, Png, PngAndSvg };

struct ViewInfo {
    const char* id;     // its name in lessons, codes, --hide and --export-view
    const char* title;  // English; translations.cpp has the Chinese
    ViewShape shape;    // how it sits in a layout (layout.hpp)
    float widthWeight;  // its share of a shared row
    ViewExport exports;
    bool named;         // lessons, codes and --hide may name it (not the lesson panel itself)
    bool followsToken;  // while it has the focus, the arrow keys step the followed token
    std::unique_ptr<View> (*make)(const ViewInfo&, Ui&);
};

struct PageInfo {
    Page page;
    const char* key;                             // its name for --page, a chapter's page: and codes
    const char* label;                           // English, as the View menu shows it
    const char* shortcut;                        // "Ctrl+1": Ctrl and the shortcut's last character
    std::vector<std::string_view> views;         // in layout order
    std::vector<std::string_view> compactViews;  // on a small logical screen; empty: the same
};

std::span<const ViewInfo> viewInfos();  // in drawing order
const ViewInfo* findView(std::string_view id);
std::span<const PageInfo> pageInfos();  // in menu and shortcut order
const PageInfo* findPage(std::string_view key);
const PageInfo& pageInfo(Page p);

// What lessons may name (gui_main.hpp's lessonNames()): every named view and every page.
// The named views (--hide, codes), and the views --export-view accepts.
std::vector<std::string> namedViews();
std::vector<std::string> exportableViews();
// "a|b|c" or "a, b, c", for messages.
std::string joinedNames(const std::vector<std::string>& names, const char* separator);
std::vector<std::string> pageKeys();

}  // namespace moe::gui
