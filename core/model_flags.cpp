#include "model_flags.hpp"

#include <string>

#include "settings_schema.hpp"

namespace moe {
namespace {
bool isRouting(const SettingSpec& spec) {
    return spec.group == SettingGroup::Router || spec.group == SettingGroup::Capacity ||
           spec.group == SettingGroup::Noise || spec.group == SettingGroup::Groups;
}
}  // namespace

bool routingFlagsGiven(const Args& a) {
    for (const SettingSpec& spec : settingSpecs())
        if (isRouting(spec) && a.has(std::string(spec.flag))) return true;
    return a.has("route-groups");
}

bool routesAs(const Settings& s, const RouterConfig& r) {
    Settings other = s;
    other.router = r;
    for (const SettingSpec& spec : settingSpecs())
        if (isRouting(spec) && settingValue(spec, s) != settingValue(spec, other)) return false;
    return true;
}

}  // namespace moe
