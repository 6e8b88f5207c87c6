// JSON-based formats: Dolly, Alpaca, chat (`messages`) and ShareGPT (`conversations`), each as
// JSON Lines or as one JSON array.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/data/reader_detail.h"

namespace tb::data_detail {

namespace {

using nlohmann::json;

// A row-level problem found while converting one JSON object.
struct RowError {
    std::string field;
    std::string reason;
};

const char* json_type_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return "a number";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

// Reads obj[key] as a string. Required fields must be present, strings, and not blank;
// optional fields may be absent or null (-> "").
bool get_string(json& obj, const char* key, bool required, std::string* out, RowError* err,
                const std::string& field_prefix = "") {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (!required) {
            out->clear();
            return true;
        }
        *err = {field_prefix + key, it == obj.end() ? "missing field" : "is null"};
        return false;
    }
    if (!it->is_string()) {
        *err = {field_prefix + key, std::string("expected a string, got ") + json_type_name(*it)};
        return false;
    }
    *out = std::move(it->get_ref<std::string&>());  // the parsed object is discarded after
    if (required && !has_text(*out)) {
        *err = {field_prefix + key, "is empty"};
        return false;
    }
    return true;
}

bool convert_dolly(json& obj, Example& ex, RowError* err) {
    return get_string(obj, "instruction", true, &ex.instruction, err) &&
           get_string(obj, "context", false, &ex.context, err) &&
           get_string(obj, "response", true, &ex.response, err) &&
           get_string(obj, "category", false, &ex.category, err);
}

bool convert_alpaca(json& obj, Example& ex, RowError* err) {
    return get_string(obj, "instruction", true, &ex.instruction, err) &&
           get_string(obj, "input", false, &ex.context, err) &&
           get_string(obj, "output", true, &ex.response, err) &&
           get_string(obj, "category", false, &ex.category, err);
}

// Fills the flat fields from a validated conversation (see Example).
bool finish_conversation(Example& ex, const std::string& list_key, RowError* err) {
    if (ex.turns.empty()) {
        *err = {list_key, "conversation is empty"};
        return false;
    }
    const size_t last = ex.turns.size() - 1;
    if (ex.turns[last].role != "assistant") {
        *err = {list_key + "[" + std::to_string(last) + "]",
                "the conversation must end with an assistant message (the response), got '" +
                    ex.turns[last].role + "'"};
        return false;
    }
    if (!has_text(ex.turns[last].content)) {
        *err = {list_key + "[" + std::to_string(last) + "]",
                "the final assistant message is empty"};
        return false;
    }
    size_t user = last;
    while (user > 0 && ex.turns[user - 1].role != "user") --user;
    if (user == 0) {
        *err = {list_key, "no user message before the final assistant message"};
        return false;
    }
    --user;  // index of the last user message
    ex.instruction = ex.turns[user].content;
    ex.response = ex.turns[last].content;
    ex.context.clear();
    for (size_t i = 0; i < user; ++i) {
        if (!ex.context.empty()) ex.context += "\n";
        ex.context += ex.turns[i].role + ": " + ex.turns[i].content;
    }
    return true;
}

// Shared walk for `messages` (role/content) and `conversations` (from/value).
bool convert_conversation(json& obj, Example& ex, RowError* err, const char* list_key,
                          const char* role_key, const char* content_key, bool sharegpt) {
    auto it = obj.find(list_key);
    if (it == obj.end() || it->is_null()) {
        *err = {list_key, "missing field"};
        return false;
    }
    if (!it->is_array()) {
        *err = {list_key, std::string("expected an array, got ") + json_type_name(*it)};
        return false;
    }
    ex.turns.reserve(it->size());
    for (size_t i = 0; i < it->size(); ++i) {
        json& m = (*it)[i];
        const std::string prefix = std::string(list_key) + "[" + std::to_string(i) + "].";
        if (!m.is_object()) {
            *err = {std::string(list_key) + "[" + std::to_string(i) + "]",
                    std::string("expected an object, got ") + json_type_name(m)};
            return false;
        }
        ChatTurn t;
        if (!get_string(m, role_key, true, &t.role, err, prefix)) return false;
        if (!get_string(m, content_key, false, &t.content, err, prefix)) return false;
        if (m.find(content_key) == m.end()) {
            *err = {prefix + content_key, "missing field"};
            return false;
        }
        std::string role = t.role;
        if (sharegpt) {
            if (role == "human" || role == "user") {
                role = "user";
            } else if (role == "gpt" || role == "assistant") {
                role = "assistant";
            } else if (role != "system") {
                *err = {prefix + role_key,
                        "expected one of human, gpt, system, got '" + t.role + "'"};
                return false;
            }
        } else if (role != "system" && role != "user" && role != "assistant") {
            *err = {prefix + role_key,
                    "expected one of system, user, assistant, got '" + t.role + "'"};
            return false;
        }
        t.role = role;
        ex.turns.push_back(std::move(t));
    }
    if (!get_string(obj, "category", false, &ex.category, err)) return false;
    return finish_conversation(ex, list_key, err);
}

bool convert(DataFormat format, json& obj, Example& ex, RowError* err) {
    switch (format) {
        case DataFormat::Dolly:
            return convert_dolly(obj, ex, err);
        case DataFormat::Alpaca:
            return convert_alpaca(obj, ex, err);
        case DataFormat::Chat:
            return convert_conversation(obj, ex, err, "messages", "role", "content", false);
        case DataFormat::ShareGPT:
            return convert_conversation(obj, ex, err, "conversations", "from", "value", true);
        case DataFormat::Csv:
            break;
    }
    *err = {"", "internal: not a JSON format"};
    return false;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 7:
// syntax error ..."; keep the part after the position, we give our own line.
std::string short_json_error(const std::string& what) {
    size_t p = what.find(": ");
    std::string s = (p == std::string::npos) ? what : what.substr(p + 2);
    return s;
}

void add_row(DataFormat format, json& value, size_t line, Dataset& out) {
    RowError err;
    if (!value.is_object()) {
        out.bad_rows.push_back(
            {line, "", std::string("expected a JSON object, got ") + json_type_name(value)});
        return;
    }
    Example ex;
    ex.source_line = line;
    if (!convert(format, value, ex, &err)) {
        out.bad_rows.push_back({line, err.field, err.reason});
        return;
    }
    out.examples.push_back(std::move(ex));
}

// 1-based line of each top-level element of a JSON array that already parsed successfully.
std::vector<size_t> array_element_lines(const std::string& text) {
    std::vector<size_t> lines;
    size_t line = 1;
    int depth = 0;
    bool in_str = false, escaped = false, expecting = false;
    for (char c : text) {
        if (in_str) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (depth == 1 && expecting && !space) {
            if (c != ']') lines.push_back(line);
            expecting = false;
        }
        switch (c) {
            case '\n':
                ++line;
                break;
            case '"':
                in_str = true;
                break;
            case '[':
            case '{':
                if (++depth == 1) expecting = true;
                break;
            case ']':
            case '}':
                --depth;
                break;
            case ',':
                if (depth == 1) expecting = true;
                break;
            default:
                break;
        }
    }
    return lines;
}

size_t line_of_offset(const std::string& text, size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

Status read_json_array(const std::string& text, size_t start, const std::string& path,
                       DataFormat format, Dataset& out) {
    json doc;
    try {
        doc = json::parse(text.begin() + start, text.end());
    } catch (const json::parse_error& e) {
        size_t line = line_of_offset(text, start + (e.byte > 0 ? e.byte - 1 : 0));
        return Error{path + ":" + std::to_string(line) +
                     ": invalid JSON array: " + short_json_error(e.what())};
    } catch (const json::exception& e) {
        // A number beyond double's range ("1e400") is out_of_range 406, not a parse_error.
        return Error{path + ": invalid JSON array: " + short_json_error(e.what())};
    }
    if (!doc.is_array()) return make_error(path, "expected a JSON array of objects");
    std::vector<size_t> lines = array_element_lines(text);
    // The scanner sees exactly the elements the parser saw; guard anyway (lines are only
    // used in messages, so a mismatch must not crash).
    for (size_t i = 0; i < doc.size(); ++i) {
        size_t line = i < lines.size() ? lines[i] : 0;
        add_row(format, doc[i], line, out);
    }
    return Status::Ok();
}

void read_json_lines(const std::string& text, DataFormat format, Dataset& out) {
    size_t pos = 0, line = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        ++line;
        size_t stop = end;
        if (stop > pos && text[stop - 1] == '\r') --stop;
        size_t first = pos;
        while (first < stop && (text[first] == ' ' || text[first] == '\t')) ++first;
        if (first < stop) {
            json value;
            bool parsed = true;
            try {
                value = json::parse(text.begin() + first, text.begin() + stop);
            } catch (const json::parse_error& e) {
                out.bad_rows.push_back({line, "", "invalid JSON: " + short_json_error(e.what())});
                parsed = false;
            } catch (const json::exception& e) {  // out_of_range 406: number overflow
                out.bad_rows.push_back({line, "", "invalid JSON: " + short_json_error(e.what())});
                parsed = false;
            }
            if (parsed) add_row(format, value, line, out);
        }
        pos = end + 1;
    }
}

}  // namespace

Status read_json_records(const std::string& text, const std::string& path, DataFormat format,
                         Dataset& out) {
    size_t first = 0;
    while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
    if (first < text.size() && text[first] == '[')
        return read_json_array(text, first, path, format, out);
    read_json_lines(text, format, out);
    return Status::Ok();
}

}  // namespace tb::data_detail
