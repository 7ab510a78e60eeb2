// Figures for slides: the draw-list-to-SVG conversion on shapes and text placed by hand,
// and a view exported by the app, rendered again by librsvg.
#include <gtest/gtest.h>
#include <imgui.h>
#include <stb_image.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

#include "atomic_file.hpp"
#include "errors.hpp"
#include "gui/style.hpp"
#include "gui/svg_export.hpp"
#include "test_support.hpp"

using namespace moe;

namespace {

// One frame with a fresh ImGui context on the app's fonts; `draw` fills the window.
template <typename F>
std::string svgOfFrame(F&& draw, gui::Fonts& fonts) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(300, 200);
    unsigned char* pixels;
    int w, h;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(intptr_t(1)));
    gui::svgDrawStyle(ImGui::GetStyle());
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(300, 200));
    ImGui::Begin("figure", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoBackground);
    ImGui::PushFont(fonts.regular());
    draw(ImGui::GetWindowDrawList());
    ImGui::PopFont();
    ImGui::End();
    ImGui::Render();
    return gui::drawDataToSvg(*ImGui::GetDrawData(), ImVec2(300, 200), IM_COL32(16, 16, 16, 255));
}

class SvgExport : public ::testing::Test {
protected:
    void SetUp() override {
        ImGui::CreateContext();
        ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini left in the working folder
        fonts.build(1.0f, "专家");
        if (!fonts.problem().empty()) GTEST_SKIP() << "skipped: " << fonts.problem();
    }
    void TearDown() override { ImGui::DestroyContext(); }
    gui::Fonts fonts;
};

TEST_F(SvgExport, ARectangleIsOnePathAtItsCornersInItsColour) {
    const std::string svg = svgOfFrame(
        [](ImDrawList* dl) { dl->AddRectFilled(ImVec2(10, 20), ImVec2(110, 70), IM_COL32(255, 128, 0, 255)); }, fonts);
    EXPECT_NE(svg.find("<path d=\"M10 20 L110 20 L110 70 L10 70Z\" fill=\"#ff8000\"/>"), std::string::npos) << svg;
    EXPECT_NE(svg.find("width=\"300\" height=\"200\""), std::string::npos);
    EXPECT_NE(svg.find("fill=\"#101010\""), std::string::npos);  // the background
}

TEST_F(SvgExport, HalfTransparentColourKeepsItsOpacity) {
    const std::string svg = svgOfFrame(
        [](ImDrawList* dl) { dl->AddRectFilled(ImVec2(0, 0), ImVec2(4, 4), IM_COL32(0, 0, 255, 128)); }, fonts);
    EXPECT_NE(svg.find("fill=\"#0000ff\" fill-opacity=\"0.5\""), std::string::npos) << svg;
}

TEST_F(SvgExport, TextStaysTextWithItsSpacesAndChinese) {
    ImVec2 at(40, 100);
    float size = 0;
    const std::string svg = svgOfFrame(
        [&](ImDrawList* dl) {
            dl->AddText(at, IM_COL32(255, 255, 255, 255), "E3 & 专家 <2>");
            size = ImGui::GetFontSize();
        },
        fonts);
    const std::regex text(
        R"re(<text x="([0-9.]+)" y="([0-9.]+)" font-size="([0-9.]+)" fill="#ffffff" xml:space="preserve">([^<]*)</text>)re");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(svg, m, text)) << svg;
    EXPECT_EQ(m[4].str(), "E3 &amp; 专家 &lt;2&gt;");
    EXPECT_NEAR(std::stof(m[1].str()), at.x, 0.01);
    // The baseline sits one ascent below the top of the line ImGui was given.
    EXPECT_NEAR(std::stof(m[2].str()), at.y + fonts.regular()->Ascent, 0.01);
    // An ideograph is one em wide: the em size is its advance, not ImGui's line height.
    EXPECT_NEAR(std::stof(m[3].str()), fonts.regular()->FindGlyph(0x4E13)->AdvanceX, 0.01);
    EXPECT_LT(std::stof(m[3].str()), size);
}

// ImGui trims glyphs at a clip edge (window titles, long button labels) and moves their
// atlas coordinates: the SVG still names every character, at its unclipped place.
TEST_F(SvgExport, AGlyphTrimmedAtAClipEdgeIsStillItsCharacter) {
    const ImVec2 at(40, 100);
    const std::string svg = svgOfFrame(
        [&](ImDrawList* dl) {
            const ImVec4 clip(at.x + 4, at.y + 5, at.x + 60,
                              at.y + 12);  // cuts the first glyph left, all of them top and bottom
            dl->AddText(fonts.regular(), fonts.regular()->FontSize, at, IM_COL32(255, 255, 255, 255), "WM专家", nullptr,
                        0, &clip);
        },
        fonts);
    const std::regex text(R"re(<text x="([0-9.]+)" y="([0-9.]+)" font-size="([0-9.]+)"[^>]*>([^<]*)</text>)re");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(svg, m, text)) << svg;
    EXPECT_EQ(m[4].str(), "WM专家");
    EXPECT_NEAR(std::stof(m[1].str()), at.x, 0.05);
    EXPECT_NEAR(std::stof(m[2].str()), at.y + fonts.regular()->Ascent, 0.05);
    EXPECT_NEAR(std::stof(m[3].str()), fonts.regular()->FindGlyph(0x4E13)->AdvanceX, 0.05);
}

TEST_F(SvgExport, AnImageHasNoSvgForm) {
    EXPECT_INPUT_ERROR(svgOfFrame(
                           [](ImDrawList* dl) {
                               dl->AddImage(reinterpret_cast<ImTextureID>(intptr_t(7)), ImVec2(0, 0), ImVec2(8, 8));
                           },
                           fonts),
                       "--out");
}

bool haveTools() {
    return std::system("command -v xvfb-run >/dev/null 2>&1 && command -v rsvg-convert >/dev/null 2>&1") == 0;
}

int colourCount(const std::string& png, int& w, int& h) {
    int n;
    unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
    if (!px) return -1;
    std::set<int> colours;
    for (int i = 0; i < w * h; ++i) colours.insert(px[3 * i] << 16 | px[3 * i + 1] << 8 | px[3 * i + 2]);
    stbi_image_free(px);
    return static_cast<int>(colours.size());
}

int run(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ExportView, SvgOfTheGateScoresRendersInLibrsvgAndPngIsTwiceTheView) {
    if (!haveTools()) GTEST_SKIP() << "skipped: needs xvfb-run and rsvg-convert (librsvg2-bin)";
    {
        ImGui::CreateContext();
        gui::Fonts fonts;
        fonts.build(1.0f, "");
        const std::string problem = fonts.problem();
        ImGui::DestroyContext();
        if (!problem.empty()) GTEST_SKIP() << "skipped: " << problem;  // the title would not be Chinese
    }
    const auto dir = std::filesystem::temp_directory_path() / ("moelab_export_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string svg = (dir / "heatmap.svg").string(), png = (dir / "heatmap.png").string(),
                      again = (dir / "again.png").string();
    test::RunOptions xvfb;
    xvfb.wrapper = "xvfb-run -a -s '-screen 0 1280x800x24'";
    const std::vector<std::string> app = {"gui", "--lang",   "zh", "--width",       "1280",    "--height",
                                          "800", "--frames", "3",  "--export-view", "heatmap", "--out"};
    const auto with = [&](std::vector<std::string> args, std::initializer_list<std::string> more) {
        args.insert(args.end(), more);
        return args;
    };
    ASSERT_EQ(test::runMoelab(with(app, {svg}), xvfb).code, 0);
    const test::RunResult withReport = test::runMoelab(with(app, {png, "--layout-report"}), xvfb);
    ASSERT_EQ(withReport.code, 0) << withReport.err;
    ASSERT_EQ(run("rsvg-convert -o '" + again + "' '" + svg + "'"), 0);
    const std::string text = readFile(svg);
    EXPECT_NE(text.find(">门控分数</text>"), std::string::npos);  // the title, in Chinese, as text
    EXPECT_NE(text.find(">E7</text>"), std::string::npos);
    // The layout report names the heatmap's size on screen: the PNG is twice that, the SVG once.
    int vw = 0, vh = 0;
    // A view's keys are in order; others (content_fits, framed) may come before "h".
    const std::regex view(R"re("h":([0-9.]+),"name":"heatmap","w":([0-9.]+))re");
    std::smatch m;
    const std::string& layout = withReport.out;
    ASSERT_TRUE(std::regex_search(layout, m, view)) << layout;
    vh = int(std::lround(std::stod(m[1].str())));
    vw = int(std::lround(std::stod(m[2].str())));
    int w = 0, h = 0;
    EXPECT_GT(colourCount(png, w, h), 50);  // a real render at 2x, not a blank buffer
    EXPECT_NEAR(w, 2 * vw, 1);
    EXPECT_NEAR(h, 2 * vh, 1);
    EXPECT_GT(colourCount(again, w, h), 50);  // librsvg drew the viridis cells, not a blank page
    EXPECT_NEAR(w, vw, 1);
    EXPECT_NEAR(h, vh, 1);
    std::filesystem::remove_all(dir);
}

TEST(ExportView, BadNamesAreRefusedBeforeAWindowOpens) {
    EXPECT_EQ(test::runMoelab({"gui", "--export-view", "nosuch", "--out", "x.svg"}).code, 2);
    EXPECT_EQ(test::runMoelab({"gui", "--export-view", "heatmap", "--out", "x.jpg"}).code, 2);
    EXPECT_EQ(test::runMoelab({"gui", "--out", "x.svg"}).code, 2);
}

}  // namespace
