#include "core/train/trainer.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/data/data_config.h"
#include "core/train/training_session.h"

namespace tb {

namespace fs = std::filesystem;

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
    p.nproc_per_node = t.nproc_per_node;
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
// torchrun's environment

namespace {

// An integer environment variable in [lo, hi]; nullopt when unset.
Result<std::optional<int64_t>> env_int(const char* name, int64_t lo, int64_t hi) {
    const char* v = std::getenv(name);
    if (!v) return std::optional<int64_t>();
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return make_error(name, std::string("'") + v + "' is not an integer in [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return std::optional<int64_t>(x);
}

}  // namespace

Result<std::optional<DistributedSettings>> distributed_settings_from_env() {
    TB_ASSIGN_OR_RETURN(auto world, env_int("WORLD_SIZE", 1, 1 << 20));
    if (!world) return std::optional<DistributedSettings>();
    DistributedSettings d;
    d.group = true;
    d.world_size = *world;
    TB_ASSIGN_OR_RETURN(auto rank, env_int("RANK", 0, d.world_size - 1));
    if (!rank) return make_error("RANK", "not set (WORLD_SIZE is " + std::to_string(*world) + ")");
    d.rank = *rank;
    TB_ASSIGN_OR_RETURN(auto local, env_int("LOCAL_RANK", 0, 1 << 20));
    d.local_rank = local ? *local : d.rank;
    if (const char* a = std::getenv("MASTER_ADDR"); a && *a) d.master_addr = a;
    TB_ASSIGN_OR_RETURN(auto port, env_int("MASTER_PORT", 1, 65535));
    if (port) d.master_port = *port;
    if (const char* a = std::getenv("TORCHELASTIC_USE_AGENT_STORE"))
        d.external_store = std::string(a) == "True" || std::string(a) == "1";
    TB_ASSIGN_OR_RETURN(auto restart, env_int("TORCHELASTIC_RESTART_COUNT", 0, 1 << 20));
    if (restart) d.store_prefix += "/attempt_" + std::to_string(*restart);
    TB_ASSIGN_OR_RETURN(auto timeout, env_int("TUNEBENCH_DIST_TIMEOUT", 1, 86400));
    if (timeout) d.timeout_s = static_cast<double>(*timeout);
    TB_ASSIGN_OR_RETURN(auto bucket, env_int("TUNEBENCH_DDP_BUCKET_BYTES", 1024, int64_t{1} << 34));
    if (bucket) d.bucket_bytes = *bucket;
    return std::optional<DistributedSettings>(d);
}

// ---------------------------------------------------------------------------------------
// The run: a TrainingSession's steps in order (training_session.h)

Result<TrainResult> run_training(const TrainParams& params, const ProgressCallback& progress,
                                 const CancelToken& cancel, const PauseToken* pause) {
    TrainingSession session(params, progress, cancel, pause);
    return session.run();
}

}  // namespace tb
