// AdamW, learning-rate schedules and gradient clipping, written to match PyTorch and
// transformers exactly (same formulas, same order of floating-point operations).
//
// AdamW is implemented by hand with tensor ops rather than torch::optim::AdamW so that its
// state (step count, first and second moments) is plain tensors we checkpoint ourselves, and
// so that the 8-bit variant (core/quant) can replace the moment storage behind the same
// interface. The update is torch.optim.AdamW's single-tensor path (torch/optim/adam.py,
// _single_tensor_adam with decoupled weight decay), per parameter p with gradient g:
//   step += 1
//   p  *= 1 - lr * weight_decay                      (decoupled weight decay)
//   m   = lerp(m, g, 1 - beta1)                      (= beta1 m + (1 - beta1) g)
//   v   = beta2 v + (1 - beta2) g*g
//   bc1 = 1 - beta1^step;  bc2 = 1 - beta2^step      (double precision, like Python floats)
//   denom = sqrt(v) / sqrt(bc2) + eps                (eps outside the square root)
//   p  -= (lr / bc1) * m / denom
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/train/lora_injection.h"
#include "core/train/train_options.h"  // AdamWOptions, ScheduleKind

namespace tb {

// The interface the trainer drives; core/quant's 8-bit AdamW implements it too.
class Optimizer {
  public:
    virtual ~Optimizer() = default;
    // One update of every parameter that has a gradient, with learning rate `lr`.
    virtual Status step(double lr) = 0;
    // Drops the gradients (set_to_none semantics, like zero_grad(set_to_none=True)).
    virtual void zero_grad() = 0;
    // Number of completed step() calls (one count for all parameters: every LoRA tensor
    // receives a gradient every step, so per-parameter counts as in torch would be equal).
    virtual int64_t steps() const = 0;
    // Writes/reads the whole state to/from a safetensors file (atomically). load() checks that
    // the parameter names and shapes match the ones the optimizer was built with.
    virtual Status save(const std::string& path) const = 0;
    virtual Status load(const std::string& path) = 0;
    // Bytes held by the optimizer state (moments).
    virtual int64_t state_bytes() const = 0;
};

class AdamW : public Optimizer {
  public:
    // `params` are leaves with requires_grad; their storage is updated in place.
    AdamW(std::vector<NamedParameter> params, const AdamWOptions& options);

    Status step(double lr) override;
    void zero_grad() override;
    int64_t steps() const override { return step_; }
    Status save(const std::string& path) const override;
    Status load(const std::string& path) override;
    int64_t state_bytes() const override;

    const AdamWOptions& options() const { return opt_; }
    // First/second moments of parameter i (undefined before its first update).
    const at::Tensor& exp_avg(size_t i) const { return m_[i]; }
    const at::Tensor& exp_avg_sq(size_t i) const { return v_[i]; }

  private:
    std::vector<NamedParameter> params_;
    std::vector<at::Tensor> m_, v_;
    AdamWOptions opt_;
    int64_t step_ = 0;
};

// "adamw" -> AdamW; "adamw_8bit" / "paged_adamw_8bit" -> core/quant's blockwise 8-bit AdamW
// (bitsandbytes' AdamW8bit / PagedAdamW8bit; paging only changes anything on CUDA) behind the
// same interface. Error names training.optimizer for another name.
Result<std::unique_ptr<Optimizer>> make_optimizer(const std::string& name,
                                                  std::vector<NamedParameter> params,
                                                  const AdamWOptions& options);

// torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2): total = 2-norm of the
// per-tensor 2-norms of all gradients; every gradient is multiplied by
// clamp(max_norm / (total + 1e-6), max=1). max_norm <= 0 only measures. Returns the total
// norm before clipping (as a double; computed in fp32 like torch for fp32 grads).
double clip_grad_norm(const std::vector<NamedParameter>& params, double max_norm);

// --- learning-rate schedules (transformers.optimization) ---------------------------------

struct Schedule {
    ScheduleKind kind = ScheduleKind::Linear;
    double base_lr = 2e-4;
    int64_t warmup_steps = 0;
    int64_t total_steps = 1;
    double num_cycles = 0.5;  // cosine: half a cosine wave from peak to zero

    // The multiplier transformers' lr_lambda returns for scheduler position `step`:
    //   warmup (step < warmup): step / max(1, warmup)
    //   constant:               1
    //   linear:  max(0, (total - step) / max(1, total - warmup))
    //   cosine:  p = (step - warmup) / max(1, total - warmup);
    //            max(0, 0.5 (1 + cos(pi * num_cycles * 2 p)))
    // (get_constant_schedule_with_warmup, get_linear_schedule_with_warmup,
    //  get_cosine_schedule_with_warmup). With warmup 0, constant is get_constant_schedule.
    double factor(int64_t step) const;
    // The learning rate optimizer step `step` (0-based) runs with: base_lr * factor(step)
    // (Trainer calls optimizer.step() and then scheduler.step()).
    double lr(int64_t step) const { return base_lr * factor(step); }
};

// Warmup in steps: `warmup_steps` when > 0, else ceil(total * warmup_ratio) as transformers'
// TrainingArguments.get_warmup_steps.
int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

}  // namespace tb
