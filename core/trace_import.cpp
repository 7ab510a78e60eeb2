// vLLM's and SGLang's routed-experts arrays read as router traces (trace_import.hpp).
#include "trace_import.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "input_limits.hpp"

namespace moe {
namespace {

constexpr int64_t kMaxIds = int64_t(1) << 30;
constexpr int kMaxDim = 4096;  // layers, top-k and experts, as a trace allows

// The three dimensions, each >= 1, their product within kMaxIds.
RoutedExperts shaped(const std::vector<int64_t>& shape, const std::string& source) {
    if (shape.size() != 3) throw InputError(source, "the array must have 3 dimensions [tokens, layers, top_k]");
    for (int64_t d : shape)
        if (d < 1) throw InputError(source, "every dimension of [tokens, layers, top_k] must be at least 1");
    if (shape[1] > kMaxDim || shape[2] > kMaxDim || shape[0] > kMaxIds / (shape[1] * shape[2]))
        throw InputError(source, "the array is too large (at most 2^30 ids, 4096 layers and 4096 per token)");
    RoutedExperts r;
    r.tokens = static_cast<int>(shape[0]);
    r.layers = static_cast<int>(shape[1]);
    r.topK = static_cast<int>(shape[2]);
    return r;  // ids not reserved: the caller checks the data holds them first
}

// The value after 'key': in the header's Python dict, up to the character that ends it
// (the closing quote of a string, the ')' of a tuple, a ',' or '}' otherwise); no regex,
// whose backtracking recurses once per character of a long header.
std::string npyField(const std::string& header, const std::string& key, const std::string& source) {
    size_t at = header.find("'" + key + "'");
    if (at != std::string::npos) at = header.find(':', at + key.size() + 2);
    if (at == std::string::npos) throw InputError(source, "the .npy header has no " + key);
    at = header.find_first_not_of(" ", at + 1);
    if (at == std::string::npos) throw InputError(source, "the .npy header's " + key + " has no value");
    const char open = header[at];
    const char close = open == '\'' ? '\'' : open == '(' ? ')' : ',';
    const size_t begin = open == '\'' || open == '(' ? at + 1 : at;
    const size_t end = header.find_first_of(std::string(1, close) + (close == ',' ? "}" : ""), begin);
    if (end == std::string::npos) throw InputError(source, "the .npy header's " + key + " does not end");
    return header.substr(begin, end - begin);
}

// "3, 2, 2" (a trailing comma allowed): whole numbers only.
std::vector<int64_t> npyShape(const std::string& text, const std::string& source) {
    std::vector<int64_t> shape;
    std::string digits;
    for (size_t i = 0; i <= text.size(); ++i) {
        const char c = i < text.size() ? text[i] : ',';
        if (c >= '0' && c <= '9' && digits.size() < 12) {
            digits += c;
        } else if (c == ',') {
            if (!digits.empty()) shape.push_back(std::stoll(digits));
            digits.clear();
        } else if (c != ' ') {
            throw InputError(source, "the .npy shape (" + text + ") is not a tuple of whole numbers");
        }
    }
    return shape;
}

// Standard base64 (RFC 4648, '=' padding optional); anything else is refused.
std::string unbase64(const std::string& in, const std::string& source) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned val = 0;
    int bits = 0;
    size_t end = in.size();
    while (end > 0 && in[end - 1] == '=') --end;
    for (size_t i = 0; i < end; ++i) {
        const char* p = in[i] ? std::strchr(alphabet, in[i]) : nullptr;
        if (!p) throw InputError(source, "routed_experts is not base64 (character " + std::to_string(i) + ")");
        val = (val << 6) | unsigned(p - alphabet);
        bits += 6;
        if (bits >= 8) out += char((val >> (bits -= 8)) & 0xFF);
    }
    return out;
}

nlohmann::json parseJson(const std::string& text, const std::string& source) {
    checkJsonDepth(text, source);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(source, std::string("is not valid JSON: ") + e.what());
    }
}

}  // namespace

RoutedExperts parseNpyExperts(const std::string& bytes, const std::string& source) {
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        throw InputError(source, "is not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<uint8_t>(bytes[6]);
    if (major < 1 || major > 3) throw InputError(source, "unknown .npy version " + std::to_string(major));
    const size_t lenBytes = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + lenBytes) throw InputError(source, "truncated .npy header");
    uint32_t headerLen = 0;
    for (size_t i = 0; i < lenBytes; ++i) headerLen |= uint32_t(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    const size_t start = 8 + lenBytes;
    if (headerLen > bytes.size() - start) throw InputError(source, "truncated .npy header");
    const std::string header = bytes.substr(start, headerLen);
    const std::string descr = npyField(header, "descr", source);
    const std::string fortran = npyField(header, "fortran_order", source);
    const std::string shapeText = npyField(header, "shape", source);
    if (fortran != "False")
        throw InputError(source, "is in Fortran order (or says '" + fortran + "'); only C order is read");
    int width = 0;
    if (descr == "<i2") width = 2;
    if (descr == "<i4") width = 4;
    if (descr == "<i8") width = 8;
    if (!width) throw InputError(source, "dtype '" + descr + "' is not read (little-endian <i2, <i4 or <i8 only)");
    RoutedExperts r = shaped(npyShape(shapeText, source), source);
    const size_t n = r.count();
    const size_t data = start + headerLen;
    if (bytes.size() - data != n * width)
        throw InputError(source, "holds " + std::to_string(bytes.size() - data) + " data bytes, but " + descr + " (" +
                                     shapeText + ") needs " + std::to_string(n * width));
    r.ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        int64_t v = 0;
        std::memcpy(&v, bytes.data() + data + i * width, size_t(width));              // little-endian host
        if (width < 8 && (v >> (8 * width - 1)) & 1) v -= int64_t(1) << (8 * width);  // sign-extend
        r.ids.push_back(v);
    }
    return r;
}

RoutedExperts parseJsonListExperts(const std::string& text, const std::string& source) {
    const nlohmann::json j = parseJson(text, source);
    const auto dims = [&](const nlohmann::json& v) {
        return v.is_array() && !v.empty() ? int64_t(v.size()) : int64_t(0);
    };
    const int64_t tokens = dims(j);
    const int64_t layers = tokens ? dims(j[0]) : 0;
    const int64_t k = layers ? dims(j[0][0]) : 0;
    RoutedExperts r = shaped({tokens, layers, k}, source);
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t l = 0; l < layers; ++l) {
            const std::string at = "[" + std::to_string(t) + "][" + std::to_string(l) + "]";
            if (dims(j[t]) != layers || dims(j[t][l]) != k)
                throw InputError(source,
                                 "the list is not rectangular at " + at + " (expected [tokens][layers][top_k])");
            for (const auto& v : j[t][l]) {
                if (!v.is_number_integer()) throw InputError(source, at + " holds " + v.dump() + ", not an integer");
                r.ids.push_back(v.get<int64_t>());
            }
        }
    return r;
}

RoutedExperts parseSglangExperts(const std::string& text, const std::string& source) {
    const nlohmann::json j = parseJson(text, source);
    if (!j.is_object() || !j.contains("routed_experts") || !j["routed_experts"].is_string())
        throw InputError(source, "needs \"routed_experts\": a base64 string of int32 ids");
    std::vector<int64_t> shape;
    if (j.contains("shape") && j["shape"].is_array())
        for (const auto& d : j["shape"]) shape.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
    if (shape.size() != 3) throw InputError(source, "needs \"shape\": [tokens, layers, top_k]");
    RoutedExperts r = shaped(shape, source);
    const std::string raw = unbase64(j["routed_experts"].get<std::string>(), source);
    const size_t n = r.count();
    if (raw.size() != n * 4)
        throw InputError(source, "routed_experts holds " + std::to_string(raw.size()) + " bytes, but shape needs " +
                                     std::to_string(n * 4) + " (int32)");
    r.ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        int32_t v;
        std::memcpy(&v, raw.data() + 4 * i, 4);
        r.ids.push_back(v);
    }
    return r;
}

RoutedExperts readRoutedExperts(const std::string& from, const std::string& bytes, const std::string& source) {
    if (from == "sglang") return parseSglangExperts(bytes, source);
    if (from != "vllm") throw InputError("--from", "must be vllm or sglang (got '" + from + "')");
    if (bytes.compare(0, 6, "\x93NUMPY") == 0) return parseNpyExperts(bytes, source);
    return parseJsonListExperts(bytes, source);
}

RouterTrace tracedChoices(const RoutedExperts& r, int numExperts, const std::string& model, const std::string& source) {
    const int64_t largest = *std::max_element(r.ids.begin(), r.ids.end());
    const int64_t E = numExperts > 0 ? numExperts : largest + 1;
    if (E > kMaxDim) throw InputError(source, "names expert " + std::to_string(E - 1) + "; at most 4096 experts");
    if (r.topK > E) throw InputError(source, "top_k " + std::to_string(r.topK) + " exceeds the experts' count");
    RouterTrace t;
    t.model = model;
    t.numExperts = static_cast<int>(E);
    t.topK = r.topK;
    t.tokens.assign(r.tokens, -1);
    t.tokenText.assign(r.tokens, "");
    t.topkIds.assign(r.layers, std::vector<int>(size_t(r.tokens) * r.topK));
    for (size_t i = 0; i < r.ids.size(); ++i) {
        const int64_t v = r.ids[i];
        const size_t k = i % r.topK, rest = i / r.topK;
        const size_t layer = rest % r.layers, token = rest / r.layers;
        const std::string at = "token " + std::to_string(token) + ", layer " + std::to_string(layer);
        if (v < 0 || v >= E)
            throw InputError(source,
                             at + " names expert " + std::to_string(v) + ", outside 0.." + std::to_string(E - 1));
        std::vector<int>& ids = t.topkIds[layer];
        for (size_t j = 0; j < k; ++j)
            if (ids[token * r.topK + j] == v)
                throw InputError(source, at + " names expert " + std::to_string(v) + " twice");
        ids[token * r.topK + k] = static_cast<int>(v);
    }
    return t;
}

}  // namespace moe
