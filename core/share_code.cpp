#include "share_code.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "data_dir.hpp"
#include "errors.hpp"
#include "input_limits.hpp"
#include "settings_schema.hpp"

namespace moe {
namespace {

using json = nlohmann::json;
constexpr const char* kPrefix = "moe1-";
constexpr const char* kShippedModel = "@lesson";  // the shipped checkpoint, wherever it is installed

// A code holds at most 1 MiB of text (checkSharedSettings): these bound the work
// before that is known. The JSON of 1 MiB of text, escaped, is at most 6 MiB.
constexpr size_t kMaxCodeChars = size_t(4) << 20;
constexpr size_t kMaxCodeJsonBytes = size_t(8) << 20;

const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const std::string& in) {
    std::string out;
    unsigned val = 0;
    int bits = 0;
    for (unsigned char c : in) {
        val = (val << 8) | c;
        bits += 8;
        while (bits >= 6) out += kAlphabet[(val >> (bits -= 6)) & 63];
    }
    if (bits > 0) out += kAlphabet[(val << (6 - bits)) & 63];
    return out;
}

std::string unbase64url(const std::string& in) {
    std::string out;
    unsigned val = 0;
    int bits = 0;
    for (char c : in) {
        const char* p = std::strchr(kAlphabet, c);
        if (!p || !c)
            throw InputError("--code",
                             "has a character that is not part of a lesson code: '" + std::string(1, c) + "'");
        val = (val << 6) | unsigned(p - kAlphabet);
        bits += 6;
        if (bits >= 8) out += char((val >> (bits -= 8)) & 0xFF);
    }
    return out;
}

std::string hex32(uint32_t v) {
    char b[9];
    std::snprintf(b, sizeof b, "%08x", v);
    return b;
}

json settingsDiff(const Settings& s, const Settings* layeredOver = nullptr) {
    const Settings defaults;
    json j = json::object();
    for (const SettingSpec& spec : settingSpecs())
        if (!sameValue(spec, s, defaults) || (layeredOver && !sameValue(spec, s, *layeredOver)))
            j[std::string(spec.key)] = settingValue(spec, s);
    if (j.contains("weights")) {
        try {
            if (s.weightsPath == dataPath("weights/lesson.safetensors")) j["weights"] = kShippedModel;
        } catch (const InputError&) {}
    }
    return j;
}

Settings settingsFrom(const json& diff) {
    Settings s;
    json j = diff;
    if (j.value("weights", json()) == kShippedModel) {
        j.erase("weights");
        useShippedModel(s);
    }
    applySettingsJson(s, j, "--code");
    resolveSettings(s);
    if (s.weightsPath.empty()) validateSettings(s, keyNamer("--code"));
    checkSharedSettings(s, "--code");
    return s;
}

}  // namespace

std::string encodeShareCode(const SharedState& s, const Settings* layeredOver) {
    json j = {{"s", settingsDiff(s.settings, layeredOver)}};
    if (!s.page.empty() && s.page != "routing") j["page"] = s.page;
    if (!s.lesson.empty()) {
        j["lesson"] = s.lesson;
        j["chapter"] = s.chapter;
    }
    if (s.pinnedToken) j["pin"] = s.pinnedToken;
    if (!s.maximized.empty()) j["max"] = s.maximized;
    if (!s.hidden.empty()) j["hide"] = s.hidden;
    if (s.compareA) j["a"] = settingsDiff(*s.compareA);
    if (!s.model.empty()) {
        j["model"] = s.model;
        j["layer"] = s.layer;
    }
    const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
    uLongf size = compressBound(text.size());
    std::string packed(size, '\0');
    compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(text.data()), text.size(),
              9);
    packed.resize(size);
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(packed.data()), packed.size());
    return kPrefix + base64url(packed) + "-" + hex32(crc);
}

namespace {
// The state inside a code, its JSON unpacked.
SharedState sharedStateFrom(const std::string& text, const LessonNames& names) {
    SharedState s;
    try {
        const json j = json::parse(text);
        s.settings = settingsFrom(j.at("s"));
        for (const auto& [key, value] : j.at("s").items())
            if (findSetting(key)) s.keys.push_back(key);
        s.page = j.value("page", std::string());
        checkPageName(s.page, names, "--code");
        s.lesson = j.value("lesson", std::string());
        s.chapter = j.value("chapter", 0);
        s.pinnedToken = j.value("pin", 0);
        s.maximized = j.value("max", std::string());
        s.hidden = j.value("hide", std::vector<std::string>{});
        if (j.contains("a")) s.compareA = settingsFrom(j["a"]);
        s.model = j.value("model", std::string());
        if (j.contains("layer") && !isModelLayer(j["layer"]))
            throw InputError("--code", "layer " + j["layer"].dump() + " is not a whole number in 0.." +
                                           std::to_string(kMaxModelLayer));
        s.layer = j.value("layer", 0);
    } catch (const json::exception& e) {
        throw InputError("--code", std::string("holds no moelab state: ") + e.what());
    }
    return s;
}
}  // namespace

SharedState decodeShareCode(const std::string& raw, const LessonNames& names) {
    if (raw.size() > kMaxCodeChars)
        throw InputError("--code", "is " + std::to_string(raw.size()) +
                                       " characters long, more than a lesson code holds (" +
                                       std::to_string(kMaxCodeChars) + ")");
    std::string code;
    for (char c : raw)
        if (!std::isspace(static_cast<unsigned char>(c))) code += c;  // pasted across lines
    if (code.rfind("moe", 0) == 0 && code.rfind(kPrefix, 0) != 0)
        throw InputError("--code", "is from another version of moelab (this one reads codes starting with " +
                                       std::string(kPrefix) + ")");
    if (code.rfind(kPrefix, 0) != 0)
        throw InputError("--code", "is not a lesson code (they start with " + std::string(kPrefix) + ")");
    const size_t dash = code.rfind('-');
    if (dash < std::string(kPrefix).size() || code.size() - dash - 1 != 8)
        throw InputError("--code", "is incomplete: its checksum at the end is missing (was it cut off when copied?)");
    const std::string packed = unbase64url(code.substr(5, dash - 5));
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(packed.data()), packed.size());
    if (hex32(crc) != code.substr(dash + 1))
        throw InputError("--code",
                         "does not match its checksum: part of it is missing or changed (copy the whole line)");
    std::string text(std::min(std::max<size_t>(packed.size() * 8, 4096), kMaxCodeJsonBytes), '\0');
    for (;;) {
        uLongf size = text.size();
        const int rc = uncompress(reinterpret_cast<Bytef*>(text.data()), &size,
                                  reinterpret_cast<const Bytef*>(packed.data()), packed.size());
        if (rc == Z_BUF_ERROR && text.size() < kMaxCodeJsonBytes) {
            text.resize(std::min(text.size() * 4, kMaxCodeJsonBytes));
            continue;
        }
        if (rc == Z_BUF_ERROR)
            throw InputError("--code", "unpacks to more than " + std::to_string(kMaxCodeJsonBytes >> 20) + " MiB");
        if (rc != Z_OK) throw InputError("--code", "cannot be unpacked");
        text.resize(size);
        break;
    }
    checkJsonDepth(text, "--code");
    return sharedStateFrom(text, names);
}

std::string shareLink(const std::string& webAddress, const std::string& code) {
    const size_t first = webAddress.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    const size_t end = std::min(webAddress.find('#', first), webAddress.find_last_not_of(" \t\r\n") + 1);
    return webAddress.substr(first, end - first) + "#" + code;
}

}  // namespace moe
