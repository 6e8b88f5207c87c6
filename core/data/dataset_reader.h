// Dataset readers: Dolly JSONL, Alpaca JSON/JSONL, chat JSONL (`messages`), ShareGPT
// (`conversations`) and CSV (RFC 4180) into tb::Example records.
//
// Every JSON format is accepted either as JSON Lines (one object per line, blank lines ignored)
// or as one JSON array of objects; the first non-blank character decides. A row that is not
// usable is an error "<file>:<line>: <field>: <reason>"; with skip_bad_rows the good rows are
// returned together with the list of bad ones.
#pragma once

#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/data/example.h"

namespace tb {

enum class DataFormat { Dolly, Alpaca, Chat, ShareGPT, Csv };

// "dolly", "alpaca", "chat", "sharegpt", "csv".
const char* data_format_name(DataFormat f);
Result<DataFormat> parse_data_format(const std::string& name);

// CSV column names (the header row is required). instruction and response must exist;
// context and category columns are optional: when the header lacks them the fields stay
// empty and a warning says so; "" means "do not look for this column".
struct CsvColumns {
    std::string instruction = "instruction";
    std::string context = "context";
    std::string response = "response";
    std::string category = "category";
};

struct ReadOptions {
    DataFormat format = DataFormat::Dolly;
    CsvColumns csv;
    bool skip_bad_rows = false;  // false: the first bad row is an error
};

// A row that was rejected: 1-based line where the row starts, the field ("response",
// "messages[2].role"; "" for a row that is not valid JSON/CSV at all) and why.
struct BadRow {
    size_t line = 0;
    std::string field;
    std::string reason;
};

struct Dataset {
    std::string path;
    DataFormat format = DataFormat::Dolly;
    std::vector<Example> examples;      // in file order
    std::vector<BadRow> bad_rows;       // skipped rows (only with skip_bad_rows)
    std::vector<std::string> warnings;  // e.g. an optional CSV column that is absent
};

// "<path>:<line>: <field>: <reason>" (field part omitted when empty).
std::string format_bad_row(const std::string& path, const BadRow& row);

// Reads and validates a dataset file. File-level problems (missing or empty file, a JSON array
// that does not parse, a CSV quote that is never closed, a missing CSV column, no valid rows
// left) are always errors.
Result<Dataset> load_dataset(const std::string& path, const ReadOptions& options);
// Same on text already in memory; `path` is used in messages.
Result<Dataset> parse_dataset(const std::string& text, const std::string& path,
                              const ReadOptions& options);

}  // namespace tb
