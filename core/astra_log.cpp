#include "astra_log.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "atomic_file.hpp"
#include "errors.hpp"

namespace moe {
namespace {

// Reads a decimal whole number at `pos`, moving past it; false when there is none or it overflows.
bool readNumber(std::string_view s, size_t& pos, uint64_t& value) {
    const char* begin = s.data() + pos;
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec != std::errc() || end == begin) return false;
    pos += static_cast<size_t>(end - begin);
    return true;
}

bool expect(std::string_view s, size_t& pos, std::string_view word) {
    if (s.substr(pos, word.size()) != word) return false;
    pos += word.size();
    return true;
}

// "sys[R] finished, C cycles" from `pos` (just past "sys["); false when the line is garbled.
bool finishLine(std::string_view line, size_t pos, uint64_t& rank, uint64_t& cycles) {
    return readNumber(line, pos, rank) && expect(line, pos, "] finished, ") && readNumber(line, pos, cycles) &&
           expect(line, pos, " cycles");
}

std::string lineName(const std::string& name, int line) { return name + ":" + std::to_string(line); }

}  // namespace

AstraTimes parseAstraLog(std::string_view text, int gpus, const std::string& name) {
    AstraTimes t;
    t.perGpuUs.assign(static_cast<size_t>(std::max(gpus, 0)), 0.0);
    std::vector<char> seen(t.perGpuUs.size(), 0);
    int lineNo = 0, found = 0;
    for (size_t start = 0; start < text.size();) {
        const size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++lineNo;
        const size_t at = line.find("sys[");
        if (at == std::string_view::npos || line.find("finished", at) == std::string_view::npos) continue;
        uint64_t rank = 0, cycles = 0;
        if (!finishLine(line, at + 4, rank, cycles))
            throw InputError(lineName(name, lineNo), "not an ASTRA-sim line 'sys[R] finished, C cycles'");
        if (rank >= seen.size())
            throw InputError(lineName(name, lineNo), "GPU " + std::to_string(rank) + " is not one of the " +
                                                         std::to_string(gpus) + " GPUs simulated (--gpus)");
        if (seen[rank]) throw InputError(lineName(name, lineNo), "GPU " + std::to_string(rank) + " finished twice");
        seen[rank] = 1;
        ++found;
        t.perGpuUs[rank] = static_cast<double>(cycles) / 1000.0;  // ns -> µs
        t.totalUs = std::max(t.totalUs, t.perGpuUs[rank]);
    }
    if (found != gpus)
        throw InputError(name, "ASTRA-sim's output reports " + std::to_string(found) + " of " + std::to_string(gpus) +
                                   " GPUs finished (a truncated run, or another --gpus)");
    return t;
}

AstraTimes readAstraLog(const std::string& path, int gpus) { return parseAstraLog(readFile(path), gpus, path); }

}  // namespace moe
