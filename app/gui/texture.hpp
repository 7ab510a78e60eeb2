#pragma once
// An RGBA image in an OpenGL texture, for maps with thousands of cells: one textured
// quad costs the software renderer far less than a rectangle per cell.
#include <imgui.h>

#include <cstdint>
#include <vector>

namespace moe::gui {

class Texture {
public:
    Texture() = default;
    ~Texture();
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;
    // Uploads width x height pixels (ImU32, row by row), nearest-neighbour sampled.
    void upload(int width, int height, const std::vector<ImU32>& pixels);
    ImTextureID id() const;
    bool empty() const { return m_id == 0; }

private:
    unsigned m_id = 0;
};

}  // namespace moe::gui
