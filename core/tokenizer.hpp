#pragma once
// Bytes to tokens: every byte of the input is one token, as in the seeds'
// byte_tokenize (text.encode("utf-8")). Each token also knows the character it
// belongs to, so views can group byte chips under their character.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

struct ByteToken {
    uint8_t byte = 0;
    int charIndex = 0;   // index of the character among the text's characters
    int byteInChar = 0;  // 0 for a lead byte, 1.. for continuation bytes
    int charBytes = 1;   // bytes in the character (1 for an invalid byte)
    bool valid = true;   // false: not part of a well-formed UTF-8 sequence
    std::string text;    // the character as UTF-8, or "\xNN" for an invalid byte
};

std::vector<ByteToken> tokenize(std::string_view bytes);

// The same tokens a chunk at a time, for texts too long to hold one ByteToken per byte
// (a 10 MB text would need 560 MB): take(n) returns the next n, in order.
class ByteTokenStream {
public:
    explicit ByteTokenStream(std::string_view bytes) : m_s(bytes) {}
    std::vector<ByteToken> take(size_t n);
    size_t position() const { return m_next; }  // the index of the next token

private:
    std::string_view m_s;
    size_t m_next = 0;  // next byte to hand out
    int m_charIndex = 0;
};

// The number of characters tokenize() finds (a malformed byte counts as one).
int countCharacters(std::string_view bytes);

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
int utf8SequenceLength(std::string_view s, size_t i);
// The code point at s[i] and, in len, the bytes it takes: a malformed byte is one byte
// standing for its own value.
unsigned codePointAt(std::string_view s, size_t i, int& len);

// "\xNN" spelling of a byte.
std::string hexEscape(uint8_t b);

// How a token's character reads in a terminal: control and invalid bytes escaped,
// space as an open box.
std::string printableChar(const ByteToken& t);

}  // namespace moe
