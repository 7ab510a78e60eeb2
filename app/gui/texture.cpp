#include "texture.hpp"

#include <GL/gl.h>

namespace moe::gui {

Texture::~Texture() {
    if (m_id) glDeleteTextures(1, &m_id);
}

void Texture::upload(int width, int height, const std::vector<ImU32>& pixels) {
    if (!m_id) glGenTextures(1, &m_id);
    glBindTexture(GL_TEXTURE_2D, m_id);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    // ImU32 is 0xAABBGGRR: in memory R, G, B, A on little-endian machines.
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
}

ImTextureID Texture::id() const { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(m_id)); }

}  // namespace moe::gui
