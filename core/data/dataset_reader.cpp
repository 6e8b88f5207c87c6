#include "core/data/dataset_reader.h"

#include <cstdint>

#include "core/common/file_io.h"
#include "core/data/reader_detail.h"

namespace tb {

namespace data_detail {

bool is_valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += len;
    }
    return true;
}

bool has_text(const std::string& s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return true;
    return false;
}

}  // namespace data_detail

const char* data_format_name(DataFormat f) {
    switch (f) {
        case DataFormat::Dolly:
            return "dolly";
        case DataFormat::Alpaca:
            return "alpaca";
        case DataFormat::Chat:
            return "chat";
        case DataFormat::ShareGPT:
            return "sharegpt";
        case DataFormat::Csv:
            return "csv";
    }
    return "unknown";
}

Result<DataFormat> parse_data_format(const std::string& name) {
    for (DataFormat f : {DataFormat::Dolly, DataFormat::Alpaca, DataFormat::Chat,
                         DataFormat::ShareGPT, DataFormat::Csv})
        if (name == data_format_name(f)) return f;
    return make_error("data.format",
                      "'" + name + "' is not one of dolly, alpaca, chat, sharegpt, csv");
}

std::string format_bad_row(const std::string& path, const BadRow& row) {
    std::string out = path + ":" + std::to_string(row.line) + ": ";
    if (!row.field.empty()) out += row.field + ": ";
    return out + row.reason;
}

Result<Dataset> parse_dataset(const std::string& text_in, const std::string& path,
                              const ReadOptions& options) {
    Dataset ds;
    ds.path = path;
    ds.format = options.format;
    // A UTF-8 byte-order mark (Excel, Notepad) is not part of the first row.
    const bool bom = text_in.size() >= 3 && text_in.compare(0, 3, "\xEF\xBB\xBF") == 0;
    std::string stripped;
    if (bom) stripped = text_in.substr(3);
    const std::string& text = bom ? stripped : text_in;  // both lvalues: no copy of the file
    if (!data_detail::has_text(text)) return make_error(path, "empty file (no rows)");

    if (options.format == DataFormat::Csv) {
        TB_TRY_STATUS(data_detail::read_csv_records(text, path, options.csv, ds));
    } else {
        TB_TRY_STATUS(data_detail::read_json_records(text, path, options.format, ds));
    }
    if (!ds.bad_rows.empty() && !options.skip_bad_rows) {
        std::string more;
        if (ds.bad_rows.size() > 1)
            more = " (and " + std::to_string(ds.bad_rows.size() - 1) +
                   " more bad rows; data.skip_bad_rows: true skips them)";
        return Error{format_bad_row(path, ds.bad_rows.front()) + more};
    }
    if (ds.examples.empty()) {
        if (ds.bad_rows.empty()) return make_error(path, "no rows");
        return make_error(
            path, "no valid rows (" + std::to_string(ds.bad_rows.size()) +
                      " bad rows, first: " + format_bad_row(path, ds.bad_rows.front()) + ")");
    }
    return ds;
}

Result<Dataset> load_dataset(const std::string& path, const ReadOptions& options) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    return parse_dataset(text, path, options);
}

}  // namespace tb
