#pragma once
// One entry per setting: its JSON key, command-line flag, kind, valid range (which may
// depend on other settings, as k on E), default, help in English and Chinese, and how
// to read and write it in a Settings. The CLI flags and --help, the route JSON's
// "config", session files, the app's controls, validation and clamping all come from
// this table: adding a setting is one entry in settings_schema.cpp.
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flags.hpp"
#include "settings.hpp"

namespace moe {

enum class SettingKind { Int, Float, Bool, Choice, Text, FloatList };
// Where a setting sits in the app's controls (and in --help).
enum class SettingGroup { Input, Model, Router, Capacity, Noise, Groups, Parallel, Compute };
// What a change of the setting makes the app redo.
enum class SettingEffect { Route, Weights, Backend };
enum class SettingWidget { Slider, LogSlider, Number, Checkbox, Combo, Divisors, None };

struct SettingRange {
    double lo, hi;
};

struct SettingSpec {
    std::string_view key;   // JSON and session files: "capacity_factor"
    std::string_view flag;  // command line, without dashes: "capacity-factor"
    SettingKind kind;
    SettingGroup group;
    SettingEffect effect;
    SettingWidget widget;
    const char* label;                                 // the control's name in the app (English; the app translates it)
    const char* help;                                  // one line
    const char* helpZh;                                // the same line in Chinese
    std::span<const std::string_view> choices = {};    // Choice: the flag spellings
    SettingRange (*range)(const Settings&) = nullptr;  // Int, Float: valid values given the others
    SettingRange slider = {0, 0};                      // the control's drag range; typing may reach `range`
    const char* zeroMeans = nullptr;                   // what 0 stands for ("dropless"), or nullptr
    const char* negativeMeans = nullptr;               // what x < 0 stands for, shown before |x| ("dynamic ≤")
    nlohmann::json (*get)(const Settings&);
    void (*set)(Settings&, const nlohmann::json&);  // value already checked for kind
    // A default that follows another setting (hidden = 4·dim), or nullptr.
    nlohmann::json (*derived)(const Settings&) = nullptr;
    // A rule beyond the range (groups must divide E): the problem, or "" when fine.
    std::string (*check)(const Settings&) = nullptr;
    // Brings a setting that breaks its range or rule back to a valid value (app only).
    void (*repair)(Settings&) = nullptr;
    // Run after an interactive change of this setting (turning route groups on also
    // makes placement contiguous), or nullptr.
    void (*onChange)(Settings&) = nullptr;
    bool inSession = true;  // written to session files and lesson codes
};

// Every setting, in the order they are parsed, validated and shown.
std::span<const SettingSpec> settingSpecs();
const SettingSpec* findSetting(std::string_view key);
const SettingSpec* findSettingByFlag(std::string_view flag);
const char* groupName(SettingGroup g);  // English title of a group of controls

// The flags every command that takes a model accepts (settings plus --preset, --topology).
std::set<std::string> settingFlags();

// Applies the flags given onto s: --preset and --topology first, then every setting's
// flag, then settings that followed a derived default (hidden = 4·dim, noise seed =
// seed) follow it again. Reads --text-file. Throws InputError naming the flag.
void applyFlags(Settings& s, const Args& args);
// The defaults with the flags applied; checks ranges when no weights file is given (a
// weights file fixes E first: call validateSettings after loading it).
Settings settingsFromFlags(const Args& args);
// Whether a flag sets the model (shape, seed or weights file).
bool setsModel(const Args& args);
// Opens on the shipped lesson checkpoint, so typed sentences show learned routing
// (unchanged when the data folder is missing).
void useShippedModel(Settings& s);

// How a message names a setting: "--k" on the command line, "session.json: k" for a file.
using SettingNamer = std::function<std::string(const SettingSpec&)>;
SettingNamer flagNamer();
SettingNamer keyNamer(const std::string& source);

// Forced consequences (route groups set the group count); call after any change.
void resolveSettings(Settings& s);
// Every range and rule, in table order; throws InputError naming the first that fails.
void validateSettings(const Settings& s, const SettingNamer& name = flagNamer());
// The first broken range or rule, or "" (for the app, which shows it instead of throwing).
std::string settingsProblem(const Settings& s);
// Clamps every value into its range and repairs broken rules (the app, after a change
// that narrows other settings' ranges, such as fewer experts).
void clampSettings(Settings& s);
// After `spec` changed from `before` to `s`: settings that followed their derived
// default keep following it, and the spec's onChange runs.
void settingChanged(const SettingSpec& spec, const Settings& before, Settings& s);

// One setting's value as JSON and back (strings for choices, null for empty text).
nlohmann::json settingValue(const SettingSpec& spec, const Settings& s);
// Sets from JSON; throws InputError(name, ...) when the value has the wrong kind.
void setSetting(const SettingSpec& spec, Settings& s, const nlohmann::json& v, const std::string& name);
// Sets from command-line text; throws InputError(name, ...) when it does not parse.
void setSettingFromText(const SettingSpec& spec, Settings& s, const std::string& text, const std::string& name);
// The value as command-line text ("on", "0.5", "token-choice", "1,2,3").
std::string settingText(const SettingSpec& spec, const Settings& s);
bool sameValue(const SettingSpec& spec, const Settings& a, const Settings& b);

// The route JSON's "config": every setting by key, plus what actually ran: the backend,
// its device, why auto fell back to Eigen (fallback_reason), and why a backend's pass ran
// on the Eigen reference (fallback: a rule it does not run).
nlohmann::json configJson(const Settings& s, const std::string& backend, const std::string& device,
                          const std::string& fallbackReason, const std::string& fallback = {});

// Session files: the text and every setting, with a format name and version.
inline constexpr int kSessionVersion = 2;
// The layer a session or code may name: a whole number in 0..kMaxModelLayer (--layer's bound).
inline constexpr int kMaxModelLayer = 1000;
bool isModelLayer(const nlohmann::json& v);
// With a language model shown, its name and the layer followed ("model", "layer").
std::string sessionJson(const Settings& s, const std::string& model = "", int layer = 0);
struct LoadedSession {
    Settings settings;
    std::vector<std::string> unknownKeys;  // reported to the user, not applied
    std::string model;                     // empty: the one-layer model
    int layer = 0;
};
// Reads a session (version 1 or 2) onto the defaults. Throws InputError naming the
// file and the key when it does not parse or a value is out of range.
LoadedSession parseSession(const std::string& json, const std::string& path);
// Applies the keys of a JSON object onto `s` (sessions, lessons, lesson codes); keys that
// are no setting are returned. Values are checked for kind, not range.
std::vector<std::string> applySettingsJson(Settings& s, const nlohmann::json& object, const std::string& source);

// --help's model and routing part: every flag with its default and help.
std::string settingsHelp();

// Validation for callers that hold only a router or shape (backends, tests).
void validate(const ModelShape& shape);
void validate(const RouterConfig& cfg, int experts);
void validate(const ClusterConfig& c, int experts);

}  // namespace moe
