// What the GUI shows for the configuration schema (core/config: English, Qt-free): section
// titles and field labels, translatable. The schema's field names ("learning_rate") and
// sections ("training") are YAML keys; this is their human form ("Learning rate",
// "Training"), with every field of config_schema() listed in config_text.cpp so that lupdate
// sees them (context tbui::ConfigText); test_gui_language checks that none is missing.
#pragma once

#include <QString>
#include <string>

namespace tbui {

// "training" -> "Training" (in the current language).
QString configSectionTitle(const std::string& section);

// "learning_rate" -> "Learning rate" (in the current language); a name missing from the table
// falls back to the name with '_' as spaces and a capital first letter.
QString configFieldLabel(const std::string& name);

// Whether `name` / `section` has an entry in the table (tests).
bool hasConfigFieldLabel(const std::string& name);
bool hasConfigSectionTitle(const std::string& section);

}  // namespace tbui
