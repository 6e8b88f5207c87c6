#include "core/data/data_config.h"

namespace tb {

Result<ReadOptions> read_options_from_config(const DataSection& data) {
    ReadOptions o;
    TB_ASSIGN_OR_RETURN(o.format, parse_data_format(data.format));
    o.csv.instruction = data.instruction_column;
    o.csv.context = data.context_column;
    o.csv.response = data.response_column;
    o.csv.category = data.category_column;
    o.skip_bad_rows = data.skip_bad_rows;
    return o;
}

SplitOptions split_options_from_config(const DataSection& data) {
    SplitOptions o;
    o.ratios = {data.train_ratio, data.val_ratio, data.test_ratio};
    o.seed = static_cast<uint64_t>(data.split_seed);
    o.stratify = data.stratify;
    return o;
}

Result<Dataset> load_dataset_from_config(const AppConfig& cfg) {
    if (cfg.data.path.empty()) return make_error("data.path", "no dataset file set in the config");
    TB_ASSIGN_OR_RETURN(ReadOptions opts, read_options_from_config(cfg.data));
    return load_dataset(resolve_path(cfg, cfg.data.path), opts);
}

}  // namespace tb
