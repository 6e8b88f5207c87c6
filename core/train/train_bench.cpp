#include "core/train/train_bench.h"

#include <chrono>
#include <memory>

#include "core/common/process_memory.h"
#include "core/common/torch_compat.h"
#include "core/infer/llama_io.h"
#include "core/infer/llama_model.h"
#include "core/quant/qlora.h"
#include "core/train/checkpointing.h"
#include "core/train/fused_forward.h"
#include "core/train/fused_graph_step.h"
#include "core/train/lora_injection.h"
#include "core/train/optimizer.h"
#include "core/train/torch_profiler.h"

namespace tb {

namespace {

using Clock = std::chrono::steady_clock;

int64_t base_params(const LlamaModel& m) {
    const LlamaConfig& c = m.config;
    const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
    const int64_t per_layer =
        H * c.num_attention_heads * hd * 2 + H * c.num_key_value_heads * hd * 2 + 3 * H * I + 2 * H;
    return c.vocab_size * H * (c.tie_word_embeddings ? 1 : 2) + c.num_hidden_layers * per_layer + H;
}

}  // namespace

LlamaConfig tinyllama_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 2048;
    c.intermediate_size = 5632;
    c.num_hidden_layers = 22;
    c.num_attention_heads = 32;
    c.num_key_value_heads = 4;
    c.head_dim = 64;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 2048;
    c.tie_word_embeddings = false;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.dtype = "bfloat16";
    return c;
}

Result<TrainBenchResult> run_train_bench(const TrainBenchParams& p, const CancelToken& cancel) {
    if (p.backend != "reference" && p.backend != "fused")
        return make_error("--backend",
                          "unknown backend '" + p.backend + "' (expected reference or fused)");
    if (p.backend == "fused" && p.lora.use_dora)
        return make_error("lora.use_dora", "DoRA is not supported by the fused backend");
    if (p.batch_size < 1) return make_error("--batch", "must be >= 1");
    if (p.seq_len < 2) return make_error("--seq", "must be >= 2");
    if (p.steps < 1) return make_error("--steps", "must be >= 1");
    if (p.warmup_steps < 0) return make_error("--warmup", "must be >= 0");

    at::Device device = at::kCPU;
    if (p.device == "auto" || p.device.empty()) {
        if (compat::cuda_available()) device = at::Device(at::kCUDA, 0);
    } else {
        TB_ASSIGN_OR_RETURN(device, parse_device(p.device));
    }
    at::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
    if (p.dtype != "auto" && !p.dtype.empty()) {
        TB_ASSIGN_OR_RETURN(dtype, parse_dtype(p.dtype));
    }

    // --- model
    LoadOptions lo;
    lo.dtype = dtype;
    lo.device = device;
    LlamaModel model;
    if (!p.model_dir.empty()) {
        TB_ASSIGN_OR_RETURN(model, load_llama_model(p.model_dir, lo));
    } else {
        model = init_llama(p.shape, p.seed, 0.02, lo);
    }
    if (p.seq_len > model.config.max_position_embeddings)
        return make_error("--seq", "longer than the model's max_position_embeddings (" +
                                       std::to_string(model.config.max_position_embeddings) + ")");
    if (p.load_in_4bit) {
        QuantOptions qo;
        TB_ASSIGN_OR_RETURN(QuantReport rep, quantize_model_base(model, qo));
        (void)rep;
    }
    TB_TRY_STATUS(inject_lora(model, p.lora, p.seed));
    std::vector<NamedParameter> params = lora_parameters(model);
    AdamWOptions ao;
    TB_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> opt, make_optimizer(p.optimizer, params, ao));

    TrainBenchResult r;
    r.backend = p.cuda_graphs ? p.backend + "+cuda-graphs" : p.backend;
    r.device = device.str();
    r.dtype = dtype_name(dtype);
    r.params = base_params(model);
    for (const auto& np : params) r.trainable_params += np.tensor.numel();
    r.weight_bytes = model_weight_bytes(model);
    r.tokens_per_step = p.batch_size * p.seq_len;

    // --- one fixed random batch (every token carries loss, no padding)
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(p.seed + 1);
    at::Tensor ids = at::randint(3, model.config.vocab_size, {p.batch_size, p.seq_len}, gen,
                                 at::TensorOptions().dtype(at::kLong))
                         .to(device);
    at::Tensor key_mask = at::ones({p.batch_size, p.seq_len}, ids.options());
    at::Tensor pos =
        at::arange(0, p.seq_len, ids.options()).unsqueeze(0).expand({p.batch_size, p.seq_len});
    const double divisor = static_cast<double>(p.batch_size * (p.seq_len - 1));
    torch::manual_seed(p.seed + 2);  // dropout masks

    // --- CUDA graph mode (fused_graph_step.h), the trainer's training.cuda_graphs path
    FusedGraphMicroStep graph_step;
    Batch batch;
    batch.input_ids = ids;
    batch.position_ids = pos;
    batch.attention_mask = key_mask;
    batch.labels = ids;
    if (p.cuda_graphs) {
        if (p.backend != "fused") return make_error("--cuda-graphs", "needs the fused backend");
        if (!device.is_cuda()) return make_error("--cuda-graphs", "needs a CUDA device");
        compat::cuda_synchronize();
        compat::cuda_reset_peak(device.has_index() ? device.index() : 0);
        r.peak_kind = "cuda_max_allocated";
    }

    auto step = [&]() -> Result<double> {
        if (p.cuda_graphs) {
            graph_step.zero_grads();
            TB_ASSIGN_OR_RETURN(
                double l, graph_step.run(model, batch, divisor, p.gradient_checkpointing, params));
            clip_grad_norm(params, 1.0);
            TB_TRY_STATUS(opt->step(p.learning_rate));
            return l;
        }
        at::Tensor loss = p.backend == "fused"
                              ? fused_micro_batch_loss(model, ids, pos, key_mask, ids, divisor,
                                                       true, p.gradient_checkpointing)
                              : micro_batch_loss(model, ids, pos, key_mask, ids, divisor, true,
                                                 p.gradient_checkpointing);
        loss.backward();
        clip_grad_norm(params, 1.0);
        TB_TRY_STATUS(opt->step(p.learning_rate));
        opt->zero_grad();
        return loss.item<double>();  // synchronises with the device
    };

    // --- warm-up, then the timed steps with the peak measured over them
    for (int64_t i = 0; i < p.warmup_steps && !cancel.cancelled(); ++i) {
        TB_ASSIGN_OR_RETURN(double l, step());
        if (i == 0) r.first_loss = l;
    }
    if (device.is_cuda() && p.cuda_graphs) {
        compat::cuda_synchronize();  // peak: kept from the warm-up and capture above
    } else if (device.is_cuda()) {
        // No empty_cache here: the timed steps must find the allocator warm, as in training.
        compat::cuda_synchronize();
        compat::cuda_reset_peak(device.has_index() ? device.index() : 0);
        r.peak_kind = "cuda_max_allocated";
    } else {
        reset_process_peak_rss();
        r.peak_kind = "cpu_peak_rss";
    }
    int64_t done = 0;
    const auto t0 = Clock::now();
    for (; done < p.steps && !cancel.cancelled(); ++done) {
        TB_ASSIGN_OR_RETURN(double l, step());
        if (p.warmup_steps == 0 && done == 0) r.first_loss = l;
        r.last_loss = l;
    }
    if (device.is_cuda()) compat::cuda_synchronize();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (done > 0 && secs > 0) {
        r.tokens_per_s = static_cast<double>(done * r.tokens_per_step) / secs;
        r.step_ms = 1000.0 * secs / static_cast<double>(done);
    }
    if (device.is_cuda()) {
        if (auto m = compat::cuda_memory(device.has_index() ? device.index() : 0))
            r.peak_bytes = m->peak_allocated;
    } else {
        r.peak_bytes = process_peak_rss_bytes();
    }
    if (!p.profile_path.empty() && !cancel.cancelled()) {
        // After the peak is read: the profiler's own buffers must not count.
        TB_TRY_STATUS(start_torch_profiler(device.is_cuda()));
        for (int i = 0; i < 2; ++i) {
            auto l = step();
            if (!l.ok()) {
                (void)stop_torch_profiler(p.profile_path);
                return l.error();
            }
        }
        if (device.is_cuda()) compat::cuda_synchronize();
        TB_TRY_STATUS(stop_torch_profiler(p.profile_path));
    }
    return r;
}

}  // namespace tb
