#pragma once
// Strict command-line parsing: "--flag value" or "--flag=value"; every flag must
// be known, every value must parse completely, and a bad one is an InputError
// naming the flag and the accepted range (the CLI's exit code 2).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace moe {

class Args {
public:
    // valueFlags take a value; switches do not. Names without the leading dashes.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& valueFlags,
         const std::set<std::string>& switches);

    bool has(const std::string& flag) const { return m_values.count(flag) != 0 || m_switches.count(flag) != 0; }
    std::optional<std::string> str(const std::string& flag) const;
    std::string str(const std::string& flag, const std::string& fallback) const;
    int64_t integer(const std::string& flag, int64_t fallback, int64_t lo, int64_t hi) const;
    double number(const std::string& flag, double fallback, double lo, double hi) const;
    bool onOff(const std::string& flag, bool fallback) const;
    std::vector<float> floatList(const std::string& flag) const;

private:
    std::map<std::string, std::string> m_values;
    std::set<std::string> m_switches;
};

int64_t parseInteger(const std::string& flag, const std::string& text, int64_t lo, int64_t hi);
double parseNumber(const std::string& flag, const std::string& text, double lo, double hi);

}  // namespace moe
