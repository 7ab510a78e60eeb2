#include "model_flags.hpp"

#include <string>

#include "settings_schema.hpp"

namespace moe {

bool routingFlagsGiven(const Args& a) {
    for (const SettingSpec& spec : settingSpecs()) {
        const bool routing = spec.group == SettingGroup::Router || spec.group == SettingGroup::Capacity ||
                             spec.group == SettingGroup::Noise || spec.group == SettingGroup::Groups;
        if (routing && a.has(std::string(spec.flag))) return true;
    }
    return a.has("route-groups");
}

}  // namespace moe
