#include "tokenizer.hpp"

#include <algorithm>

namespace moe {

std::string hexEscape(uint8_t b) {
    static const char* digits = "0123456789ABCDEF";
    return std::string("\\x") + digits[b >> 4] + digits[b & 15];
}

unsigned codePointAt(std::string_view s, size_t i, int& len) {
    const auto at = [&](size_t j) { return static_cast<uint8_t>(s[j]); };
    len = utf8SequenceLength(s, i);
    if (len <= 1) {
        len = 1;
        return at(i);
    }
    unsigned cp = at(i) & (0xFF >> (len + 1));
    for (int j = 1; j < len; ++j) cp = (cp << 6) | (at(i + j) & 0x3F);
    return cp;
}

int utf8SequenceLength(std::string_view s, size_t i) {
    const auto at = [&](size_t j) { return static_cast<uint8_t>(s[j]); };
    const uint8_t b0 = at(i);
    if (b0 < 0x80) return 1;
    int len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF)
        len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;  // overlong
        else if (b0 == 0xED)
            hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;  // above U+10FFFF
    } else
        return 0;
    if (i + len > s.size()) return 0;
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (int j = 2; j < len; ++j)
        if ((at(i + j) & 0xC0) != 0x80) return 0;
    return len;
}

std::vector<ByteToken> tokenize(std::string_view s) { return ByteTokenStream(s).take(s.size()); }

std::vector<ByteToken> ByteTokenStream::take(size_t n) {
    std::vector<ByteToken> out;
    out.reserve(std::min(n, m_s.size() - m_next));
    while (out.size() < n && m_next < m_s.size()) {
        // The character holding byte m_next: a chunk may have ended inside it.
        size_t start = m_next;
        while (start > 0 && m_next - start < 3 && (static_cast<uint8_t>(m_s[start]) & 0xC0) == 0x80) --start;
        int len = utf8SequenceLength(m_s, start);
        if (start != m_next && (len == 0 || start + len <= m_next)) {
            start = m_next;
            len = utf8SequenceLength(m_s, m_next);
        }
        ByteToken t;
        t.byte = static_cast<uint8_t>(m_s[m_next]);
        if (len == 0) {
            t.charIndex = m_charIndex++;
            t.valid = false;
            t.text = hexEscape(t.byte);
        } else {
            t.charIndex = m_charIndex;
            t.byteInChar = static_cast<int>(m_next - start);
            t.charBytes = len;
            t.text = std::string(m_s.substr(start, len));
            if (t.byteInChar + 1 == len) ++m_charIndex;
        }
        out.push_back(std::move(t));
        ++m_next;
    }
    return out;
}

int countCharacters(std::string_view s) {
    int chars = 0;
    for (size_t i = 0; i < s.size(); ++chars) i += std::max(1, utf8SequenceLength(s, i));
    return chars;
}

std::string printableChar(const ByteToken& t) {
    if (!t.valid) return t.text;
    if (t.byte == '\n') return "\\n";
    if (t.byte == '\t') return "\\t";
    if (t.byte == '\r') return "\\r";
    if (t.byte < 0x20 || t.byte == 0x7F) return hexEscape(t.byte);
    if (t.byte == ' ') return "\u2423";  // open box: a visible space
    return t.text;
}

}  // namespace moe
