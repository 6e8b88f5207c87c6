#include "core/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "core/common/file_io.h"
#include "core/common/process_memory.h"
#include "core/common/torch_compat.h"
#include "core/data/data_config.h"
#include "core/infer/llama_io.h"
#include "core/model/safetensors.h"
#include "core/quant/qlora.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/checkpointing.h"
#include "core/train/fused_forward.h"
#include "core/train/fused_graph_step.h"
#include "core/train/run_checkpoint.h"
#include "core/train/train_store.h"

namespace tb {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* train_phase_name(TrainPhase p) {
    switch (p) {
        case TrainPhase::Loading:
            return "loading";
        case TrainPhase::Training:
            return "training";
        case TrainPhase::Evaluating:
            return "evaluating";
        case TrainPhase::Saving:
            return "saving";
        case TrainPhase::Paused:
            return "paused";
        case TrainPhase::Finished:
            return "finished";
        case TrainPhase::Cancelled:
            return "cancelled";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------
// Config -> params

Result<TrainParams> train_params_from_config(const AppConfig& cfg) {
    TrainParams p;
    p.model_dir = resolve_model_path(cfg);
    std::error_code ec;
    if (!fs::is_directory(p.model_dir, ec))
        return make_error("model.name", "'" + cfg.model.name +
                                            "' is not a local model folder (tunebench does not "
                                            "download models; point it at an HF folder)");
    if (cfg.data.path.empty()) return make_error("data.path", "no dataset file set in the config");
    p.data_path = resolve_path(cfg, cfg.data.path);
    TB_ASSIGN_OR_RETURN(p.read_options, read_options_from_config(cfg.data));
    p.split = split_options_from_config(cfg.data);
    TB_ASSIGN_OR_RETURN(p.prompt_template, parse_prompt_template(cfg.data.prompt_template));
    if (cfg.data.loss_on != "response" && cfg.data.loss_on != "all")
        return make_error("data.loss_on", "expected response or all");
    p.loss_on_response_only = cfg.data.loss_on == "response";
    p.packing = cfg.data.packing;
    p.max_length = cfg.model.max_length;

    p.lora.r = cfg.lora.r;
    p.lora.alpha = cfg.lora.alpha;
    p.lora.dropout = cfg.lora.dropout;
    p.lora.target_modules = cfg.lora.target_modules;
    p.lora.use_rslora = cfg.lora.use_rslora;
    p.lora.use_dora = cfg.lora.use_dora;
    p.lora.base_model_name_or_path = cfg.model.name;
    TB_ASSIGN_OR_RETURN(p.lora_init, parse_lora_init(cfg.lora.init));
    p.load_in_4bit = cfg.quant.load_in_4bit;
    if (cfg.quant.quant_type != "nf4")
        return make_error("quant.quant_type", "only nf4 is supported");
    p.nf4.blocksize = cfg.quant.blocksize;
    p.nf4.double_quant = cfg.quant.double_quant;
    p.quant_compute_dtype = cfg.quant.compute_dtype;

    const auto& t = cfg.training;
    p.epochs = t.epochs;
    p.batch_size = t.batch_size;
    p.gradient_accumulation_steps = t.gradient_accumulation_steps;
    p.learning_rate = t.learning_rate;
    p.optimizer = t.optimizer;
    p.adamw.weight_decay = t.weight_decay;
    p.max_grad_norm = t.max_grad_norm;
    TB_ASSIGN_OR_RETURN(p.schedule, parse_schedule(t.lr_scheduler));
    p.warmup_steps = t.warmup_steps;
    p.warmup_ratio = t.warmup_ratio;
    p.seed = static_cast<uint64_t>(t.seed);
    p.max_steps = t.max_steps;
    p.backend = t.backend;
    p.gradient_checkpointing = t.gradient_checkpointing;
    p.cuda_graphs = t.cuda_graphs;
    p.eval_steps = t.eval_steps;
    p.save_steps = t.save_steps;
    p.logging_steps = t.logging_steps;
    p.output_dir = resolve_path(cfg, t.output_dir);
    p.device = cfg.model.device;
    p.dtype = cfg.model.dtype;
    // training.bf16 (bf16 compute on CUDA) is what model.dtype auto already does on CUDA; the
    // reference backend computes in the model dtype, so there is no separate autocast switch.
    p.config_yaml = app_config_to_yaml(cfg);
    return p;
}

// ---------------------------------------------------------------------------------------
// Helpers

namespace {

Status validate_params(const TrainParams& p) {
    if (p.backend != "reference" && p.backend != "fused")
        return make_error("training.backend",
                          "unknown backend '" + p.backend + "' (expected reference or fused)");
    if (p.backend == "fused" && p.lora.use_dora)
        return make_error("lora.use_dora",
                          "DoRA is not supported by the fused backend; use backend: reference");
    if (p.cuda_graphs && p.backend != "fused")
        return make_error("training.cuda_graphs", "needs backend: fused");
    if (p.cuda_graphs && p.packing)
        return make_error("training.cuda_graphs",
                          "does not support data.packing yet (the attention mask is built per "
                          "batch); turn one of them off");
    if (p.optimizer != "adamw" && p.optimizer != "adamw_8bit" && p.optimizer != "paged_adamw_8bit")
        return make_error("training.optimizer", "unknown optimizer '" + p.optimizer +
                                                    "' (expected adamw, adamw_8bit or "
                                                    "paged_adamw_8bit)");
    if (p.model_dir.empty()) return make_error("model.name", "no model folder");
    if (p.data_path.empty()) return make_error("data.path", "no dataset file");
    if (p.epochs < 1) return make_error("training.epochs", "must be >= 1");
    if (p.batch_size < 1) return make_error("training.batch_size", "must be >= 1");
    if (p.gradient_accumulation_steps < 1)
        return make_error("training.gradient_accumulation_steps", "must be >= 1");
    if (!(p.learning_rate > 0)) return make_error("training.learning_rate", "must be > 0");
    if (p.max_length < 2) return make_error("model.max_length", "must be >= 2");
    if (p.logging_steps < 1) return make_error("training.logging_steps", "must be >= 1");
    if (p.eval_steps < 0) return make_error("training.eval_steps", "must be >= 0");
    if (p.save_steps < 0) return make_error("training.save_steps", "must be >= 0");
    if (p.lora.dropout < 0 || p.lora.dropout >= 1)
        return make_error("lora.dropout", "must be in [0, 1)");
    return Status::Ok();
}

Result<at::Device> resolve_device(const std::string& name) {
    if (name == "auto" || name.empty())
        return compat::cuda_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    auto d = parse_device(name);
    if (!d.ok()) return make_error("model.device", d.error().message);
    return d.value();
}

Result<at::ScalarType> resolve_dtype(const std::string& name, at::Device device) {
    if (name == "auto" || name.empty()) return device.is_cuda() ? at::kBFloat16 : at::kFloat;
    auto d = parse_dtype(name);
    if (!d.ok()) return make_error("model.dtype", d.error().message);
    return d.value();
}

struct Memory {
    int64_t current = 0, reserved = 0, peak = 0;
};

Memory memory_now(at::Device device) {
    Memory m;
    if (device.is_cuda()) {
        if (auto cm = compat::cuda_memory(device.has_index() ? device.index() : 0)) {
            m.current = cm->allocated;
            m.reserved = cm->reserved;
            m.peak = cm->peak_allocated;
            return m;
        }
    }
    m.current = process_rss_bytes();
    m.peak = process_peak_rss_bytes();
    return m;
}

std::string timestamp_name() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
    return buf;
}

Result<std::string> make_run_dir(const TrainParams& p) {
    std::error_code ec;
    if (!p.run_dir.empty()) {
        fs::create_directories(p.run_dir, ec);
        if (ec) return make_error(p.run_dir, "cannot create: " + ec.message());
        return p.run_dir;
    }
    const fs::path parent = fs::path(p.output_dir) / p.backend;
    fs::create_directories(parent, ec);
    if (ec) return make_error(parent.string(), "cannot create: " + ec.message());
    const std::string base = timestamp_name();
    for (int i = 0; i < 1000; ++i) {
        fs::path d = parent / (i == 0 ? base : base + "_" + std::to_string(i));
        // create_directory is atomic: two runs started in the same second get different dirs.
        if (fs::create_directory(d, ec)) return d.string();
        if (ec) return make_error(d.string(), "cannot create: " + ec.message());
    }
    return make_error(parent.string(), "cannot find a free run directory name");
}

std::string canonical(const std::string& path) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(path, ec);
    return ec ? path : c.string();
}

// The settings a checkpoint must agree with to be resumed bit for bit.
json fingerprint(const TrainParams& p, at::ScalarType dtype, int64_t total_steps, int64_t warmup) {
    return json{
        {"model_dir", canonical(p.model_dir)},
        {"data_path", canonical(p.data_path)},
        {"data_format", data_format_name(p.read_options.format)},
        {"skip_bad_rows", p.read_options.skip_bad_rows},
        {"split", {p.split.ratios.train, p.split.ratios.val, p.split.ratios.test}},
        {"split_seed", p.split.seed},
        {"stratify", p.split.stratify},
        {"prompt_template", p.prompt_template == PromptTemplate::Chat ? "chat" : "instruction"},
        {"loss_on_response_only", p.loss_on_response_only},
        {"packing", p.packing},
        {"max_length", p.max_length},
        {"lora_r", p.lora.r},
        {"lora_alpha", p.lora.alpha},
        {"lora_dropout", p.lora.dropout},
        {"lora_target_modules", p.lora.target_modules},
        {"use_rslora", p.lora.use_rslora},
        {"use_dora", p.lora.use_dora},
        {"batch_size", p.batch_size},
        {"gradient_accumulation_steps", p.gradient_accumulation_steps},
        {"learning_rate", p.learning_rate},
        {"betas", {p.adamw.beta1, p.adamw.beta2}},
        {"eps", p.adamw.eps},
        {"weight_decay", p.adamw.weight_decay},
        {"max_grad_norm", p.max_grad_norm},
        {"schedule", static_cast<int>(p.schedule)},
        {"warmup_steps", warmup},
        {"total_steps", total_steps},
        {"seed", p.seed},
        {"dtype", dtype_name(dtype)},
        {"backend", p.backend},
        {"optimizer", p.optimizer},
        {"load_in_4bit", p.load_in_4bit},
        {"nf4_blocksize", p.load_in_4bit ? p.nf4.blocksize : 0},
        {"double_quant", p.load_in_4bit && p.nf4.double_quant},
        {"quant_compute_dtype", p.load_in_4bit ? p.quant_compute_dtype : ""},
    };
}

json params_json(const TrainParams& p) {
    json j = fingerprint(p, at::kFloat, 0, 0);
    j.erase("dtype");
    j.erase("total_steps");
    j.erase("warmup_steps");
    j["epochs"] = p.epochs;
    j["warmup_steps"] = p.warmup_steps;
    j["warmup_ratio"] = p.warmup_ratio;
    j["max_steps"] = p.max_steps;
    j["device"] = p.device;
    j["dtype"] = p.dtype;
    j["gradient_checkpointing"] = p.gradient_checkpointing;
    j["cuda_graphs"] = p.cuda_graphs;
    j["eval_steps"] = p.eval_steps;
    j["save_steps"] = p.save_steps;
    j["logging_steps"] = p.logging_steps;
    j["lora_init"] = p.lora_init == LoraInit::Kaiming ? "default" : "gaussian";
    return j;
}

StTensorOut u8_tensor(const std::string& name, const at::Tensor& t) {
    at::Tensor c = t.to(at::kCPU).contiguous();
    StTensorOut o;
    o.name = name;
    o.dtype = StDType::U8;
    o.shape = {c.numel()};
    o.data.assign(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()),
                  static_cast<size_t>(c.numel()));
    return o;
}

Result<RngSnapshot> load_rng(const std::string& path) {
    TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(path));
    RngSnapshot s;
    // Generator states are raw bytes: anything but U8 would be read past its data.
    auto get = [&](const char* name) -> Result<at::Tensor> {
        const StTensorView* v = file->find(name);
        if (!v) return at::Tensor();
        TB_TRY_STATUS(st_check_tensor(path, *v, {StDType::U8}));
        return at::from_blob(const_cast<uint8_t*>(v->data), v->shape, at::kByte).clone();
    };
    TB_ASSIGN_OR_RETURN(s.cpu, get("cpu"));
    TB_ASSIGN_OR_RETURN(s.cuda, get("cuda"));
    if (!s.cpu.defined()) return make_error(path, "cpu: missing generator state");
    return s;
}

Result<json> read_json(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    try {
        return json::parse(text);
    } catch (const std::exception& e) {
        return make_error(path, std::string("invalid JSON: ") + e.what());
    }
}

// A checkpoint is usable when its state parses and every tensor file opens (the safetensors
// reader validates header, offsets and sizes).
Status validate_checkpoint(const std::string& dir) {
    const fs::path d(dir);
    TB_ASSIGN_OR_RETURN(json st, read_json((d / "trainer_state.json").string()));
    if (!st.is_object() || st.value("format", "") != "tunebench-trainer-state" ||
        !st.contains("step"))
        return make_error((d / "trainer_state.json").string(), "not a tunebench trainer state");
    for (const char* f :
         {"adapter/adapter_model.safetensors", "optimizer.safetensors", "rng_state.safetensors"}) {
        auto file = SafetensorsFile::open((d / f).string());
        if (!file.ok()) return file.error();
    }
    auto cfg = read_json((d / "adapter/adapter_config.json").string());
    if (!cfg.ok()) return cfg.error();
    return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Run identity (see trainer.h, "Which folder a resumed run writes to")

constexpr const char* kRunFile = "run.json";

// "a/b/" -> "a/b": a trailing slash (tab completion) must not change what a path names.
std::string without_trailing_separators(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

std::string new_run_id() {
    std::random_device rd;
    const uint64_t t =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    const uint64_t v = ((static_cast<uint64_t>(rd()) << 32) | rd()) ^ t ^
                       (static_cast<uint64_t>(::getpid()) << 48);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The run id in <dir>/run.json; empty when there is none or it does not parse.
std::string run_id_of(const std::string& dir) {
    if (dir.empty()) return "";
    auto j = read_json((fs::path(dir) / kRunFile).string());
    if (!j.ok() || !j.value().is_object() || !j.value().contains("run_id") ||
        !j.value()["run_id"].is_string())
        return "";
    return j.value()["run_id"].get<std::string>();
}

Status write_run_file(const std::string& run_dir, const std::string& run_id, const json& fp) {
    const json j{
        {"format", "tunebench-run"}, {"version", 1}, {"run_id", run_id}, {"fingerprint", fp}};
    return write_file_atomic((fs::path(run_dir) / kRunFile).string(), j.dump(1) + "\n");
}

// Every field of the current settings' fingerprint must equal the saved one.
Status check_fingerprint(const json& saved, const json& fp, const std::string& where,
                         const std::string& made = "the checkpoint was made") {
    for (auto it = fp.begin(); it != fp.end(); ++it) {
        if (!saved.is_object() || !saved.contains(it.key()) || saved[it.key()] != it.value())
            return make_error(where, "fingerprint." + it.key() + ": " + made + " with " +
                                         (saved.is_object() && saved.contains(it.key())
                                              ? saved[it.key()].dump()
                                              : std::string("(absent)")) +
                                         ", the current settings give " + it.value().dump() +
                                         "; resume needs the same settings");
    }
    return Status::Ok();
}

struct ResumePlan {
    std::string checkpoint;       // empty: the run has no checkpoint yet (restart at step 0)
    std::string run_dir;          // empty: continue in a new run folder
    std::string run_id;           // run_dir's id; empty: run_dir needs a run.json (new id)
    json state = json::object();  // the checkpoint's trainer_state.json
    std::vector<std::string> warnings;
};

Result<ResumePlan> plan_resume(const std::string& from, const json& fp) {
    ResumePlan plan;
    const std::string path = canonical(without_trailing_separators(from));
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return make_error(from, "not a directory");
    // A run killed before its first checkpoint: nothing to restore, so it restarts from step
    // 0 (the seeded initialisation) in its own folder, with the settings it was started with.
    const std::string own_id = run_id_of(path);
    if (!own_id.empty() &&
        list_checkpoint_dirs((fs::path(path) / "checkpoints").string()).empty()) {
        const std::string rp = (fs::path(path) / kRunFile).string();
        // A short run that finished before its first save has nothing left to resume.
        if (fs::exists(fs::path(path) / "training_stats.json", ec))
            return make_error(from,
                              "the run has finished (training_stats.json) and has no "
                              "checkpoint to resume from");
        TB_ASSIGN_OR_RETURN(json run, read_json(rp));
        TB_TRY_STATUS(
            check_fingerprint(run.value("fingerprint", json()), fp, rp, "the run was started"));
        plan.run_dir = path;
        plan.run_id = own_id;
        return plan;
    }
    TB_ASSIGN_OR_RETURN(std::string ck,
                        resolve_checkpoint(path, validate_checkpoint, &plan.warnings));
    plan.checkpoint = canonical(without_trailing_separators(ck));
    const std::string sp = (fs::path(plan.checkpoint) / "trainer_state.json").string();
    TB_ASSIGN_OR_RETURN(plan.state, read_json(sp));
    TB_TRY_STATUS(check_fingerprint(plan.state.value("fingerprint", json()), fp, sp));
    const fs::path around = fs::path(plan.checkpoint).parent_path().parent_path();
    const std::string id = plan.state.value("run_id", std::string());
    if (!id.empty()) {
        // The run folder around the checkpoint first (a copied run folder continues in the
        // copy), then the folder the checkpoint was written in (a checkpoint kept elsewhere).
        const std::string recorded = plan.state.value("run_dir", std::string());
        for (const std::string& cand : {around.string(), recorded}) {
            if (run_id_of(cand) == id) {
                plan.run_dir = cand;
                plan.run_id = id;
                return plan;
            }
        }
        plan.warnings.push_back("the run folder of " + plan.checkpoint + " (" +
                                (recorded.empty() ? std::string("not recorded") : recorded) +
                                ") is gone or holds another run; continuing in a new run folder");
        return plan;
    }
    // Checkpoints written before run ids: the folder around the checkpoint when it is a run
    // folder (the checkpoint sits in its checkpoints/ next to its training log).
    if (fs::path(plan.checkpoint).parent_path().filename() == "checkpoints" &&
        fs::exists(around / "training_log.jsonl", ec)) {
        plan.run_dir = around.string();
        return plan;
    }
    plan.warnings.push_back(plan.checkpoint +
                            " is not inside a run folder and does not record its own; "
                            "continuing in a new run folder");
    return plan;
}

struct EvalResult {
    double loss = 0.0;
    double ppl = 0.0;
    int64_t tokens = 0;
};

// The micro-batch loss of the configured backend (same function, different kernels).
at::Tensor backend_loss(bool fused, const LlamaModel& model, const Batch& b, double divisor,
                        bool training, bool checkpointing) {
    return fused ? fused_micro_batch_loss(model, b.input_ids, b.position_ids, b.attention_mask,
                                          b.labels, divisor, training, checkpointing, b.segment_ids)
                 : micro_batch_loss(model, b.input_ids, b.position_ids, b.attention_mask, b.labels,
                                    divisor, training, checkpointing, b.segment_ids);
}

// nullopt when `cancel` was set part-way (a partial evaluation is never reported).
std::optional<EvalResult> evaluate(const LlamaModel& model, const std::vector<TokenizedRow>& rows,
                                   int64_t batch_size, int64_t pad_id, bool fused,
                                   const CancelToken* cancel) {
    torch::NoGradGuard no_grad;
    double sum = 0.0;
    int64_t tokens = 0;
    std::vector<size_t> order(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) order[i] = i;
    const int64_t n_batches = micro_batches_per_epoch(rows.size(), batch_size);
    for (int64_t b = 0; b < n_batches; ++b) {
        if (cancel && cancel->cancelled()) return std::nullopt;
        Batch batch = collate(micro_batch_rows(rows, order, batch_size, b), pad_id, model.device);
        if (batch.loss_tokens == 0) continue;
        at::Tensor s = backend_loss(fused, model, batch, 1.0, /*training=*/false,
                                    /*checkpointing=*/false);
        sum += s.item<double>();
        tokens += batch.loss_tokens;
    }
    EvalResult r;
    r.tokens = tokens;
    r.loss = tokens > 0 ? sum / static_cast<double>(tokens) : 0.0;
    r.ppl = std::exp(r.loss);
    return r;
}

// Keeps the records of steps <= `step` (a resumed run rewrites what comes after).
Status trim_log(const std::string& path, int64_t step) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::Ok();
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::istringstream in(text);
    std::string line, kept;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        try {
            json j = json::parse(line);
            if (j.value("step", int64_t{0}) <= step) kept += line + "\n";
        } catch (const std::exception&) {
            // A line cut short by a kill: dropped.
        }
    }
    return write_file_atomic(path, kept);
}

Status copy_tokenizer_files(const std::string& from, const std::string& to) {
    for (const char* f : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                          "special_tokens_map.json", "added_tokens.json", "chat_template.jinja"}) {
        const fs::path src = fs::path(from) / f;
        std::error_code ec;
        if (!fs::exists(src, ec)) continue;
        fs::copy_file(src, fs::path(to) / f, fs::copy_options::overwrite_existing, ec);
        if (ec) return make_error(src.string(), "cannot copy to " + to + ": " + ec.message());
    }
    return Status::Ok();
}

at::ScalarType save_dtype_of(const LlamaConfig& cfg) {
    if (cfg.dtype == "bfloat16") return at::kBFloat16;
    if (cfg.dtype == "float16") return at::kHalf;
    return at::kFloat;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The loop

Result<TrainResult> run_training(const TrainParams& params, const ProgressCallback& progress,
                                 const CancelToken& cancel, const PauseToken* pause) {
    const auto t_start = Clock::now();
    TB_TRY_STATUS(validate_params(params));
    TrainStoreLog store_log;  // marks the run failed if we return with an error
    TB_TRY_STATUS(store_log.open(params.store_path));
    TrainProgress prog;
    auto report = [&](TrainPhase phase, const std::string& message) {
        prog.phase = phase;
        prog.message = message;
        if (progress) progress(prog);
        prog.eval_loss.reset();
        prog.eval_ppl.reset();
    };
    // A busy store queues the log rows (train_store.h): the user hears of it, training goes on.
    // (A copy of the progress: the step's own report must keep its eval values.)
    store_log.on_warning = [&](const std::string& w) {
        if (!progress) return;
        TrainProgress p = prog;
        p.message = "warning: " + w;
        progress(p);
    };
    report(TrainPhase::Loading, "resolving device");
    TB_ASSIGN_OR_RETURN(at::Device device, resolve_device(params.device));
    TB_ASSIGN_OR_RETURN(at::ScalarType dtype, resolve_dtype(params.dtype, device));
    if (params.cuda_graphs && !device.is_cuda())
        return make_error("training.cuda_graphs",
                          "needs a CUDA device (model.device is " + device.str() + ")");
    int64_t result_weight_bytes = 0;
    // A cancel before the run folder is made: nothing was written; a resumed run's folder and
    // checkpoint are named so the caller can say how to resume.
    std::optional<ResumePlan> plan;
    auto cancelled_while_loading = [&]() -> Result<TrainResult> {
        TrainResult r;
        r.cancelled = true;
        if (plan) {
            r.run_dir = plan->run_dir;
            r.last_checkpoint = plan->checkpoint;
            r.steps = plan->state.value("step", int64_t{0});
            r.warnings = plan->warnings;
        }
        r.total_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
        report(TrainPhase::Cancelled, "cancelled while loading; nothing was written");
        return r;
    };
    if (cancel.cancelled()) return cancelled_while_loading();

    // --- data
    report(TrainPhase::Loading, "loading tokenizer");
    TB_ASSIGN_OR_RETURN(std::shared_ptr<Tokenizer> tok, Tokenizer::load(params.model_dir));
    if (cancel.cancelled()) return cancelled_while_loading();
    report(TrainPhase::Loading, "loading dataset");
    TB_ASSIGN_OR_RETURN(Dataset dataset, load_dataset(params.data_path, params.read_options));
    if (cancel.cancelled()) return cancelled_while_loading();
    TB_ASSIGN_OR_RETURN(DatasetSplit split, split_dataset(dataset.examples, params.split));
    TokenizeOptions topt;
    topt.max_length = params.max_length;
    topt.prompt_template = params.prompt_template;
    topt.loss_on_response_only = params.loss_on_response_only;
    topt.source = params.data_path;
    report(TrainPhase::Loading, "tokenizing");
    auto train_r = tokenize_examples(dataset.examples, split.train, *tok, topt, &cancel);
    if (cancel.cancelled()) return cancelled_while_loading();
    if (!train_r.ok()) return make_error(params.data_path, train_r.error().message);
    TokenizedSet train_set = std::move(train_r).value();
    auto val_r = tokenize_examples(dataset.examples, split.val, *tok, topt, &cancel);
    if (cancel.cancelled()) return cancelled_while_loading();
    if (!val_r.ok()) return make_error(params.data_path, val_r.error().message);
    TokenizedSet val_set = std::move(val_r).value();
    for (const TokenizedSet* set : {&train_set, &val_set})
        for (const std::string& note : set->notes) report(TrainPhase::Loading, "note: " + note);
    std::vector<TokenizedRow> train_rows =
        params.packing ? pack_rows(train_set.rows, params.max_length) : std::move(train_set.rows);
    if (train_rows.empty())
        return make_error(params.data_path, "no training rows with response tokens");
    int64_t pad_id = tok->pad_id();
    if (pad_id < 0) pad_id = tok->eos_id() >= 0 ? tok->eos_id() : 0;

    // --- plan
    const int64_t mb_per_epoch = micro_batches_per_epoch(train_rows.size(), params.batch_size);
    const int64_t accum = params.gradient_accumulation_steps;
    const int64_t steps_per_epoch = (mb_per_epoch + accum - 1) / accum;
    const int64_t total_steps =
        params.max_steps > 0 ? params.max_steps : params.epochs * steps_per_epoch;
    Schedule sched;
    sched.kind = params.schedule;
    sched.base_lr = params.learning_rate;
    sched.total_steps = total_steps;
    sched.warmup_steps = warmup_steps_for(params.warmup_steps, params.warmup_ratio, total_steps);
    const json fp = fingerprint(params, dtype, total_steps, sched.warmup_steps);

    // --- checkpoint to resume from, and the run folder it belongs to
    const bool resuming = !params.resume_from.empty();
    if (resuming) {
        TB_ASSIGN_OR_RETURN(plan, plan_resume(params.resume_from, fp));
        for (const auto& w : plan->warnings) report(TrainPhase::Loading, "warning: " + w);
    }
    const std::string resume_dir = plan ? plan->checkpoint : std::string();
    const json resume_state = plan ? plan->state : json::object();
    if (cancel.cancelled()) return cancelled_while_loading();

    // --- model
    report(TrainPhase::Loading, "loading model");
    LoadOptions lo;
    lo.dtype = dtype;
    lo.device = device;
    lo.cancel = &cancel;
    auto model_r = load_llama_model(params.model_dir, lo);
    if (cancel.cancelled()) return cancelled_while_loading();
    if (!model_r.ok()) return model_r.error();
    LlamaModel model = std::move(model_r).value();
    std::optional<QuantReport> quant_report;
    if (params.load_in_4bit) {
        report(TrainPhase::Loading, "quantizing base weights to NF4");
        QuantOptions qo;
        qo.nf4 = params.nf4;
        if (params.quant_compute_dtype != "auto") {
            auto cd = parse_dtype(params.quant_compute_dtype);
            if (!cd.ok()) return make_error("quant.compute_dtype", cd.error().message);
            qo.compute_dtype = cd.value();
        }
        auto qr = quantize_model_base(model, qo);
        if (!qr.ok()) return make_error("quant", qr.error().message);
        quant_report = qr.value();
    }
    if (cancel.cancelled()) return cancelled_while_loading();
    result_weight_bytes = model_weight_bytes(model);
    if (!resume_dir.empty()) {
        TB_TRY_STATUS(apply_peft_adapter(model, (fs::path(resume_dir) / "adapter").string()));
        make_lora_trainable(model);
    } else {
        TB_TRY_STATUS(inject_lora(model, params.lora, params.seed, params.lora_init));
    }
    std::vector<NamedParameter> trainable = lora_parameters(model);
    TB_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer_ptr,
                        make_optimizer(params.optimizer, trainable, params.adamw));
    Optimizer& optimizer = *optimizer_ptr;
    int64_t start_step = 0;
    double prev_train_seconds = 0.0;
    if (!resume_dir.empty()) {
        TB_TRY_STATUS(optimizer.load((fs::path(resume_dir) / "optimizer.safetensors").string()));
        start_step = resume_state.value("step", int64_t{0});
        prev_train_seconds = resume_state.value("train_seconds", 0.0);
        if (optimizer.steps() != start_step)
            return make_error(resume_dir, "optimizer step " + std::to_string(optimizer.steps()) +
                                              " does not match trainer step " +
                                              std::to_string(start_step));
    }
    // Dropout draws from the default generators; seeded here so runs are reproducible. A
    // resumed run then continues from the saved generator states (a checkpoint made on the
    // CPU has no CUDA state: the CUDA generator keeps the seed).
    torch::manual_seed(params.seed);
    if (!resume_dir.empty()) {
        TB_ASSIGN_OR_RETURN(RngSnapshot rng,
                            load_rng((fs::path(resume_dir) / "rng_state.safetensors").string()));
        restore_rng(rng, device);
    }
    if (device.is_cuda()) compat::cuda_reset_peak(device.has_index() ? device.index() : 0);
    if (cancel.cancelled()) return cancelled_while_loading();

    // --- run directory: the resumed run's own (plan_resume), or a new one
    std::string run_dir = plan ? plan->run_dir : std::string();
    if (run_dir.empty()) {
        TB_ASSIGN_OR_RETURN(run_dir, make_run_dir(params));
    }
    std::string run_id = plan ? plan->run_id : std::string();
    if (run_id.empty()) {
        run_id = new_run_id();
        TB_TRY_STATUS(write_run_file(run_dir, run_id, fp));
    }
    (void)remove_stale_temp_files(run_dir);  // *.tmp.<pid> of a killed earlier session
    const std::string ck_dir = (fs::path(run_dir) / "checkpoints").string();
    const std::string log_path = (fs::path(run_dir) / "training_log.jsonl").string();
    if (!resume_dir.empty()) {
        TB_TRY_STATUS(trim_log(log_path, start_step));
    } else {
        TB_TRY_STATUS(write_file_atomic(log_path, ""));
    }
    std::ofstream log(log_path, std::ios::app);
    if (!log) return make_error(log_path, "cannot open for appending");
    TB_TRY_STATUS(store_log.begin(params, run_dir, log_path, resuming));
    auto write_record = [&](const json& j) {
        log << j.dump() << "\n";
        log.flush();
        store_log.record(j);
    };

    TrainResult result;
    result.run_dir = run_dir;
    if (plan) result.warnings = plan->warnings;
    result.total_steps = total_steps;
    result.truncated_rows = static_cast<int64_t>(train_set.truncated);
    result.dropped_rows = static_cast<int64_t>(train_set.dropped_no_target);
    result.model_weight_bytes = result_weight_bytes;
    prog.total_steps = total_steps;
    prog.step = start_step;
    prog.epoch = static_cast<double>(start_step) / static_cast<double>(steps_per_epoch);

    const int64_t eval_bs = params.eval_batch_size > 0 ? params.eval_batch_size : params.batch_size;
    std::optional<double> last_eval_loss, last_eval_ppl;
    auto run_eval = [&](int64_t step) {
        if (val_set.rows.empty()) return;
        report(TrainPhase::Evaluating, "validation split");
        // The final evaluation completes (the run is finishing); earlier ones stop at a cancel
        // and are not recorded, and the loop then stops at the next step boundary.
        std::optional<EvalResult> ev =
            evaluate(model, val_set.rows, eval_bs, pad_id, params.backend == "fused",
                     step < total_steps ? &cancel : nullptr);
        if (!ev) return;
        const EvalResult& e = *ev;
        last_eval_loss = e.loss;
        last_eval_ppl = e.ppl;
        prog.eval_loss = e.loss;
        prog.eval_ppl = e.ppl;
        write_record(json{{"step", step},
                          {"epoch", prog.epoch},
                          {"eval_loss", e.loss},
                          {"eval_ppl", e.ppl},
                          {"eval_tokens", e.tokens}});
    };

    // --- CUDA graph mode (fused_graph_step.h): replays accumulate the unscaled summed loss's
    // gradients; the step's 1/loss-tokens is applied afterwards in fp32 (the same gradient as
    // dividing every loss, without baking a per-step divisor into the graph).
    FusedGraphMicroStep graph_step;

    int64_t tokens_seen = resume_state.value("tokens_seen", int64_t{0});
    int64_t samples_seen = resume_state.value("samples_seen", int64_t{0});
    double train_seconds = 0.0;  // this process
    int64_t tokens_here = 0, samples_here = 0, steps_here = 0;
    double loss_sum_here = 0.0;
    // train_loss over the whole run: the sums continue from the checkpoint, in step order, so a
    // resumed run reports the uninterrupted run's value bit for bit.
    double loss_sum_run = resume_state.value("loss_sum", 0.0);
    int64_t loss_steps_run = resume_state.value("loss_steps", int64_t{0});
    // Step 0 is the seeded initialisation, recreated by any resume: never saved.
    int64_t last_saved_step = start_step;

    auto save_checkpoint = [&](int64_t step) -> Status {
        report(TrainPhase::Saving, "checkpoint " + checkpoint_dir_name(step));
        const int64_t epoch = step / steps_per_epoch;
        const int64_t next_mb = (step % steps_per_epoch) * accum;
        auto fill = [&](const std::string& dir) -> Status {
            LoraSettings s = params.lora;
            s.base_model_name_or_path = params.lora.base_model_name_or_path.empty()
                                            ? params.model_dir
                                            : params.lora.base_model_name_or_path;
            TB_TRY_STATUS(save_peft_adapter(model, s, (fs::path(dir) / "adapter").string()));
            TB_TRY_STATUS(optimizer.save((fs::path(dir) / "optimizer.safetensors").string()));
            RngSnapshot rng = capture_rng(device);
            std::vector<StTensorOut> rt{u8_tensor("cpu", rng.cpu)};
            if (rng.cuda.defined()) rt.push_back(u8_tensor("cuda", rng.cuda));
            TB_TRY_STATUS(write_safetensors((fs::path(dir) / "rng_state.safetensors").string(), rt,
                                            {{"format", "tunebench-rng"}}));
            json st{{"format", "tunebench-trainer-state"},
                    {"version", 1},
                    {"step", step},
                    {"total_steps", total_steps},
                    {"epoch", epoch},
                    {"next_micro_batch", next_mb},
                    {"micro_batches_per_epoch", mb_per_epoch},
                    {"steps_per_epoch", steps_per_epoch},
                    {"train_rows", train_rows.size()},
                    {"tokens_seen", tokens_seen},
                    {"samples_seen", samples_seen},
                    {"train_seconds", prev_train_seconds + train_seconds},
                    {"loss_sum", loss_sum_run},
                    {"loss_steps", loss_steps_run},
                    {"run_id", run_id},
                    {"run_dir", canonical(run_dir)},
                    {"fingerprint", fp}};
            return write_file_atomic((fs::path(dir) / "trainer_state.json").string(),
                                     st.dump(1) + "\n");
        };
        TB_ASSIGN_OR_RETURN(std::string written,
                            write_checkpoint_dir(ck_dir, step, fill, params.save_total_limit));
        result.last_checkpoint = written;
        last_saved_step = step;
        return Status::Ok();
    };

    if (params.eval_on_start && start_step == 0) run_eval(0);

    std::vector<size_t> order;
    int64_t order_epoch = -1;
    int64_t peak_mem = 0;
    bool cancelled = false;
    for (int64_t step = start_step; step < total_steps; ++step) {
        if (pause && pause->paused()) {
            report(TrainPhase::Paused, "paused");
            while (pause->paused() && !cancel.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (cancel.cancelled()) {
            cancelled = true;
            break;
        }
        const int64_t epoch = step / steps_per_epoch;
        const int64_t j = step % steps_per_epoch;
        if (epoch != order_epoch) {
            order = epoch_order(train_rows.size(), params.seed, epoch);
            order_epoch = epoch;
        }
        const int64_t mb_begin = j * accum;
        const int64_t mb_end = std::min(mb_per_epoch, mb_begin + accum);
        std::vector<std::vector<const TokenizedRow*>> groups;
        int64_t step_loss_tokens = 0;
        for (int64_t mb = mb_begin; mb < mb_end; ++mb) {
            groups.push_back(micro_batch_rows(train_rows, order, params.batch_size, mb));
            for (const auto* r : groups.back()) step_loss_tokens += loss_tokens(*r);
        }
        const auto t_step = Clock::now();
        double step_loss = 0.0;
        int64_t step_tokens = 0, step_rows = 0;
        for (const auto& rows : groups) {
            if (params.cuda_graphs) {
                Batch b = collate(rows, pad_id, device, params.batch_size, params.max_length);
                auto sum = graph_step.run(model, b, 1.0, params.gradient_checkpointing, trainable);
                if (!sum.ok()) return make_error("training.cuda_graphs", sum.error().message);
                step_loss +=
                    sum.value() / static_cast<double>(std::max<int64_t>(step_loss_tokens, 1));
                step_tokens += b.tokens;
                step_rows += b.rows;
                continue;
            }
            Batch b = collate(rows, pad_id, device);
            at::Tensor loss = backend_loss(params.backend == "fused", model, b,
                                           static_cast<double>(step_loss_tokens),
                                           /*training=*/true, params.gradient_checkpointing);
            loss.backward();
            step_loss += loss.item<double>();
            step_tokens += b.tokens;
            step_rows += b.rows;
        }
        if (params.cuda_graphs && step_loss_tokens > 0)
            at::_foreach_mul_(graph_step.grads(), 1.0 / static_cast<double>(step_loss_tokens));
        const double grad_norm = clip_grad_norm(trainable, params.max_grad_norm);
        const double lr = sched.lr(step);
        TB_TRY_STATUS(optimizer.step(lr));
        if (params.cuda_graphs)
            graph_step.zero_grads();
        else
            optimizer.zero_grad();
        if (device.is_cuda()) compat::cuda_synchronize();
        const double dt = std::chrono::duration<double>(Clock::now() - t_step).count();

        train_seconds += dt;
        tokens_here += step_tokens;
        samples_here += step_rows;
        tokens_seen += step_tokens;
        samples_seen += step_rows;
        ++steps_here;
        loss_sum_here += step_loss;
        loss_sum_run += step_loss;
        ++loss_steps_run;
        const int64_t done = step + 1;
        Memory mem = memory_now(device);
        peak_mem = std::max({peak_mem, mem.peak, mem.current});
        prog.step = done;
        prog.epoch = static_cast<double>(done) / static_cast<double>(steps_per_epoch);
        prog.loss = step_loss;
        prog.lr = lr;
        prog.grad_norm = grad_norm;
        prog.tokens_per_s = static_cast<double>(tokens_here) / train_seconds;
        prog.samples_per_s = static_cast<double>(samples_here) / train_seconds;
        prog.memory_bytes = mem.current;
        prog.memory_reserved_bytes = mem.reserved;
        prog.peak_memory_bytes = peak_mem;
        prog.elapsed_s = prev_train_seconds + train_seconds;
        prog.eta_s = train_seconds / static_cast<double>(steps_here) *
                     static_cast<double>(total_steps - done);
        result.final_loss = step_loss;
        result.steps = done;

        const bool epoch_end = j == steps_per_epoch - 1;
        const bool last = done == total_steps;
        const bool do_eval = (params.eval_steps > 0 && done % params.eval_steps == 0) ||
                             (params.eval_steps == 0 && epoch_end) || last;
        const bool do_save = !last && ((params.save_steps > 0 && done % params.save_steps == 0) ||
                                       (params.save_steps == 0 && epoch_end));
        if (done % params.logging_steps == 0 || last || do_eval)
            write_record(json{{"step", done},
                              {"epoch", prog.epoch},
                              {"loss", step_loss},
                              {"lr", lr},
                              {"grad_norm", grad_norm},
                              {"tokens_per_s", prog.tokens_per_s},
                              {"samples_per_s", prog.samples_per_s},
                              {"memory_bytes", mem.current},
                              {"memory_reserved_bytes", mem.reserved},
                              {"eta_s", prog.eta_s},
                              {"elapsed_s", prog.elapsed_s}});
        if (do_eval) run_eval(done);
        report(TrainPhase::Training, "");
        if (do_save) TB_TRY_STATUS(save_checkpoint(done));
    }
    if (cancel.cancelled() && result.steps < total_steps) cancelled = true;

    result.train_seconds = train_seconds;
    result.train_loss =
        loss_steps_run > 0 ? loss_sum_run / static_cast<double>(loss_steps_run) : 0.0;
    result.final_eval_loss = last_eval_loss;
    if (result.steps == 0) result.steps = start_step;
    if (cancelled) {
        if (last_saved_step != result.steps) TB_TRY_STATUS(save_checkpoint(result.steps));
        result.cancelled = true;
        result.total_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
        TB_TRY_STATUS(store_log.finish("cancelled"));
        report(TrainPhase::Cancelled, result.last_checkpoint);
        return result;
    }

    // --- final outputs
    report(TrainPhase::Saving, "adapter");
    result.adapter_dir = (fs::path(run_dir) / "adapter").string();
    {
        LoraSettings s = params.lora;
        if (s.base_model_name_or_path.empty()) s.base_model_name_or_path = params.model_dir;
        TB_TRY_STATUS(save_peft_adapter(model, s, result.adapter_dir));
    }
    const int64_t trainable_count = count_lora_parameters(model);
    const int64_t base_count = count_base_parameters(model);
    Memory mem = memory_now(device);
    peak_mem = std::max({peak_mem, mem.peak, mem.current});
    if (params.save_merged_model) {
        report(TrainPhase::Saving, "merged model");
        result.merged_dir = (fs::path(run_dir) / "merged_model").string();
        // QLoRA: merge into the dequantised weights (PEFT's merge_and_unload on a 4-bit model
        // does the same), saved in the base checkpoint's dtype.
        if (params.load_in_4bit) dequantize_model_base(model, save_dtype_of(model.config));
        merge_lora_into_base(model);
        TB_TRY_STATUS(save_llama_model(model, result.merged_dir, save_dtype_of(model.config)));
        TB_TRY_STATUS(copy_tokenizer_files(params.model_dir, result.merged_dir));
    }
    result.total_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double all_train_s = prev_train_seconds + train_seconds;
    json stats{
        {"backend", params.backend},
        {"model", params.model_dir},
        {"device", device.str()},
        {"dtype", dtype_name(dtype)},
        {"training_time_seconds", all_train_s},
        {"training_time_this_session_seconds", train_seconds},
        {"total_time_seconds", result.total_seconds},
        {"final_loss", result.final_loss},
        {"train_loss", result.train_loss},
        {"train_loss_steps", loss_steps_run},
        {"train_loss_this_session",
         steps_here > 0 ? loss_sum_here / static_cast<double>(steps_here) : 0.0},
        {"final_eval_loss", last_eval_loss ? json(*last_eval_loss) : json(nullptr)},
        {"final_eval_perplexity", last_eval_ppl ? json(*last_eval_ppl) : json(nullptr)},
        {"total_steps", result.steps},
        {"epochs", static_cast<double>(result.steps) / static_cast<double>(steps_per_epoch)},
        {"samples_per_second",
         train_seconds > 0 ? static_cast<double>(samples_here) / train_seconds : 0.0},
        {"tokens_per_second",
         train_seconds > 0 ? static_cast<double>(tokens_here) / train_seconds : 0.0},
        {"steps_per_second",
         train_seconds > 0 ? static_cast<double>(steps_here) / train_seconds : 0.0},
        {"peak_memory_bytes", peak_mem},
        {"peak_memory_gb", static_cast<double>(peak_mem) / 1e9},
        {"peak_memory_kind", device.is_cuda() ? "cuda_allocated" : "cpu_rss"},
        {"trainable_params", trainable_count},
        {"total_params", trainable_count + base_count},
        {"trainable_percent", 100.0 * static_cast<double>(trainable_count) /
                                  static_cast<double>(trainable_count + base_count)},
        {"train_rows", train_rows.size()},
        {"val_rows", val_set.rows.size()},
        {"truncated_rows", train_set.truncated},
        {"dropped_rows", train_set.dropped_no_target},
        {"resumed_from", resume_dir.empty() ? json(nullptr) : json(resume_dir)},
        {"optimizer", params.optimizer},
        {"optimizer_state_bytes", optimizer.state_bytes()},
        {"model_weight_bytes", result_weight_bytes},
        {"quantization", quant_report ? json(quant_report->summary()) : json(nullptr)},
        {"config", params_json(params)},
        {"config_yaml", params.config_yaml},
    };
    result.stats_path = (fs::path(run_dir) / "training_stats.json").string();
    TB_TRY_STATUS(write_file_atomic(result.stats_path, stats.dump(2) + "\n"));
    TB_TRY_STATUS(store_log.finish("completed"));
    report(TrainPhase::Finished, run_dir);
    return result;
}

}  // namespace tb
