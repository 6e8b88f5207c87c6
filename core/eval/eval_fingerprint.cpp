#include "core/eval/eval_fingerprint.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

namespace tb::eval {

namespace {

// Ratios are compared as the split computes with them: fixed to integer parts per billion
// (core/data/split.h), so two spellings of the same split (0.05 vs 5e-2) compare equal and
// two different splits never do.
int64_t ppb(double r) { return std::llround(r * 1e9); }

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string ratio_text(double r) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", r);
    return buf;
}

// One value of a fingerprint field as shown in a difference; nullopt = not recorded.
using Shown = std::optional<std::string>;

Shown known_int(int64_t v) { return v < 0 ? Shown{} : Shown{std::to_string(v)}; }
Shown known_str(const std::string& s) { return s.empty() ? Shown{} : Shown{s}; }

void compare_field(std::vector<std::string>& out, const std::string& name, const Shown& a,
                   const Shown& b) {
    // "Not recorded" never equals anything, itself included: it cannot be checked.
    if (a && b && *a == *b) return;
    out.push_back(name + ": " + a.value_or("not recorded") + " vs " + b.value_or("not recorded"));
}

template <class T>
T get_or(const YAML::Node& n, const char* key, T fallback) {
    const YAML::Node v = n[key];
    if (!v || v.IsNull()) return fallback;
    return v.as<T>();
}

}  // namespace

Result<FileFingerprint> fingerprint_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path, "cannot open the data file to fingerprint it");
    uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
    FileFingerprint fp;
    char buf[1 << 16];
    while (in) {
        in.read(buf, sizeof buf);
        const std::streamsize n = in.gcount();
        for (std::streamsize i = 0; i < n; ++i) {
            h ^= static_cast<unsigned char>(buf[i]);
            h *= 1099511628211ull;  // FNV 64 prime
        }
        fp.bytes += static_cast<int64_t>(n);
    }
    if (in.bad()) return make_error(path, "read error while fingerprinting the data file");
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    fp.hash = std::string("fnv1a64:") + hex;
    return fp;
}

SplitFingerprint split_fingerprint_from_config(const AppConfig& cfg) {
    SplitFingerprint s;
    s.seed = cfg.data.split_seed;
    s.train_ratio = cfg.data.train_ratio;
    s.val_ratio = cfg.data.val_ratio;
    s.test_ratio = cfg.data.test_ratio;
    s.stratify = cfg.data.stratify;
    s.format = cfg.data.format;
    s.data_path = cfg.data.path.empty() ? "" : resolve_path(cfg, cfg.data.path);
    return s;
}

std::string eval_fingerprint_yaml(const EvalFingerprint& fp) {
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << "evaluation" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "version" << YAML::Value << fp.version;
    const SplitFingerprint& s = fp.split;
    e << YAML::Key << "split" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "seed" << YAML::Value << s.seed;
    e << YAML::Key << "train_ratio" << YAML::Value << num(s.train_ratio);
    e << YAML::Key << "val_ratio" << YAML::Value << num(s.val_ratio);
    e << YAML::Key << "test_ratio" << YAML::Value << num(s.test_ratio);
    e << YAML::Key << "stratify" << YAML::Value << s.stratify;
    e << YAML::Key << "format" << YAML::Value << s.format;
    e << YAML::Key << "data_path" << YAML::Value << YAML::DoubleQuoted << s.data_path;
    e << YAML::Key << "data_hash" << YAML::Value << s.data_hash;
    e << YAML::Key << "data_bytes" << YAML::Value << s.data_bytes;
    e << YAML::Key << "rows" << YAML::Value << s.rows;
    e << YAML::Key << "test_items" << YAML::Value << s.test_items;
    e << YAML::EndMap;
    const GenerationFingerprint& g = fp.generation;
    e << YAML::Key << "generation" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "max_new_tokens" << YAML::Value << g.max_new_tokens;
    e << YAML::Key << "greedy" << YAML::Value << g.greedy;
    e << YAML::Key << "temperature" << YAML::Value << num(g.temperature);
    e << YAML::Key << "top_k" << YAML::Value << g.top_k;
    e << YAML::Key << "top_p" << YAML::Value << num(g.top_p);
    e << YAML::Key << "repetition_penalty" << YAML::Value << num(g.repetition_penalty);
    e << YAML::Key << "batch_size" << YAML::Value << g.batch_size;
    e << YAML::Key << "limit" << YAML::Value << g.limit;
    e << YAML::Key << "dtype" << YAML::Value << g.dtype;
    e << YAML::Key << "device" << YAML::Value << g.device;
    e << YAML::Key << "max_length" << YAML::Value << g.max_length;
    e << YAML::Key << "prompt_template" << YAML::Value << g.prompt_template;
    e << YAML::Key << "engine" << YAML::Value << g.engine;
    if (!g.quant.empty()) e << YAML::Key << "quant" << YAML::Value << g.quant;
    e << YAML::EndMap;
    e << YAML::EndMap << YAML::EndMap;
    return std::string("---\n") + e.c_str() + "\n";
}

std::string eval_run_config_yaml(const std::string& app_config_yaml, const EvalFingerprint& fp) {
    std::string out = app_config_yaml;
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out + eval_fingerprint_yaml(fp);
}

Result<EvalFingerprint> eval_fingerprint_from_run_yaml(const std::string& config_yaml) {
    if (config_yaml.find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error("evaluation run", "no settings recorded");
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(config_yaml);
    } catch (const YAML::Exception& e) {
        return make_error("evaluation run", "settings are not YAML: " + e.msg);
    }
    for (const YAML::Node& doc : docs) {
        if (!doc.IsMap() || !doc["evaluation"]) continue;
        const YAML::Node ev = doc["evaluation"];
        try {
            EvalFingerprint fp;
            fp.version = get_or<int>(ev, "version", 1);
            const YAML::Node s = ev["split"];
            const YAML::Node g = ev["generation"];
            if (!s.IsMap() || !g.IsMap())
                return make_error("evaluation run", "fingerprint without split/generation");
            fp.split.seed = get_or<int64_t>(s, "seed", 0);
            fp.split.train_ratio = get_or<double>(s, "train_ratio", 0);
            fp.split.val_ratio = get_or<double>(s, "val_ratio", 0);
            fp.split.test_ratio = get_or<double>(s, "test_ratio", 0);
            fp.split.stratify = get_or<bool>(s, "stratify", false);
            fp.split.format = get_or<std::string>(s, "format", "");
            fp.split.data_path = get_or<std::string>(s, "data_path", "");
            fp.split.data_hash = get_or<std::string>(s, "data_hash", "");
            fp.split.data_bytes = get_or<int64_t>(s, "data_bytes", -1);
            fp.split.rows = get_or<int64_t>(s, "rows", -1);
            fp.split.test_items = get_or<int64_t>(s, "test_items", -1);
            fp.generation.max_new_tokens = get_or<int64_t>(g, "max_new_tokens", 0);
            fp.generation.greedy = get_or<bool>(g, "greedy", true);
            fp.generation.temperature = get_or<double>(g, "temperature", 1.0);
            fp.generation.top_k = get_or<int64_t>(g, "top_k", 0);
            fp.generation.top_p = get_or<double>(g, "top_p", 1.0);
            fp.generation.repetition_penalty = get_or<double>(g, "repetition_penalty", 1.0);
            fp.generation.batch_size = get_or<int64_t>(g, "batch_size", 0);
            fp.generation.limit = get_or<int64_t>(g, "limit", -1);
            fp.generation.dtype = get_or<std::string>(g, "dtype", "");
            fp.generation.device = get_or<std::string>(g, "device", "");
            fp.generation.max_length = get_or<int64_t>(g, "max_length", 0);
            fp.generation.prompt_template = get_or<std::string>(g, "prompt_template", "");
            fp.generation.engine = get_or<std::string>(g, "engine", "eager");
            // quant evaluations recorded before the format was a setting ran q8_0, the only
            // format the engine could be asked for then.
            fp.generation.quant = get_or<std::string>(
                g, "quant", fp.generation.engine == "quant" ? "q8_0" : "");
            return fp;
        } catch (const YAML::Exception& e) {
            return make_error("evaluation run", "unreadable fingerprint: " + e.msg);
        }
    }
    // An evaluation recorded before fingerprints: what its AppConfig says.
    auto cfg = parse_app_config(config_yaml, "");
    if (!cfg.ok())
        return make_error("evaluation run", "settings unreadable: " + cfg.error().message);
    EvalFingerprint fp;
    fp.recorded = false;
    fp.split.seed = cfg->data.split_seed;
    fp.split.train_ratio = cfg->data.train_ratio;
    fp.split.val_ratio = cfg->data.val_ratio;
    fp.split.test_ratio = cfg->data.test_ratio;
    fp.split.stratify = cfg->data.stratify;
    fp.split.format = cfg->data.format;
    fp.split.data_path = cfg->data.path;
    fp.generation.max_new_tokens = cfg->eval.max_new_tokens;
    fp.generation.batch_size = cfg->eval.batch_size;
    fp.generation.limit = cfg->eval.limit;
    fp.generation.max_length = cfg->model.max_length;
    fp.generation.prompt_template = cfg->data.prompt_template;
    // Evaluations then were greedy with the sampler's defaults; the dtype and the item limit
    // actually used (the GUI passed its own) were not kept.
    return fp;
}

Comparability compare_evaluations(const EvalFingerprint& a, const EvalFingerprint& b) {
    Comparability c;
    auto& d = c.differences;
    const SplitFingerprint &sa = a.split, &sb = b.split;
    compare_field(d, "split seed", std::to_string(sa.seed), std::to_string(sb.seed));
    const bool same_ratios = ppb(sa.train_ratio) == ppb(sb.train_ratio) &&
                             ppb(sa.val_ratio) == ppb(sb.val_ratio) &&
                             ppb(sa.test_ratio) == ppb(sb.test_ratio);
    if (!same_ratios)
        d.push_back("split ratios: " + ratio_text(sa.train_ratio) + "/" + ratio_text(sa.val_ratio) +
                    "/" + ratio_text(sa.test_ratio) + " vs " + ratio_text(sb.train_ratio) + "/" +
                    ratio_text(sb.val_ratio) + "/" + ratio_text(sb.test_ratio));
    compare_field(d, "split stratify", sa.stratify ? "true" : "false",
                  sb.stratify ? "true" : "false");
    compare_field(d, "data format", sa.format, sb.format);
    compare_field(d, "data file hash", known_str(sa.data_hash), known_str(sb.data_hash));
    compare_field(d, "data rows", known_int(sa.rows), known_int(sb.rows));
    compare_field(d, "test items", known_int(sa.test_items), known_int(sb.test_items));

    const GenerationFingerprint &ga = a.generation, &gb = b.generation;
    compare_field(d, "max_new_tokens", std::to_string(ga.max_new_tokens),
                  std::to_string(gb.max_new_tokens));
    compare_field(d, "decoding", ga.greedy ? "greedy" : "sampling",
                  gb.greedy ? "greedy" : "sampling");
    if (!ga.greedy && !gb.greedy) {
        compare_field(d, "temperature", num(ga.temperature), num(gb.temperature));
        compare_field(d, "top_k", std::to_string(ga.top_k), std::to_string(gb.top_k));
        compare_field(d, "top_p", num(ga.top_p), num(gb.top_p));
    }
    compare_field(d, "repetition_penalty", num(ga.repetition_penalty), num(gb.repetition_penalty));
    compare_field(d, "dtype", known_str(ga.dtype), known_str(gb.dtype));
    compare_field(d, "max_length", std::to_string(ga.max_length), std::to_string(gb.max_length));
    compare_field(d, "prompt template", ga.prompt_template, gb.prompt_template);
    // quant generates with other (quantized) weights: a different measurement. eager and graph
    // differ in rounding only.
    const bool quant_a = ga.engine == "quant", quant_b = gb.engine == "quant";
    compare_field(quant_a != quant_b ? d : c.notes, "engine", ga.engine, gb.engine);
    if (quant_a && quant_b) compare_field(d, "quant format", ga.quant, gb.quant);

    // Batch composition and device change the floating-point rounding of the forward passes,
    // not what is measured: shown, not blocking.
    compare_field(c.notes, "generation batch size", known_int(ga.batch_size),
                  known_int(gb.batch_size));
    compare_field(c.notes, "device", known_str(ga.device), known_str(gb.device));
    c.comparable = d.empty();
    return c;
}

std::string describe_differences(const Comparability& c) {
    std::string out;
    for (const auto& s : c.differences) out += (out.empty() ? "" : "; ") + s;
    return out;
}

EvalFingerprint stored_fingerprint(const store::RunRecord& run) {
    auto fp = eval_fingerprint_from_run_yaml(run.config_yaml);
    if (fp.ok()) return fp.value();
    EvalFingerprint unknown;
    unknown.recorded = false;
    return unknown;
}

Result<std::vector<StoredComparison>> compare_with_stored(const store::Store& db,
                                                          int64_t reference_id) {
    TB_ASSIGN_OR_RETURN(std::optional<store::RunRecord> ref, db.get_run(reference_id));
    if (!ref || ref->kind != "eval")
        return make_error(db.path(), "no evaluation run with id " + std::to_string(reference_id));
    const EvalFingerprint ref_fp = stored_fingerprint(*ref);
    TB_ASSIGN_OR_RETURN(std::vector<store::RunRecord> runs, db.list_runs("eval"));
    std::vector<StoredComparison> out;
    for (const auto& run : runs) {
        if (run.id == reference_id) continue;
        TB_ASSIGN_OR_RETURN(std::vector<store::MetricAggregateRow> agg,
                            db.metric_aggregates(run.id));
        if (agg.empty()) continue;  // nothing to put beside it
        out.push_back({run.id, run.name, compare_evaluations(ref_fp, stored_fingerprint(run))});
    }
    return out;
}

}  // namespace tb::eval
