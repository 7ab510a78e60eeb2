// Lesson codes (core/share_code decodeShareCode). The input is tried twice: as typed, and
// as the JSON inside a code (packed and checksummed here as encodeShareCode does), since
// random bytes almost never carry a valid CRC-32. Round trip: decode → encode → decode equal.
#include <cstdint>
#include <string>

#include <zlib.h>

#include "errors.hpp"
#include "fuzz_support.hpp"
#include "settings_schema.hpp"
#include "share_code.hpp"

namespace {

std::string base64url(const std::string& bytes) {
    static const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : bytes) {
        bits = bits << 8 | c;
        count += 8;
        while (count >= 6) out += kDigits[(bits >> (count -= 6)) & 63];
    }
    if (count > 0) out += kDigits[(bits << (6 - count)) & 63];
    return out;
}

std::string codeAround(const std::string& json) {
    uLongf size = compressBound(json.size());
    std::string packed(size, '\0');
    compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(json.data()), json.size(),
              9);
    packed.resize(size);
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08lx", crc32(0, reinterpret_cast<const Bytef*>(packed.data()), packed.size()));
    return "moe1-" + base64url(packed) + "-" + crc;
}

bool sameSettings(const moe::Settings& a, const moe::Settings& b) {
    for (const moe::SettingSpec& spec : moe::settingSpecs())
        if (spec.inSession && !moe::sameValue(spec, a, b)) return false;
    return true;
}

void roundTrip(const std::string& code) {
    moe::SharedState first;
    try {
        first = moe::decodeShareCode(code);
    } catch (const moe::InputError&) {
        return;
    }
    const std::string encoded = moe::encodeShareCode(first);
    const moe::SharedState again = moe::decodeShareCode(encoded);  // must not throw
    using moe::fuzz::require;
    require(sameSettings(first.settings, again.settings), "the settings");
    require(first.page == again.page || (first.page.empty() && again.page == "routing") ||
                (first.page == "routing" && again.page.empty()),
            "the page");
    require(first.lesson == again.lesson, "the lesson");
    require(first.lesson.empty() || first.chapter == again.chapter, "the chapter");
    require(first.pinnedToken == again.pinnedToken, "the pinned token");
    require(first.maximized == again.maximized, "the maximized view");
    require(first.hidden == again.hidden, "the hidden views");
    require(first.compareA.has_value() == again.compareA.has_value(), "whether there is an A to compare");
    require(!first.compareA || sameSettings(*first.compareA, *again.compareA), "the A settings");
    require(first.model == again.model, "the language model");
    require(first.model.empty() || first.layer == again.layer, "the model's layer");
    require(moe::encodeShareCode(again) == encoded, "the code written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    roundTrip(text);
    if (text.rfind("moe", 0) != 0) roundTrip(codeAround(text));
    return 0;
}
