#pragma once
// The window and the ImGui context, opened and closed in RAII order so that no error
// path skips a shutdown (Dear ImGui's example_glfw_opengl3 order, reversed on exit).
#include <stdexcept>
#include <string>

struct GLFWwindow;

namespace moe::gui {

// The browser build (.ci/web) has one thread: what the desktop does on a worker runs on
// the window's thread there, between frames.
#if defined(__EMSCRIPTEN__)
inline constexpr bool kWorkerThreads = false;
inline constexpr bool kInBrowser = true;
#else
inline constexpr bool kWorkerThreads = true;
inline constexpr bool kInBrowser = false;
#endif

// The browser's files (index.html): the page's file chooser uploads the file the user
// picks into /upload and hands it back (App::uploaded with `action`); a file the app
// wrote leaves as a download. On the desktop both do nothing.
void chooseUpload(int action, const char* accept);
void offerDownload(const std::string& path);

// No display, or no OpenGL 3.3: the app cannot start (exit code 1), the CLI still works.
class PlatformError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Window {
public:
    // glfwInit and an OpenGL 3.3 core window with its context current; throws PlatformError.
    Window(int width, int height, const char* title, bool vsync);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;
    GLFWwindow* handle() const { return m_window; }

private:
    GLFWwindow* m_window = nullptr;
};

class ImGuiContextGuard {
public:
    // CreateContext, then the GLFW and OpenGL3 backends; iniPath null: no imgui.ini.
    ImGuiContextGuard(GLFWwindow* window, const char* iniPath);
    ~ImGuiContextGuard();
    ImGuiContextGuard(const ImGuiContextGuard&) = delete;
    ImGuiContextGuard& operator=(const ImGuiContextGuard&) = delete;
};

// The window's framebuffer as PNG, written atomically (InputError when it cannot be).
void saveWindowPng(GLFWwindow* window, const std::string& path);
// The bound framebuffer's w x h pixels as PNG, likewise.
void saveFramebufferPng(int w, int h, const std::string& path);

// A w x h colour buffer drawn into instead of the window while this lives: a view
// exported at twice the screen's resolution does not fit in the window.
class OffscreenFramebuffer {
public:
    OffscreenFramebuffer(int w, int h);  // throws PlatformError when the driver refuses the size
    ~OffscreenFramebuffer();
    OffscreenFramebuffer(const OffscreenFramebuffer&) = delete;
    OffscreenFramebuffer& operator=(const OffscreenFramebuffer&) = delete;

private:
    void release();
    unsigned m_fbo = 0, m_texture = 0;
};

}  // namespace moe::gui
