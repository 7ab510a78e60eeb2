#include <gtest/gtest.h>

#include "tokenizer.hpp"

using namespace moe;

TEST(Tokenizer, AsciiIsOneTokenPerCharacter) {
    const auto t = tokenize("MoE");
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].byte, 'M');
    EXPECT_EQ(t[2].charIndex, 2);
    EXPECT_EQ(t[1].text, "o");
}

TEST(Tokenizer, ChineseCharacterIsThreeTokens) {
    // 是 = E6 98 AF
    const auto t = tokenize("a\xE6\x98\xAF!");
    ASSERT_EQ(t.size(), 5u);
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(t[i].text, "\xE6\x98\xAF");
        EXPECT_EQ(t[i].charIndex, 1);
        EXPECT_EQ(t[i].byteInChar, i - 1);
        EXPECT_EQ(t[i].charBytes, 3);
    }
    EXPECT_EQ(t[1].byte, 0xE6);
    EXPECT_EQ(t[3].byte, 0xAF);
    EXPECT_EQ(t[4].charIndex, 2);
}

TEST(Tokenizer, SeedSentenceHas27Bytes) {
    // "MoE是很强大的机制！": 3 ASCII + 8 three-byte characters.
    const auto t =
        tokenize("MoE\xE6\x98\xAF\xE5\xBE\x88\xE5\xBC\xBA\xE5\xA4\xA7\xE7\x9A\x84\xE6\x9C\xBA\xE5\x88\xB6\xEF\xBC\x81");
    EXPECT_EQ(t.size(), 27u);
    EXPECT_EQ(t.back().charIndex, 10);
}

TEST(Tokenizer, InvalidBytesAreStillTokens) {
    // A lone continuation byte, a truncated 3-byte sequence, an overlong, a surrogate.
    const std::string s =
        "\x80"
        "\xE6\x98"
        "\xC0\xAF"
        "\xED\xA0\x80"
        "z";
    const auto t = tokenize(s);
    ASSERT_EQ(t.size(), s.size());
    for (size_t i = 0; i + 1 < t.size(); ++i) {
        EXPECT_FALSE(t[i].valid) << i;
        EXPECT_EQ(t[i].charBytes, 1);
    }
    EXPECT_EQ(t[0].text, "\\x80");
    EXPECT_EQ(t[1].text, "\\xE6");
    EXPECT_TRUE(t.back().valid);
    EXPECT_EQ(t.back().charIndex, static_cast<int>(s.size()) - 1);
}

TEST(Tokenizer, FourByteAndEmpty) {
    const auto t = tokenize("\xF0\x9F\x98\x80");  // U+1F600
    ASSERT_EQ(t.size(), 4u);
    EXPECT_TRUE(t[3].valid);
    EXPECT_EQ(t[3].byteInChar, 3);
    EXPECT_TRUE(tokenize("").empty());
    const auto z = tokenize(std::string("a\0b", 3));
    EXPECT_EQ(z.size(), 3u);
    EXPECT_EQ(z[1].byte, 0);
}
