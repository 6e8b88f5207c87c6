// The field table behind AppConfig (internal): one entry per YAML key with its accessor,
// type, range and description. Loader, validator, writer and the public schema all walk it,
// so a field added here is automatically parsed, checked, written and shown in the GUI.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/config/app_config.h"

namespace tb::config_detail {

using IntRef = int64_t& (*)(AppConfig&);
using NumRef = double& (*)(AppConfig&);
using BoolRef = bool& (*)(AppConfig&);
using StrRef = std::string& (*)(AppConfig&);
using ListRef = std::vector<std::string>& (*)(AppConfig&);

// Extra rule beyond min/max/choices; returns "" when the value is fine, else the reason
// (e.g. "must be a power of two").
using ExtraCheck = std::string (*)(const AppConfig&);

struct FieldDef {
    ConfigFieldInfo info;  // default_value is filled from AppConfig{} when the table is built
    std::variant<IntRef, NumRef, BoolRef, StrRef, ListRef> ref;
    ExtraCheck extra = nullptr;
    // Accepted spellings normalised on load ("bf16" -> "bfloat16").
    std::vector<std::pair<std::string, std::string>> aliases;
    bool list_nonempty = false;  // StringList must have at least one item
};

// All fields in schema order (sections model, lora, quant, training, data, eval).
const std::vector<FieldDef>& field_table();
const std::vector<std::string>& section_names();
const FieldDef* find_field(const std::string& key);

// Value of a field as YAML text.
std::string field_to_yaml(const FieldDef& f, const AppConfig& cfg);

// Converts `node` and stores it into cfg. On failure returns the message after "<key>: "
// (e.g. "expected a number, got 'abc'") and the mark of the offending node in *bad_mark.
std::string field_from_yaml(const FieldDef& f, const YAML::Node& node, AppConfig& cfg,
                            YAML::Mark* bad_mark);

// Range/choice/extra checks of the field's current value; "" when fine.
std::string check_field(const FieldDef& f, const AppConfig& cfg);

}  // namespace tb::config_detail
