// What the GUI shows for the configuration schema (core/config: English, Qt-free): section
// titles and field labels, translatable. The schema's field names ("learning_rate") and
// sections ("training") are YAML keys; this is their human form ("Learning rate",
// "Training"), with every field of config_schema() listed in config_text.cpp so that lupdate
// sees them (context tbui::ConfigText); test_gui_language checks that none is missing.
#pragma once

#include <QString>
#include <string>

namespace tb {
struct ConfigFieldInfo;
}

namespace tbui {

// "training" -> "Training" (in the current language).
QString configSectionTitle(const std::string& section);

// "learning_rate" -> "Learning rate" (in the current language); a name missing from the table
// falls back to the name with '_' as spaces and a capital first letter.
QString configFieldLabel(const std::string& name);

// The schema description of `key` ("training.learning_rate") in the current language;
// `english` (ConfigFieldInfo::description) when the table has no entry for it or an outdated one.
QString configFieldDescription(const std::string& key, const std::string& english);

// The allowed values of a field ("≥ 1", "one of adamw, adamw_8bit", "true or false") in the
// current language, from the schema's type, bounds, choices and sentinel.
QString configFieldRange(const tb::ConfigFieldInfo& f);
// A sentinel's meaning ("derived from epochs") in the current language.
QString configSentinelMeaning(const std::string& english);

// Whether `name` / `section` has an entry in the table (tests).
bool hasConfigFieldLabel(const std::string& name);
bool hasConfigSectionTitle(const std::string& section);
// Whether the description table holds `key` with exactly this English text (tests).
bool hasConfigFieldDescription(const std::string& key, const std::string& english);

}  // namespace tbui
