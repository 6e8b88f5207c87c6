#include "core/train/resource_estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace tb {

ResourceEstimate estimate_resources(const AppConfig& cfg, const LlamaConfig& m, int64_t train_rows,
                                    bool cuda, int64_t world_size) {
    ResourceEstimate e;
    e.world_size = world_size >= 1 ? world_size : std::max<int64_t>(1, cfg.training.nproc_per_node);
    const double H = static_cast<double>(m.hidden_size),
                 I = static_cast<double>(m.intermediate_size);
    const double L = static_cast<double>(m.num_hidden_layers),
                 V = static_cast<double>(m.vocab_size);
    const double hd =
        m.head_dim > 0 ? m.head_dim : (m.num_attention_heads > 0 ? H / m.num_attention_heads : 0);
    const double q = m.num_attention_heads * hd, kv = m.num_key_value_heads * hd;
    e.base_params = V * H * (m.tie_word_embeddings ? 1 : 2) +
                    L * (H * q + 2 * H * kv + q * H + 3 * H * I + 2 * H) + H;
    auto dims = [&](const std::string& t) -> std::pair<double, double> {
        if (t == "q_proj") return {H, q};
        if (t == "k_proj" || t == "v_proj") return {H, kv};
        if (t == "o_proj") return {q, H};
        if (t == "gate_proj" || t == "up_proj") return {H, I};
        if (t == "down_proj") return {I, H};
        return {0, 0};
    };
    for (const auto& t : cfg.lora.target_modules) {
        auto [in, out] = dims(t);
        e.lora_params += L * cfg.lora.r * (in + out);
    }
    const bool bf16 = cfg.model.dtype == "bfloat16" || cfg.model.dtype == "float16" ||
                      (cfg.model.dtype == "auto" && cuda);
    const double act = bf16 ? 2.0 : 4.0;
    // NF4: 0.5 byte per weight plus absmax (8-bit with double quant, fp32 without) per block.
    const double nf4 = 0.5 + (cfg.quant.double_quant ? 1.0 : 4.0) / cfg.quant.blocksize;
    e.weight_bytes = e.base_params * (cfg.quant.load_in_4bit ? nf4 : act);
    const double adam = cfg.training.optimizer == "adamw" ? 8.0 : 2.0;
    e.train_state_bytes = e.lora_params * (4.0 + 4.0 + adam);
    // DDP (core/train/distributed.h): the LoRA gradients are copied into fp32 buckets for the
    // all-reduce; about one flat copy of them per rank.
    e.allreduce_bytes = e.world_size > 1 ? e.lora_params * 4.0 : 0.0;
    const double tokens = static_cast<double>(cfg.training.batch_size * cfg.model.max_length);
    // Stored activations per token and layer, calibrated against `bench train` on an H200
    // (TinyLlama shape, bf16, 4 x 512, r16 q/k/v/o: reference 7.96 GB, fused 4.21 GB peak).
    // Reference backend (autograd): ~24*H + 2*I values (attention and MLP intermediates, the
    // LoRA inputs and dropout outputs), plus the micro-batch's fp32 logits. Fused backend: what
    // its Functions keep (core/train/fused_ops.h): the layer input and the post-attention
    // residual (2*H), the MLP input only when gate/up carry LoRA (H), q after RoPE, k and v
    // (with their KV heads on CUDA in half precision, where SDPA reads GQA directly; repeated
    // to the query heads elsewhere), the attention output and the o_proj input (2*q), gate and
    // up (2*I). Dropout masks cost nothing on CUDA (regenerated from a seed); on CPU the noise
    // tensor of each LoRA input with dropout is kept. The cross-entropy holds one ~64 MiB
    // chunk of logits. With checkpointing either keeps the layer input (H) plus one layer's
    // worth during recomputation.
    const bool fused = cfg.training.backend == "fused";
    bool mlpInputKept = false;
    double maskBytes = 0;
    for (const auto& t : cfg.lora.target_modules) {
        mlpInputKept = mlpInputKept || t == "gate_proj" || t == "up_proj";
        if (fused && !cuda && cfg.lora.dropout > 0) maskBytes += dims(t).first * act;
    }
    const double kvKept = cuda && bf16 ? 2.0 * kv : 2.0 * q;
    const double fullLayer =
        fused ? ((mlpInputKept ? 3.0 : 2.0) * H + q + kvKept + 2.0 * q + 2.0 * I) * act + maskBytes
              : (24.0 * H + 2.0 * I) * act;
    const double perLayer =
        cfg.training.gradient_checkpointing ? H * act + fullLayer / std::max(L, 1.0) : fullLayer;
    const double logits = fused ? std::min(tokens * V * 4.0, 64.0 * 1024 * 1024) : tokens * V * 4.0;
    e.activation_bytes = tokens * L * perLayer + logits;
    e.total_bytes = e.weight_bytes + e.train_state_bytes + e.allreduce_bytes + e.activation_bytes;
    if (train_rows > 0) {
        // The global micro-batch is world_size x batch_size rows (trainer.h, data parallel).
        const double micro = std::ceil(static_cast<double>(train_rows) /
                                       static_cast<double>(cfg.training.batch_size * e.world_size));
        const double perEpoch = std::ceil(micro / cfg.training.gradient_accumulation_steps);
        e.steps = cfg.training.max_steps > 0 ? cfg.training.max_steps
                                             : perEpoch * static_cast<double>(cfg.training.epochs);
        // Assumed sustained throughput: 30 GFLOP/s on a CPU, 60 TFLOP/s on a modern GPU.
        e.assumed_flops = cuda ? 60e12 : 30e9;
        // Each rank computes its own micro-batches in parallel: a step costs one rank's work.
        const double stepTokens = tokens * cfg.training.gradient_accumulation_steps;
        e.seconds = e.steps * stepTokens * 4.0 * e.base_params / e.assumed_flops;
    }
    return e;
}

std::string format_resource_estimate(const ResourceEstimate& e) {
    auto gb = [](double b) { return b / 1e9; };
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  "estimate (rough, per rank, %lld rank%s):\n"
                  "  parameters   base %.3g, LoRA %.3g (%.3f%%)\n"
                  "  memory       %.2f GB = weights %.2f + LoRA/optimizer %.3f + all-reduce %.3f "
                  "+ activations %.2f\n",
                  static_cast<long long>(e.world_size), e.world_size == 1 ? "" : "s", e.base_params,
                  e.lora_params,
                  e.base_params > 0 ? 100.0 * e.lora_params / (e.base_params + e.lora_params) : 0.0,
                  gb(e.total_bytes), gb(e.weight_bytes), gb(e.train_state_bytes),
                  gb(e.allreduce_bytes), gb(e.activation_bytes));
    std::string out = buf;
    if (e.steps > 0) {
        std::snprintf(buf, sizeof buf,
                      "  time         %.0f steps, ~%.0f s at %.3g FLOP/s per device\n", e.steps,
                      e.seconds, e.assumed_flops);
        out += buf;
    } else {
        out += "  time         unknown (train rows not known)\n";
    }
    return out;
}

}  // namespace tb
