#include "platform.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#define GL_GLEXT_PROTOTYPES
#include <GL/gl.h>
#include <GL/glext.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "atomic_file.hpp"

namespace moe::gui {

namespace {

// GLFW's X11 input method (ibus, fcitx5 through XIM) commits text in the C library's
// character set: under the "C" locale Chinese typed there is dropped without a word.
// Only LC_CTYPE is set, so numbers keep their '.' whatever the user's locale.
void useUtf8CharacterSet() {
    const char* got = std::setlocale(LC_CTYPE, "");
    if (got && (std::strstr(got, "UTF-8") || std::strstr(got, "utf8"))) return;
    if (std::setlocale(LC_CTYPE, "C.UTF-8")) return;
    std::cerr << "moelab: no UTF-8 locale (LANG=" << (std::getenv("LANG") ? std::getenv("LANG") : "")
              << "): typing Chinese through an input method will not work; paste still does\n";
}

}  // namespace

#if !defined(__EMSCRIPTEN__)  // browser_main.cpp has the browser's
void chooseUpload(int, const char*) {}
void offerDownload(const std::string&) {}
#endif

Window::Window(int width, int height, const char* title, bool vsync) {
    useUtf8CharacterSet();
    glfwSetErrorCallback([](int, const char* d) { std::cerr << "moelab: GLFW: " << d << "\n"; });
    if (!glfwInit())
        throw PlatformError(
            "cannot open a window (no display? try xvfb-run); the command line still works: moelab route");
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    m_window = glfwCreateWindow(width, height, title, nullptr, nullptr);
    if (!m_window) {
        glfwTerminate();
        throw PlatformError("cannot create an OpenGL 3.3 window");
    }
    glfwMakeContextCurrent(m_window);
    glfwSwapInterval(vsync ? 1 : 0);
}

Window::~Window() {
    glfwDestroyWindow(m_window);
    glfwTerminate();
}

ImGuiContextGuard::ImGuiContextGuard(GLFWwindow* window, const char* iniPath) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = iniPath;
    ImGui_ImplGlfw_InitForOpenGL(window, true);
#if defined(__EMSCRIPTEN__)
    ImGui_ImplOpenGL3_Init("#version 300 es");  // WebGL 2
#else
    ImGui_ImplOpenGL3_Init("#version 330 core");
#endif
}

ImGuiContextGuard::~ImGuiContextGuard() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
}

void saveWindowPng(GLFWwindow* window, const std::string& path) {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window, &w, &h);
    saveFramebufferPng(w, h, path);
}

void saveFramebufferPng(int w, int h, const std::string& path) {
    std::vector<unsigned char> pixels(size_t(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    std::vector<unsigned char> flipped(pixels.size());  // OpenGL's rows run bottom-up
    for (int y = 0; y < h; ++y)
        std::copy_n(&pixels[size_t(h - 1 - y) * w * 4], size_t(w) * 4, &flipped[size_t(y) * w * 4]);
    for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;  // opaque
    std::string png;
    stbi_write_png_to_func(
        [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); },
        &png, w, h, 4, flipped.data(), w * 4);
    writeFileAtomic(path, png);
}

OffscreenFramebuffer::OffscreenFramebuffer(int w, int h) {
    glGenTextures(1, &m_texture);
    glBindTexture(GL_TEXTURE_2D, m_texture);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glGenFramebuffers(1, &m_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, m_fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, m_texture, 0);
    const bool complete = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    while (glGetError() != GL_NO_ERROR) {}  // a refused size leaves an error queued: not the next caller's
    if (!complete) {
        release();
        throw PlatformError("cannot draw offscreen at " + std::to_string(w) + "x" + std::to_string(h) + " pixels");
    }
    glViewport(0, 0, w, h);
}

OffscreenFramebuffer::~OffscreenFramebuffer() { release(); }

void OffscreenFramebuffer::release() {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (m_fbo) glDeleteFramebuffers(1, &m_fbo);
    if (m_texture) glDeleteTextures(1, &m_texture);
    m_fbo = m_texture = 0;
}

}  // namespace moe::gui
