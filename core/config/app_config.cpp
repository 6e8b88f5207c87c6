#include "core/config/app_config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/common/file_io.h"
#include "core/config/config_fields.h"
#include "core/config/yaml_values.h"

namespace tb {

using config_detail::FieldDef;

namespace {

namespace fs = std::filesystem;

// "<path>:<line>" (line from a yaml-cpp mark, which counts from 0; no line when unknown).
std::string where(const std::string& path, const YAML::Mark& mark) {
    std::string p = path.empty() ? "<config>" : path;
    if (mark.is_null() || mark.line < 0) return p;
    return p + ":" + std::to_string(mark.line + 1);
}

Error err_at(const std::string& path, const YAML::Mark& mark, const std::string& key,
             const std::string& what) {
    return Error{where(path, mark) + ": " + (key.empty() ? "" : key + ": ") + what};
}

// Suggestion for an unknown key: a close key of the same section, else the same name in
// another section (a key put under the wrong section).
std::string suggest(const std::string& section, const std::string& name) {
    std::string best;
    size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
    for (const auto& f : config_detail::field_table()) {
        if (f.info.section != section) continue;
        size_t d = config_detail::edit_distance(name, f.info.name);
        if (d < best_d) best_d = d, best = f.info.key;
    }
    if (!best.empty()) return best;
    for (const auto& f : config_detail::field_table())
        if (f.info.name == name) return f.info.key;
    return "";
}

std::string suggest_section(const std::string& name) {
    std::string best;
    size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
    for (const auto& s : config_detail::section_names()) {
        size_t d = config_detail::edit_distance(name, s);
        if (d < best_d) best_d = d, best = s;
    }
    return best;
}

std::string section_list() {
    std::string out;
    for (const auto& s : config_detail::section_names()) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// 6 significant digits: a sum like 0.8 + 0.05 + 0.05 should read "0.9", not
// "0.9000000000000001". to_chars, unlike printf, ignores the locale (the GUI sets one).
std::string short_number(double v) {
    char buf[32];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 6);
    return std::string(buf, ec == std::errc() ? ptr : buf);
}

// Checks that involve several fields. `marks` gives lines for keys that came from a file.
Status check_cross_fields(const AppConfig& cfg, const std::string& path,
                          const std::map<std::string, YAML::Mark>& marks) {
    const DataSection& d = cfg.data;
    double sum = d.train_ratio + d.val_ratio + d.test_ratio;
    if (std::fabs(sum - 1.0) > 1e-6) {
        YAML::Mark m = YAML::Mark::null_mark();
        for (const char* k : {"data.train_ratio", "data.val_ratio", "data.test_ratio", "data"}) {
            auto it = marks.find(k);
            if (it != marks.end()) {
                m = it->second;
                break;
            }
        }
        return err_at(path, m, "data.train_ratio + data.val_ratio + data.test_ratio",
                      "ratios sum to " + short_number(sum) + ", they must sum to 1");
    }
    return Status::Ok();
}

}  // namespace

Result<AppConfig> parse_app_config(const std::string& yaml_text, const std::string& path) {
    AppConfig cfg;
    if (!path.empty()) {
        std::error_code ec;
        fs::path abs = fs::absolute(fs::path(path), ec);
        cfg.base_dir = (ec ? fs::path(path) : abs).lexically_normal().parent_path().string();
    }
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp's own message for this is "bad file".
        return err_at(path, e.mark, "", "invalid YAML: nesting too deep");
    } catch (const YAML::Exception& e) {
        return err_at(path, e.mark, "", "invalid YAML: " + e.msg);
    }
    if (root.IsNull()) return cfg;  // empty file: all defaults
    if (!root.IsMap())
        return err_at(path, root.Mark(), "",
                      "expected a mapping of sections (" + section_list() + "), got " +
                          (root.IsSequence() ? "a list" : "'" + root.Scalar() + "'"));

    std::map<std::string, YAML::Mark> marks;  // key -> where it was set (for cross checks)
    std::set<std::string> seen_sections;
    for (auto sit = root.begin(); sit != root.end(); ++sit) {
        const YAML::Node skey = sit->first;  // copies: the iterator returns a proxy
        const YAML::Node sval = sit->second;
        if (!skey.IsScalar()) return err_at(path, skey.Mark(), "", "section name must be a string");
        const std::string section = skey.Scalar();
        const auto& names = config_detail::section_names();
        if (std::find(names.begin(), names.end(), section) == names.end()) {
            std::string near = suggest_section(section);
            return err_at(path, skey.Mark(), section,
                          "unknown section" + (near.empty() ? " (known: " + section_list() + ")"
                                                            : " (did you mean " + near + "?)"));
        }
        if (!seen_sections.insert(section).second)
            return err_at(path, skey.Mark(), section, "section appears twice");
        marks[section] = skey.Mark();
        if (sval.IsNull()) continue;  // "lora:" with nothing below keeps the defaults
        if (!sval.IsMap())
            return err_at(
                path, sval.Mark(), section,
                "expected a mapping of keys, got " +
                    (sval.IsSequence() ? std::string("a list") : "'" + sval.Scalar() + "'"));
        for (auto kit = sval.begin(); kit != sval.end(); ++kit) {
            const YAML::Node kkey = kit->first;
            const YAML::Node kval = kit->second;
            if (!kkey.IsScalar()) return err_at(path, kkey.Mark(), section, "key must be a string");
            const std::string key = section + "." + kkey.Scalar();
            const FieldDef* f = config_detail::find_field(key);
            if (!f) {
                std::string near = suggest(section, kkey.Scalar());
                return err_at(path, kkey.Mark(), key,
                              "unknown key" +
                                  (near.empty() ? std::string() : " (did you mean " + near + "?)"));
            }
            if (marks.count(key)) return err_at(path, kkey.Mark(), key, "key appears twice");
            marks[key] = kkey.Mark();
            YAML::Mark bad = kval.Mark();
            std::string why = config_detail::field_from_yaml(*f, kval, cfg, &bad);
            // An empty value ("key:") has no position of its own; yaml-cpp marks the next
            // token, which may be lines below. Point at the key instead.
            if (kval.IsNull() || bad.is_null() || bad.line < 0) bad = kkey.Mark();
            if (!why.empty()) return err_at(path, bad, key, why);
            why = config_detail::check_field(*f, cfg);
            if (!why.empty()) return err_at(path, bad, key, why);
        }
    }
    TB_TRY_STATUS(check_cross_fields(cfg, path, marks));
    return cfg;
}

Result<AppConfig> load_app_config(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    return parse_app_config(text, path);
}

Status validate_app_config(const AppConfig& cfg) {
    for (const auto& f : config_detail::field_table()) {
        std::string why = config_detail::check_field(f, cfg);
        if (!why.empty()) return make_error(f.info.key, why);
    }
    // No file behind an in-memory config: messages carry only the key.
    Status s = check_cross_fields(cfg, "", {});
    if (!s.ok()) {
        const std::string prefix = "<config>: ";
        std::string m = s.error().message;
        if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
        return Error{m};
    }
    return Status::Ok();
}

std::string app_config_to_yaml(const AppConfig& cfg) {
    std::string out = "# tunebench run configuration (keys left out take their defaults)\n";
    std::string section;
    for (const auto& f : config_detail::field_table()) {
        if (f.info.section != section) {
            section = f.info.section;
            out += (out.size() > 80 ? "\n" : "") + section + ":\n";
        }
        out += "  " + f.info.name + ": " + config_detail::field_to_yaml(f, cfg) + "\n";
    }
    return out;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    if (path.empty()) return path;
    fs::path p(path);
    if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
    return (fs::path(base_dir) / p).lexically_normal().string();
}

std::string resolve_path(const AppConfig& cfg, const std::string& path) {
    return resolve_path(cfg.base_dir, path);
}

std::string resolve_model_path(const AppConfig& cfg) {
    std::string local = resolve_path(cfg, cfg.model.name);
    std::error_code ec;
    if (!local.empty() && fs::is_directory(local, ec)) return local;
    return cfg.model.name;
}

const char* config_field_type_name(ConfigFieldType t) {
    switch (t) {
        case ConfigFieldType::Integer:
            return "integer";
        case ConfigFieldType::Number:
            return "number";
        case ConfigFieldType::Boolean:
            return "boolean";
        case ConfigFieldType::String:
            return "string";
        case ConfigFieldType::Choice:
            return "choice";
        case ConfigFieldType::StringList:
            return "string_list";
    }
    return "unknown";
}

std::vector<ConfigFieldInfo> config_schema() {
    std::vector<ConfigFieldInfo> out;
    for (const auto& f : config_detail::field_table()) out.push_back(f.info);
    return out;
}

Result<std::string> config_field_value(const AppConfig& cfg, const std::string& key) {
    const FieldDef* f = config_detail::find_field(key);
    if (!f) return make_error(key, "unknown key");
    return config_detail::field_to_yaml(*f, cfg);
}

Status set_config_field(AppConfig& cfg, const std::string& key, const std::string& yaml_value) {
    const FieldDef* f = config_detail::find_field(key);
    if (!f) return make_error(key, "unknown key");
    YAML::Node node;
    try {
        node = YAML::Load(yaml_value);
    } catch (const YAML::Exception& e) {
        return make_error(key, "invalid YAML value: " + e.msg);
    }
    // Work on a copy so that a rejected value leaves the config untouched.
    AppConfig next = cfg;
    YAML::Mark bad;
    std::string why = config_detail::field_from_yaml(*f, node, next, &bad);
    if (why.empty()) why = config_detail::check_field(*f, next);
    if (!why.empty()) return make_error(key, why);
    cfg = std::move(next);
    return Status::Ok();
}

}  // namespace tb
