#pragma once
// A modal dialog that lists problems — a lesson file's errors, a lesson code that does
// not open — in the UI's language; the rest of the app carries on behind it.
#include <string>
#include <vector>

namespace moe::gui {

class ProblemDialog {
public:
    // heading and hint: English literals (N_), translated when drawn; lines: the problems,
    // one each ("FILE:LINE: message").
    void open(const char* heading, const char* hint, std::vector<std::string> lines);
    // Once a frame, outside any other window or popup.
    void draw(float scale);
    const std::vector<std::string>& lines() const { return m_lines; }

private:
    const char* m_heading = "";
    const char* m_hint = "";
    std::vector<std::string> m_lines;
    bool m_pending = false;  // opened in the next draw, at the top of ImGui's ID stack
};

}  // namespace moe::gui
