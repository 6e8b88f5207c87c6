// Internal interface between the format readers and the dispatcher (dataset_reader.cpp).
// Readers append good rows to out.examples and every rejected row to out.bad_rows; the
// dispatcher applies the skip_bad_rows policy. A returned error is file-level (fatal).
#pragma once

#include <string>

#include "core/data/dataset_reader.h"

namespace tb::data_detail {

Status read_json_records(const std::string& text, const std::string& path, DataFormat format,
                         Dataset& out);
Status read_csv_records(const std::string& text, const std::string& path, const CsvColumns& columns,
                        Dataset& out);

// True when `s` is well-formed UTF-8 (CSV fields; JSON text is checked by the JSON parser).
bool is_valid_utf8(const std::string& s);
// True when `s` has a character other than spaces, tabs and newlines.
bool has_text(const std::string& s);

}  // namespace tb::data_detail
