// Glue between the `data:` section of the run config and the dataset functions.
#pragma once

#include "core/config/app_config.h"
#include "core/data/dataset_reader.h"
#include "core/data/split.h"

namespace tb {

// format, CSV column mapping and skip_bad_rows from the config (error names data.format).
Result<ReadOptions> read_options_from_config(const DataSection& data);
// ratios, split_seed and stratify.
SplitOptions split_options_from_config(const DataSection& data);
// Loads data.path (resolved against the config's folder) with those options.
Result<Dataset> load_dataset_from_config(const AppConfig& cfg);

}  // namespace tb
