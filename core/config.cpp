#include "config.hpp"

#include "errors.hpp"

namespace moe {

std::string joinChoices(const std::string_view* names, size_t count) {
    std::string s;
    for (size_t i = 0; i < count; ++i) (s += i ? "|" : "") += names[i];
    return s;
}

void throwBadChoice(const std::string& field, std::string_view got, const std::string_view* names, size_t count) {
    throw InputError(field, "must be one of " + joinChoices(names, count) + " (got '" + std::string(got) + "')");
}

}  // namespace moe
