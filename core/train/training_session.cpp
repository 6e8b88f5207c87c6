#include "core/train/training_session.h"

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
#include "core/common/splitmix64.h"
#include "core/common/torch_compat.h"
#include "core/infer/llama_io.h"
#include "core/model/safetensors.h"
#include "core/quant/qlora.h"
#include "core/train/checkpointing.h"
#include "core/train/fused_forward.h"
#include "core/train/run_checkpoint.h"

namespace tb {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

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
        // The global micro-batch (rows per micro-batch over all ranks): what shapes the data
        // order and the steps, so 2 ranks x 2 resume as 1 rank x 4 and the other way round.
        {"batch_size", p.batch_size * std::max<int64_t>(1, p.dist.world_size)},
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
    j["world_size"] = p.dist.world_size;
    j["batch_size_per_rank"] = p.batch_size;
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

using ResumePlan = TrainingSession::ResumePoint;

Result<ResumePlan> find_resume_point(const std::string& from, const json& fp) {
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
    double sum = 0.0;  // summed token loss
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
    r.sum = sum;
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
// The session

TrainingSession::TrainingSession(const TrainParams& params, ProgressCallback progress,
                                 const CancelToken& cancel, const PauseToken* pause)
    : params_(params), progress_(std::move(progress)), cancel_(cancel), pause_(pause) {}

void TrainingSession::report(TrainPhase phase, const std::string& message) {
    prog_.phase = phase;
    prog_.message = message;
    if (progress_) progress_(prog_);
    // Every rank's progress in the store: the launcher merges them for the GUI. Rank 0's
    // reports are also kept in order (kProgressHistory): the curves need every step.
    if (dp_) {
        json j{{"phase", static_cast<int>(phase)},
               {"step", prog_.step},
               {"total_steps", prog_.total_steps},
               {"epoch", prog_.epoch},
               {"loss", prog_.loss},
               {"lr", prog_.lr},
               {"grad_norm", prog_.grad_norm},
               {"tokens_per_s", prog_.tokens_per_s},
               {"samples_per_s", prog_.samples_per_s},
               {"memory_bytes", prog_.memory_bytes},
               {"peak_memory_bytes", prog_.peak_memory_bytes},
               {"elapsed_s", prog_.elapsed_s},
               {"eta_s", prog_.eta_s},
               {"eval_loss", prog_.eval_loss ? json(*prog_.eval_loss) : json(nullptr)},
               {"eval_ppl", prog_.eval_ppl ? json(*prog_.eval_ppl) : json(nullptr)},
               {"message", message}};
        if (lead()) {
            j["seq"] = ++progress_seq_;
            // The slot first: a launcher that sees the count finds its report.
            dp_->publish("progress/0/" + std::to_string(progress_seq_ % kProgressHistory),
                         j.dump());
            dp_->publish("progress/0/seq", std::to_string(progress_seq_));
        }
        dp_->publish("progress/" + std::to_string(rank_), j.dump());
    }
    prog_.eval_loss.reset();
    prog_.eval_ppl.reset();
}

void TrainingSession::write_record(const json& j) {
    if (!lead()) return;
    log_ << j.dump() << "\n";
    log_.flush();
    store_log_.record(j);
}

Result<TrainResult> TrainingSession::run() {
    t_start_ = Clock::now();
    TB_TRY_STATUS(validate_params(params_));
    rank_ = params_.dist.world_size > 1 || params_.dist.group ? params_.dist.rank : 0;
    world_ = std::max<int64_t>(1, params_.dist.world_size);
    // Rank 0 alone records the run (store, log, checkpoints, adapter).
    TB_TRY_STATUS(store_log_.open(lead() ? params_.store_path : std::string()));
    // A busy store queues the log rows (train_store.h): the user hears of it, training goes on.
    // (A copy of the progress: the step's own report must keep its eval values.)
    store_log_.on_warning = [this](const std::string& w) {
        if (!progress_) return;
        TrainProgress p = prog_;
        p.message = "warning: " + w;
        progress_(p);
    };
    TB_TRY_STATUS(resolve_device());
    if (cancel_.cancelled()) return cancelled_while_loading();
    TB_TRY_STATUS(join_group());
    TB_TRY_STATUS(load_data());
    if (cancel_.cancelled()) return cancelled_while_loading();
    make_plan();
    TB_TRY_STATUS(plan_resume());
    if (cancel_.cancelled()) return cancelled_while_loading();
    TB_TRY_STATUS(load_model());
    if (cancel_.cancelled()) return cancelled_while_loading();
    TB_TRY_STATUS(open_run_dir());
    TB_TRY_STATUS(step_loop());
    if (cancelled_) return finish_cancelled();
    return finalise();
}

// A cancel before the run folder is made: nothing was written; a resumed run's folder and
// checkpoint are named so the caller can say how to resume.
Result<TrainResult> TrainingSession::cancelled_while_loading() {
    TrainResult r;
    r.cancelled = true;
    if (resume_) {
        r.run_dir = resume_->run_dir;
        r.last_checkpoint = resume_->checkpoint;
        r.steps = resume_->state.value("step", int64_t{0});
        r.warnings = resume_->warnings;
    }
    r.total_seconds = std::chrono::duration<double>(Clock::now() - t_start_).count();
    report(TrainPhase::Cancelled, "cancelled while loading; nothing was written");
    return r;
}

Status TrainingSession::resolve_device() {
    report(TrainPhase::Loading, "resolving device");
    TB_ASSIGN_OR_RETURN(device_, tb::resolve_device(params_.device));
    // One GPU per rank: the rank's local index on its machine (torchrun's LOCAL_RANK).
    if ((world_ > 1 || params_.dist.group) && device_.is_cuda())
        device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(params_.dist.local_rank));
    TB_ASSIGN_OR_RETURN(dtype_, resolve_dtype(params_.dtype, device_));
    if (params_.cuda_graphs && !device_.is_cuda())
        return make_error("training.cuda_graphs",
                          "needs a CUDA device (model.device is " + device_.str() + ")");
    return Status::Ok();
}

// --- data parallel: join the process group before any heavy work, so that a rank that never
// comes fails the run after the rendezvous timeout instead of after loading.
Status TrainingSession::join_group() {
    if (world_ == 1 && !params_.dist.group) return Status::Ok();
    report(TrainPhase::Loading, "joining " + std::to_string(world_) + " ranks at " +
                                    params_.dist.master_addr + ":" +
                                    std::to_string(params_.dist.master_port));
    TB_ASSIGN_OR_RETURN(dp_, DataParallel::connect(params_.dist, device_));
    dp_->heartbeat(0);
    return Status::Ok();
}

// --- data: dataset file -> seeded split -> tokenized rows (packed when asked)
Status TrainingSession::load_data() {
    report(TrainPhase::Loading, "loading tokenizer");
    TB_ASSIGN_OR_RETURN(tok_, Tokenizer::load(params_.model_dir));
    if (cancel_.cancelled()) return Status::Ok();
    report(TrainPhase::Loading, "loading dataset");
    TB_ASSIGN_OR_RETURN(Dataset dataset, load_dataset(params_.data_path, params_.read_options));
    if (cancel_.cancelled()) return Status::Ok();
    TB_ASSIGN_OR_RETURN(DatasetSplit split, split_dataset(dataset.examples, params_.split));
    TokenizeOptions topt;
    topt.max_length = params_.max_length;
    topt.prompt_template = params_.prompt_template;
    topt.loss_on_response_only = params_.loss_on_response_only;
    topt.source = params_.data_path;
    report(TrainPhase::Loading, "tokenizing");
    auto train_r = tokenize_examples(dataset.examples, split.train, *tok_, topt, &cancel_);
    if (cancel_.cancelled()) return Status::Ok();
    if (!train_r.ok()) return make_error(params_.data_path, train_r.error().message);
    train_set_ = std::move(train_r).value();
    auto val_r = tokenize_examples(dataset.examples, split.val, *tok_, topt, &cancel_);
    if (cancel_.cancelled()) return Status::Ok();
    if (!val_r.ok()) return make_error(params_.data_path, val_r.error().message);
    val_set_ = std::move(val_r).value();
    for (const TokenizedSet* set : {&train_set_, &val_set_})
        for (const std::string& note : set->notes) report(TrainPhase::Loading, "note: " + note);
    train_rows_ = params_.packing ? pack_rows(train_set_.rows, params_.max_length)
                                  : std::move(train_set_.rows);
    if (train_rows_.empty())
        return make_error(params_.data_path, "no training rows with response tokens");
    // Validation: rank r evaluates rows r, r + N, ... and the sums are all-reduced.
    for (size_t i = static_cast<size_t>(rank_); i < val_set_.rows.size();
         i += static_cast<size_t>(world_))
        val_rows_.push_back(val_set_.rows[i]);
    pad_id_ = tok_->pad_id();
    if (pad_id_ < 0) pad_id_ = tok_->eos_id() >= 0 ? tok_->eos_id() : 0;
    return Status::Ok();
}

// --- plan: steps, schedule and the fingerprint a resume must match
void TrainingSession::make_plan() {
    // Global micro-batches: world x batch_size rows each (one rank: batch_size).
    mb_per_epoch_ = micro_batches_per_epoch(train_rows_.size(), params_.batch_size * world_);
    accum_ = params_.gradient_accumulation_steps;
    steps_per_epoch_ = (mb_per_epoch_ + accum_ - 1) / accum_;
    total_steps_ = params_.max_steps > 0 ? params_.max_steps : params_.epochs * steps_per_epoch_;
    sched_.kind = params_.schedule;
    sched_.base_lr = params_.learning_rate;
    sched_.total_steps = total_steps_;
    sched_.warmup_steps =
        warmup_steps_for(params_.warmup_steps, params_.warmup_ratio, total_steps_);
    fp_ = fingerprint(params_, dtype_, total_steps_, sched_.warmup_steps);
}

// --- resume: the checkpoint to continue from and the run folder it belongs to
Status TrainingSession::plan_resume() {
    if (!params_.resume_from.empty()) {
        TB_ASSIGN_OR_RETURN(resume_, find_resume_point(params_.resume_from, fp_));
        for (const auto& w : resume_->warnings) report(TrainPhase::Loading, "warning: " + w);
    }
    resume_dir_ = resume_ ? resume_->checkpoint : std::string();
    resume_state_ = resume_ ? resume_->state : json::object();
    return Status::Ok();
}

// --- model and optimizer
Status TrainingSession::load_model() {
    report(TrainPhase::Loading, "loading model");
    LoadOptions lo;
    lo.dtype = dtype_;
    lo.device = device_;
    lo.cancel = &cancel_;
    auto model_r = load_llama_model(params_.model_dir, lo);
    if (cancel_.cancelled()) return Status::Ok();
    if (!model_r.ok()) return model_r.error();
    model_.emplace(std::move(model_r).value());
    LlamaModel& model = *model_;
    if (params_.load_in_4bit) {
        report(TrainPhase::Loading, "quantizing base weights to NF4");
        QuantOptions qo;
        qo.nf4.blocksize = params_.nf4.blocksize;
        qo.nf4.double_quant = params_.nf4.double_quant;
        if (params_.quant_compute_dtype != "auto") {
            auto cd = parse_dtype(params_.quant_compute_dtype);
            if (!cd.ok()) return make_error("quant.compute_dtype", cd.error().message);
            qo.compute_dtype = cd.value();
        }
        auto qr = quantize_model_base(model, qo);
        if (!qr.ok()) return make_error("quant", qr.error().message);
        quant_report_ = qr.value();
    }
    if (cancel_.cancelled()) return Status::Ok();
    weight_bytes_ = model_weight_bytes(model);
    if (!resume_dir_.empty()) {
        TB_TRY_STATUS(apply_peft_adapter(model, (fs::path(resume_dir_) / "adapter").string()));
        make_lora_trainable(model);
    } else {
        TB_TRY_STATUS(inject_lora(model, params_.lora, params_.seed, params_.lora_init));
    }
    trainable_ = lora_parameters(model);
    TB_ASSIGN_OR_RETURN(optimizer_, make_optimizer(params_.optimizer, trainable_, params_.adamw));
    if (!resume_dir_.empty()) {
        TB_TRY_STATUS(optimizer_->load((fs::path(resume_dir_) / "optimizer.safetensors").string()));
        start_step_ = resume_state_.value("step", int64_t{0});
        prev_train_seconds_ = resume_state_.value("train_seconds", 0.0);
        if (optimizer_->steps() != start_step_)
            return make_error(resume_dir_, "optimizer step " + std::to_string(optimizer_->steps()) +
                                               " does not match trainer step " +
                                               std::to_string(start_step_));
    }
    // Dropout draws from the default generators; seeded here so runs are reproducible. A
    // resumed run then continues from the saved generator states (a checkpoint made on the
    // CPU has no CUDA state: the CUDA generator keeps the seed).
    // Data parallel: rank 0 keeps the run's seed (one rank is the plain run) and its saved
    // states; every other rank draws its own dropout masks from a stream of (seed, rank), and
    // (seed, rank, step) after a resume, since a checkpoint keeps rank 0's states only.
    torch::manual_seed(params_.seed);
    if (rank_ > 0) {
        SplitMix64 mix(params_.seed ^ (static_cast<uint64_t>(rank_) * 0x9E3779B97F4A7C15ULL) ^
                       (static_cast<uint64_t>(start_step_) << 20));
        torch::manual_seed(mix.next());
    } else if (!resume_dir_.empty()) {
        TB_ASSIGN_OR_RETURN(RngSnapshot rng,
                            load_rng((fs::path(resume_dir_) / "rng_state.safetensors").string()));
        restore_rng(rng, device_);
    }
    if (dp_) {
        std::vector<at::Tensor> ts;
        for (const auto& p : trainable_) ts.push_back(p.tensor);
        dp_->attach(ts, params_.dist.bucket_bytes);
    }
    if (device_.is_cuda()) compat::cuda_reset_peak(device_.has_index() ? device_.index() : 0);
    return Status::Ok();
}

// --- run directory: the resumed run's own (find_resume_point), or a new one
Status TrainingSession::open_run_dir() {
    prog_.total_steps = total_steps_;
    prog_.step = start_step_;
    prog_.epoch = static_cast<double>(start_step_) / static_cast<double>(steps_per_epoch_);
    tokens_seen_ = resume_state_.value("tokens_seen", int64_t{0});
    samples_seen_ = resume_state_.value("samples_seen", int64_t{0});
    // train_loss over the whole run: the sums continue from the checkpoint, in step order, so a
    // resumed run reports the uninterrupted run's value bit for bit.
    loss_sum_run_ = resume_state_.value("loss_sum", 0.0);
    loss_steps_run_ = resume_state_.value("loss_steps", int64_t{0});
    // Step 0 is the seeded initialisation, recreated by any resume: never saved.
    last_saved_step_ = start_step_;
    result_.total_steps = total_steps_;
    result_.truncated_rows = static_cast<int64_t>(train_set_.truncated);
    result_.dropped_rows = static_cast<int64_t>(train_set_.dropped_no_target);
    result_.model_weight_bytes = weight_bytes_;
    if (resume_) result_.warnings = resume_->warnings;
    if (!lead()) return Status::Ok();  // the other ranks write nothing

    run_dir_ = resume_ ? resume_->run_dir : std::string();
    if (run_dir_.empty()) {
        TB_ASSIGN_OR_RETURN(run_dir_, make_run_dir(params_));
    }
    run_id_ = resume_ ? resume_->run_id : std::string();
    if (run_id_.empty()) {
        run_id_ = new_run_id();
        TB_TRY_STATUS(write_run_file(run_dir_, run_id_, fp_));
    }
    (void)remove_stale_temp_files(run_dir_);  // *.tmp.<pid> of a killed earlier session
    ck_dir_ = (fs::path(run_dir_) / "checkpoints").string();
    log_path_ = (fs::path(run_dir_) / "training_log.jsonl").string();
    if (!resume_dir_.empty()) {
        TB_TRY_STATUS(trim_log(log_path_, start_step_));
    } else {
        TB_TRY_STATUS(write_file_atomic(log_path_, ""));
    }
    log_.open(log_path_, std::ios::app);
    if (!log_) return make_error(log_path_, "cannot open for appending");
    TB_TRY_STATUS(store_log_.begin(params_, run_dir_, log_path_, !params_.resume_from.empty()));
    result_.run_dir = run_dir_;
    if (dp_) dp_->publish("run_dir", run_dir_);  // the launcher names it in its messages
    return Status::Ok();
}

// --- evaluation: mean token loss and perplexity on the validation split
Status TrainingSession::evaluate_now(int64_t step) {
    if (val_set_.rows.empty()) return Status::Ok();
    report(TrainPhase::Evaluating, "validation split");
    const int64_t eval_bs =
        params_.eval_batch_size > 0 ? params_.eval_batch_size : params_.batch_size;
    // The final evaluation completes (the run is finishing); earlier ones stop at a cancel
    // and are not recorded, and the loop then stops at the next step boundary. Ranks always
    // complete it (their stop decision is agreed at step boundaries).
    const CancelToken* c = step < total_steps_ && !dp_ ? &cancel_ : nullptr;
    std::optional<EvalResult> ev =
        evaluate(*model_, val_rows_, eval_bs, pad_id_, params_.backend == "fused", c);
    if (!ev) return Status::Ok();
    if (dp_) {
        // Loss sums and token counts of every rank's share.
        std::vector<double> v{ev->sum, static_cast<double>(ev->tokens)};
        TB_TRY_STATUS(dp_->sum(v, "evaluation at step " + std::to_string(step)));
        ev->sum = v[0];
        ev->tokens = static_cast<int64_t>(v[1]);
        ev->loss = ev->tokens > 0 ? ev->sum / v[1] : 0.0;
        ev->ppl = std::exp(ev->loss);
    }
    const EvalResult& e = *ev;
    last_eval_loss_ = e.loss;
    last_eval_ppl_ = e.ppl;
    prog_.eval_loss = e.loss;
    prog_.eval_ppl = e.ppl;
    write_record(json{{"step", step},
                      {"epoch", prog_.epoch},
                      {"eval_loss", e.loss},
                      {"eval_ppl", e.ppl},
                      {"eval_tokens", e.tokens}});
    return Status::Ok();
}

Status TrainingSession::save_checkpoint(int64_t step) {
    report(TrainPhase::Saving, "checkpoint " + checkpoint_dir_name(step));
    const int64_t epoch = step / steps_per_epoch_;
    const int64_t next_mb = (step % steps_per_epoch_) * accum_;
    auto fill = [&](const std::string& dir) -> Status {
        LoraSettings s = params_.lora;
        s.base_model_name_or_path = params_.lora.base_model_name_or_path.empty()
                                        ? params_.model_dir
                                        : params_.lora.base_model_name_or_path;
        TB_TRY_STATUS(save_peft_adapter(*model_, s, (fs::path(dir) / "adapter").string()));
        TB_TRY_STATUS(optimizer_->save((fs::path(dir) / "optimizer.safetensors").string()));
        RngSnapshot rng = capture_rng(device_);
        std::vector<StTensorOut> rt{u8_tensor("cpu", rng.cpu)};
        if (rng.cuda.defined()) rt.push_back(u8_tensor("cuda", rng.cuda));
        TB_TRY_STATUS(write_safetensors((fs::path(dir) / "rng_state.safetensors").string(), rt,
                                        {{"format", "tunebench-rng"}}));
        json st{{"format", "tunebench-trainer-state"},
                {"version", 1},
                {"step", step},
                {"total_steps", total_steps_},
                {"epoch", epoch},
                {"next_micro_batch", next_mb},
                {"micro_batches_per_epoch", mb_per_epoch_},
                {"steps_per_epoch", steps_per_epoch_},
                {"train_rows", train_rows_.size()},
                {"tokens_seen", tokens_seen_},
                {"samples_seen", samples_seen_},
                {"train_seconds", prev_train_seconds_ + train_seconds_},
                {"loss_sum", loss_sum_run_},
                {"loss_steps", loss_steps_run_},
                {"run_id", run_id_},
                {"run_dir", canonical(run_dir_)},
                {"fingerprint", fp_}};
        return write_file_atomic((fs::path(dir) / "trainer_state.json").string(),
                                 st.dump(1) + "\n");
    };
    TB_ASSIGN_OR_RETURN(std::string written,
                        write_checkpoint_dir(ck_dir_, step, fill, params_.save_total_limit));
    result_.last_checkpoint = written;
    last_saved_step_ = step;
    return Status::Ok();
}

// --- the step loop
Status TrainingSession::step_loop() {
    LlamaModel& model = *model_;
    if (params_.eval_on_start && start_step_ == 0) TB_TRY_STATUS(evaluate_now(0));

    std::vector<size_t> order;
    int64_t order_epoch = -1;
    for (int64_t step = start_step_; step < total_steps_; ++step) {
        // Ranks pause only as a whole (a lone paused rank would time the others out): pausing
        // is for the in-process (single rank) run.
        if (pause_ && pause_->paused() && !dp_) {
            report(TrainPhase::Paused, "paused");
            while (pause_->paused() && !cancel_.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        bool stop = cancel_.cancelled();
        if (dp_) {
            // Every rank stops at the same step boundary: a cancel anywhere stops all.
            dp_->heartbeat(step);
            std::vector<double> flag{stop ? 1.0 : 0.0};
            TB_TRY_STATUS(dp_->sum(flag, "the stop vote before step " + std::to_string(step + 1)));
            stop = flag[0] > 0;
        }
        if (stop) {
            cancelled_ = true;
            break;
        }
        const int64_t epoch = step / steps_per_epoch_;
        const int64_t j = step % steps_per_epoch_;
        if (epoch != order_epoch) {
            order = epoch_order(train_rows_.size(), params_.seed, epoch);
            order_epoch = epoch;
        }
        const int64_t mb_begin = j * accum_;
        const int64_t mb_end = std::min(mb_per_epoch_, mb_begin + accum_);
        std::vector<std::vector<const TokenizedRow*>> groups;
        int64_t step_loss_tokens = 0;
        for (int64_t mb = mb_begin; mb < mb_end; ++mb) {
            // The loss tokens of the whole global micro-batch (every rank knows every row), so
            // that each rank's share of the loss is divided by the global step's tokens.
            for (const auto* r :
                 micro_batch_rows(train_rows_, order, params_.batch_size * world_, mb))
                step_loss_tokens += loss_tokens(*r);
            groups.push_back(
                rank_micro_batch_rows(train_rows_, order, params_.batch_size, world_, rank_, mb));
        }
        const auto t_step = Clock::now();
        double step_loss = 0.0;
        int64_t step_tokens = 0, step_rows = 0;
        for (size_t gi = 0; gi < groups.size(); ++gi) {
            const auto& rows = groups[gi];
            if (rows.empty()) continue;  // a rank past the end of a short last micro-batch
            if (params_.cuda_graphs) {
                Batch b = collate(rows, pad_id_, device_, params_.batch_size, params_.max_length);
                auto sum =
                    graph_step_.run(model, b, 1.0, params_.gradient_checkpointing, trainable_);
                if (!sum.ok()) return make_error("training.cuda_graphs", sum.error().message);
                step_loss +=
                    sum.value() / static_cast<double>(std::max<int64_t>(step_loss_tokens, 1));
                step_tokens += b.tokens;
                step_rows += b.rows;
                continue;
            }
            Batch b = collate(rows, pad_id_, device_);
            at::Tensor loss = backend_loss(params_.backend == "fused", model, b,
                                           static_cast<double>(step_loss_tokens),
                                           /*training=*/true, params_.gradient_checkpointing);
            // The step's last backward all-reduces bucket by bucket as gradients complete.
            if (dp_ && gi + 1 == groups.size()) dp_->arm_overlap();
            loss.backward();
            step_loss += loss.item<double>();
            step_tokens += b.tokens;
            step_rows += b.rows;
        }
        // CUDA graph mode (fused_graph_step.h): replays accumulate the unscaled summed loss's
        // gradients; the step's 1/loss-tokens is applied afterwards in fp32 (the same gradient
        // as dividing every loss, without baking a per-step divisor into the graph).
        if (params_.cuda_graphs && step_loss_tokens > 0)
            at::_foreach_mul_(graph_step_.grads(), 1.0 / static_cast<double>(step_loss_tokens));
        if (dp_) {
            // Gradients summed over the ranks (graph mode: all buckets now, after the replays),
            // then the step's loss and counts: every rank clips and steps the same numbers.
            TB_TRY_STATUS(
                dp_->finish_gradients("gradient all-reduce of step " + std::to_string(step + 1)));
            std::vector<double> v{step_loss, static_cast<double>(step_tokens),
                                  static_cast<double>(step_rows)};
            TB_TRY_STATUS(dp_->sum(v, "loss all-reduce of step " + std::to_string(step + 1)));
            step_loss = v[0];
            step_tokens = static_cast<int64_t>(v[1]);
            step_rows = static_cast<int64_t>(v[2]);
        }
        const double grad_norm = clip_grad_norm(trainable_, params_.max_grad_norm);
        const double lr = sched_.lr(step);
        TB_TRY_STATUS(optimizer_->step(lr));
        if (params_.cuda_graphs)
            graph_step_.zero_grads();
        else
            optimizer_->zero_grad();
        if (device_.is_cuda()) compat::cuda_synchronize();
        const double dt = std::chrono::duration<double>(Clock::now() - t_step).count();

        train_seconds_ += dt;
        tokens_here_ += step_tokens;
        samples_here_ += step_rows;
        tokens_seen_ += step_tokens;
        samples_seen_ += step_rows;
        ++steps_here_;
        loss_sum_here_ += step_loss;
        loss_sum_run_ += step_loss;
        ++loss_steps_run_;
        const int64_t done = step + 1;
        Memory mem = memory_now(device_);
        peak_mem_ = std::max({peak_mem_, mem.peak, mem.current});
        prog_.step = done;
        prog_.epoch = static_cast<double>(done) / static_cast<double>(steps_per_epoch_);
        prog_.loss = step_loss;
        prog_.lr = lr;
        prog_.grad_norm = grad_norm;
        prog_.tokens_per_s = static_cast<double>(tokens_here_) / train_seconds_;
        prog_.samples_per_s = static_cast<double>(samples_here_) / train_seconds_;
        prog_.memory_bytes = mem.current;
        prog_.memory_reserved_bytes = mem.reserved;
        prog_.peak_memory_bytes = peak_mem_;
        prog_.elapsed_s = prev_train_seconds_ + train_seconds_;
        prog_.eta_s = train_seconds_ / static_cast<double>(steps_here_) *
                      static_cast<double>(total_steps_ - done);
        result_.final_loss = step_loss;
        result_.steps = done;

        const bool epoch_end = j == steps_per_epoch_ - 1;
        const bool last = done == total_steps_;
        const bool do_eval = (params_.eval_steps > 0 && done % params_.eval_steps == 0) ||
                             (params_.eval_steps == 0 && epoch_end) || last;
        const bool do_save = !last && ((params_.save_steps > 0 && done % params_.save_steps == 0) ||
                                       (params_.save_steps == 0 && epoch_end));
        if (done % params_.logging_steps == 0 || last || do_eval)
            write_record(json{{"step", done},
                              {"epoch", prog_.epoch},
                              {"loss", step_loss},
                              {"lr", lr},
                              {"grad_norm", grad_norm},
                              {"tokens_per_s", prog_.tokens_per_s},
                              {"samples_per_s", prog_.samples_per_s},
                              {"memory_bytes", mem.current},
                              {"memory_reserved_bytes", mem.reserved},
                              {"eta_s", prog_.eta_s},
                              {"elapsed_s", prog_.elapsed_s}});
        if (do_eval) TB_TRY_STATUS(evaluate_now(done));
        report(TrainPhase::Training, "");
        if (do_save && lead()) TB_TRY_STATUS(save_checkpoint(done));
    }
    if (cancel_.cancelled() && result_.steps < total_steps_) cancelled_ = true;

    result_.train_seconds = train_seconds_;
    result_.train_loss =
        loss_steps_run_ > 0 ? loss_sum_run_ / static_cast<double>(loss_steps_run_) : 0.0;
    result_.final_eval_loss = last_eval_loss_;
    if (result_.steps == 0) result_.steps = start_step_;
    return Status::Ok();
}

Result<TrainResult> TrainingSession::finish_cancelled() {
    if (lead() && last_saved_step_ != result_.steps) TB_TRY_STATUS(save_checkpoint(result_.steps));
    result_.cancelled = true;
    result_.total_seconds = std::chrono::duration<double>(Clock::now() - t_start_).count();
    TB_TRY_STATUS(store_log_.finish("cancelled"));
    report(TrainPhase::Cancelled, result_.last_checkpoint);
    return result_;
}

// --- finalisation: adapter, merged model, training_stats.json
Result<TrainResult> TrainingSession::finalise() {
    LlamaModel& model = *model_;
    if (!lead()) {  // rank 0 writes the adapter, the merged model and the stats
        result_.total_seconds = std::chrono::duration<double>(Clock::now() - t_start_).count();
        report(TrainPhase::Finished, "");
        return result_;
    }
    report(TrainPhase::Saving, "adapter");
    result_.adapter_dir = (fs::path(run_dir_) / "adapter").string();
    {
        LoraSettings s = params_.lora;
        if (s.base_model_name_or_path.empty()) s.base_model_name_or_path = params_.model_dir;
        TB_TRY_STATUS(save_peft_adapter(model, s, result_.adapter_dir));
    }
    const int64_t trainable_count = count_lora_parameters(model);
    const int64_t base_count = count_base_parameters(model);
    Memory mem = memory_now(device_);
    peak_mem_ = std::max({peak_mem_, mem.peak, mem.current});
    if (params_.save_merged_model) {
        report(TrainPhase::Saving, "merged model");
        result_.merged_dir = (fs::path(run_dir_) / "merged_model").string();
        // QLoRA: merge into the dequantised weights (PEFT's merge_and_unload on a 4-bit model
        // does the same), saved in the base checkpoint's dtype.
        if (params_.load_in_4bit) dequantize_model_base(model, save_dtype_of(model.config));
        merge_lora_into_base(model);
        TB_TRY_STATUS(save_llama_model(model, result_.merged_dir, save_dtype_of(model.config)));
        TB_TRY_STATUS(copy_tokenizer_files(params_.model_dir, result_.merged_dir));
    }
    result_.total_seconds = std::chrono::duration<double>(Clock::now() - t_start_).count();
    const double all_train_s = prev_train_seconds_ + train_seconds_;
    const double ts = train_seconds_;
    json stats{
        {"backend", params_.backend},
        {"model", params_.model_dir},
        {"device", device_.str()},
        {"dtype", dtype_name(dtype_)},
        {"world_size", world_},
        {"dist_backend", dp_ ? json(dp_->backend_name()) : json(nullptr)},
        {"gradient_buckets", dp_ ? json(dp_->buckets()) : json(nullptr)},
        {"buckets_overlapped_last_step", dp_ ? json(dp_->overlapped_buckets()) : json(nullptr)},
        {"training_time_seconds", all_train_s},
        {"training_time_this_session_seconds", ts},
        {"total_time_seconds", result_.total_seconds},
        {"final_loss", result_.final_loss},
        {"train_loss", result_.train_loss},
        {"train_loss_steps", loss_steps_run_},
        {"train_loss_this_session",
         steps_here_ > 0 ? loss_sum_here_ / static_cast<double>(steps_here_) : 0.0},
        {"final_eval_loss", last_eval_loss_ ? json(*last_eval_loss_) : json(nullptr)},
        {"final_eval_perplexity", last_eval_ppl_ ? json(*last_eval_ppl_) : json(nullptr)},
        {"total_steps", result_.steps},
        {"epochs", static_cast<double>(result_.steps) / static_cast<double>(steps_per_epoch_)},
        {"samples_per_second", ts > 0 ? static_cast<double>(samples_here_) / ts : 0.0},
        {"tokens_per_second", ts > 0 ? static_cast<double>(tokens_here_) / ts : 0.0},
        {"steps_per_second", ts > 0 ? static_cast<double>(steps_here_) / ts : 0.0},
        {"peak_memory_bytes", peak_mem_},
        {"peak_memory_gb", static_cast<double>(peak_mem_) / 1e9},
        {"peak_memory_kind", device_.is_cuda() ? "cuda_allocated" : "cpu_rss"},
        {"trainable_params", trainable_count},
        {"total_params", trainable_count + base_count},
        {"trainable_percent", 100.0 * static_cast<double>(trainable_count) /
                                  static_cast<double>(trainable_count + base_count)},
        {"train_rows", train_rows_.size()},
        {"val_rows", val_set_.rows.size()},
        {"truncated_rows", train_set_.truncated},
        {"dropped_rows", train_set_.dropped_no_target},
        {"resumed_from", resume_dir_.empty() ? json(nullptr) : json(resume_dir_)},
        {"optimizer", params_.optimizer},
        {"optimizer_state_bytes", optimizer_->state_bytes()},
        {"model_weight_bytes", weight_bytes_},
        {"quantization", quant_report_ ? json(quant_report_->summary()) : json(nullptr)},
        {"config", params_json(params_)},
        {"config_yaml", params_.config_yaml},
    };
    result_.stats_path = (fs::path(run_dir_) / "training_stats.json").string();
    TB_TRY_STATUS(write_file_atomic(result_.stats_path, stats.dump(2) + "\n"));
    TB_TRY_STATUS(store_log_.finish("completed"));
    report(TrainPhase::Finished, run_dir_);
    return result_;
}

}  // namespace tb
