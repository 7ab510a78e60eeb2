#include "flags.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "errors.hpp"

namespace moe {
namespace {
std::string dashed(const std::string& f) { return "--" + f; }

std::string formatNumber(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}
}  // namespace

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valueFlags,
           const std::set<std::string>& switches) {
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() < 3 || a.compare(0, 2, "--") != 0)
            throw InputError(a, "unexpected argument (flags look like --name value)");
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (switches.count(name)) {
            if (inlineValue) throw InputError(dashed(name), "takes no value");
            m_switches.insert(name);
            continue;
        }
        if (!valueFlags.count(name)) throw InputError(dashed(name), "unknown flag (see moelab --help)");
        if (!inlineValue) {
            if (i + 1 >= argv.size()) throw InputError(dashed(name), "needs a value");
            value = argv[++i];
        }
        if (m_values.count(name)) throw InputError(dashed(name), "given twice");
        m_values[name] = value;
    }
}

std::optional<std::string> Args::str(const std::string& flag) const {
    auto it = m_values.find(flag);
    if (it == m_values.end()) return std::nullopt;
    return it->second;
}

std::string Args::str(const std::string& flag, const std::string& fallback) const {
    return str(flag).value_or(fallback);
}

int64_t parseInteger(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
    int64_t v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (ec != std::errc() || p != end || text.empty())
        throw InputError(dashed(flag), "must be an integer in " + range + " (got '" + text + "')");
    if (v < lo || v > hi) throw InputError(dashed(flag), "must be in " + range + " (got " + text + ")");
    return v;
}

double parseNumber(const std::string& flag, const std::string& text, double lo, double hi) {
    char* end = nullptr;
    const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    const std::string range = formatNumber(lo) + ".." + formatNumber(hi);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
        throw InputError(dashed(flag), "must be a number in " + range + " (got '" + text + "')");
    if (v < lo || v > hi) throw InputError(dashed(flag), "must be in " + range + " (got " + text + ")");
    return v;
}

int64_t Args::integer(const std::string& flag, int64_t fallback, int64_t lo, int64_t hi) const {
    auto s = str(flag);
    return s ? parseInteger(flag, *s, lo, hi) : fallback;
}

double Args::number(const std::string& flag, double fallback, double lo, double hi) const {
    auto s = str(flag);
    return s ? parseNumber(flag, *s, lo, hi) : fallback;
}

bool Args::onOff(const std::string& flag, bool fallback) const {
    auto s = str(flag);
    if (!s) return fallback;
    if (*s == "on" || *s == "true" || *s == "1") return true;
    if (*s == "off" || *s == "false" || *s == "0") return false;
    throw InputError(dashed(flag), "must be on|off (got '" + *s + "')");
}

std::vector<float> Args::floatList(const std::string& flag) const {
    std::vector<float> out;
    auto s = str(flag);
    if (!s) return out;
    std::stringstream ss(*s);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(static_cast<float>(parseNumber(flag, item, -1e6, 1e6)));
    return out;
}

}  // namespace moe
