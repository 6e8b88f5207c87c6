// CSV (RFC 4180): comma-separated, fields optionally in double quotes with "" as an escaped
// quote, quoted fields may span lines, records end with LF or CRLF, the first record is the
// header. Columns are mapped to Example fields by name (CsvColumns).
#include <map>

#include "core/data/reader_detail.h"

namespace tb::data_detail {

namespace {

struct CsvRecord {
    size_t line = 0;  // line where the record starts
    std::vector<std::string> fields;
    std::string problem;  // non-empty: malformed quoting, the record is a bad row
};

// Splits the whole text into records. The only unrecoverable problem is a quote that is never
// closed: everything after it would be swallowed into one field, so that is a file error
// naming the line where the quote opened.
Status split_records(const std::string& text, const std::string& path,
                     std::vector<CsvRecord>* records) {
    size_t i = 0, line = 1;
    const size_t n = text.size();
    while (i < n) {
        CsvRecord rec;
        rec.line = line;
        std::string field;
        bool record_done = false;
        while (!record_done) {
            field.clear();
            if (i < n && text[i] == '"') {
                const size_t open_line = line;
                ++i;
                bool closed = false;
                while (i < n) {
                    char c = text[i];
                    if (c == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        closed = true;
                        break;
                    }
                    if (c == '\n') ++line;
                    field += c;
                    ++i;
                }
                if (!closed)
                    return Error{path + ":" + std::to_string(open_line) + ": column " +
                                 std::to_string(rec.fields.size() + 1) +
                                 ": unterminated quoted field (the quote opened on line " +
                                 std::to_string(open_line) + " is never closed)"};
                // After the closing quote only a separator or the end of the record may follow.
                if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    if (rec.problem.empty())
                        rec.problem = "column " + std::to_string(rec.fields.size() + 1) +
                                      ": unexpected character after a closing quote";
                    while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                        field += text[i++];
                }
            } else {
                while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    if (text[i] == '"' && rec.problem.empty())
                        rec.problem = "column " + std::to_string(rec.fields.size() + 1) +
                                      ": quote inside an unquoted field (quote the whole field "
                                      "and double the inner quote)";
                    field += text[i++];
                }
            }
            rec.fields.push_back(field);
            if (i < n && text[i] == ',') {
                ++i;
                continue;
            }
            // End of record: CRLF, LF, a lone CR, or end of text.
            if (i < n && text[i] == '\r') ++i;
            if (i < n && text[i] == '\n') ++i;
            ++line;
            record_done = true;
        }
        // A blank line is a record with one empty field: not a row.
        if (rec.fields.size() == 1 && rec.fields[0].empty() && rec.problem.empty()) continue;
        records->push_back(std::move(rec));
    }
    return Status::Ok();
}

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    return s.substr(b, e - b);
}

}  // namespace

Status read_csv_records(const std::string& text, const std::string& path, const CsvColumns& columns,
                        Dataset& out) {
    std::vector<CsvRecord> records;
    TB_TRY_STATUS(split_records(text, path, &records));
    if (records.empty()) return make_error(path, "empty file (no header row)");
    const CsvRecord& header = records[0];
    if (!header.problem.empty())
        return Error{path + ":" + std::to_string(header.line) + ": header: " + header.problem};
    std::map<std::string, size_t> index;
    for (size_t c = 0; c < header.fields.size(); ++c) {
        std::string name = trim(header.fields[c]);
        if (!index.emplace(name, c).second)
            return Error{path + ":" + std::to_string(header.line) + ": header: column '" + name +
                         "' appears twice"};
    }
    std::string all_names;
    for (const auto& f : header.fields) all_names += (all_names.empty() ? "" : ", ") + trim(f);
    // Column lookup: required ones must exist; optional ones may be absent (warning).
    auto column = [&](const std::string& name, const char* key, bool required,
                      long* col) -> Status {
        *col = -1;
        if (name.empty()) {
            if (required) return make_error(path, std::string(key) + ": must name a column");
            return Status::Ok();
        }
        auto it = index.find(name);
        if (it != index.end()) {
            *col = static_cast<long>(it->second);
        } else if (required) {
            return Error{path + ":" + std::to_string(header.line) + ": " + key + ": no column '" +
                         name + "' in the header (columns: " + all_names + ")"};
        } else {
            out.warnings.push_back(path + ":" + std::to_string(header.line) + ": " + key +
                                   ": no column '" + name + "' in the header; left empty");
        }
        return Status::Ok();
    };
    long c_instr, c_ctx, c_resp, c_cat;
    TB_TRY_STATUS(column(columns.instruction, "data.instruction_column", true, &c_instr));
    TB_TRY_STATUS(column(columns.context, "data.context_column", false, &c_ctx));
    TB_TRY_STATUS(column(columns.response, "data.response_column", true, &c_resp));
    TB_TRY_STATUS(column(columns.category, "data.category_column", false, &c_cat));

    const std::vector<std::pair<long, std::string>> named = {{c_instr, columns.instruction},
                                                             {c_ctx, columns.context},
                                                             {c_resp, columns.response},
                                                             {c_cat, columns.category}};
    for (size_t r = 1; r < records.size(); ++r) {
        CsvRecord& rec = records[r];
        if (!rec.problem.empty()) {
            out.bad_rows.push_back({rec.line, "", rec.problem});
            continue;
        }
        if (rec.fields.size() != header.fields.size()) {
            out.bad_rows.push_back({rec.line, "",
                                    "expected " + std::to_string(header.fields.size()) +
                                        " fields like the header, got " +
                                        std::to_string(rec.fields.size())});
            continue;
        }
        bool bad = false;
        for (const auto& [col, name] : named) {
            if (col >= 0 && !is_valid_utf8(rec.fields[col])) {
                out.bad_rows.push_back({rec.line, name, "invalid UTF-8"});
                bad = true;
                break;
            }
        }
        if (bad) continue;
        if (!has_text(rec.fields[c_instr])) {
            out.bad_rows.push_back({rec.line, columns.instruction, "is empty"});
            continue;
        }
        if (!has_text(rec.fields[c_resp])) {
            out.bad_rows.push_back({rec.line, columns.response, "is empty"});
            continue;
        }
        Example ex;
        ex.source_line = rec.line;
        // Copies, not moves: one column may be mapped to two fields.
        ex.instruction = rec.fields[c_instr];
        ex.response = rec.fields[c_resp];
        if (c_ctx >= 0) ex.context = rec.fields[c_ctx];
        if (c_cat >= 0) ex.category = trim(rec.fields[c_cat]);
        out.examples.push_back(std::move(ex));
    }
    return Status::Ok();
}

}  // namespace tb::data_detail
