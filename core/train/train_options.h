// The plain (torch-free) option types of a training run: prompt template, LoRA init, AdamW
// hyperparameters and learning-rate schedule kind. They live here rather than beside the code
// that uses them (batching.h, lora_injection.h, optimizer.h pull in libtorch) so that the run's
// public header (trainer.h) and the front-ends that fill it compile without torch.
#pragma once

#include <string>

#include "core/common/error.h"

namespace tb {

enum class PromptTemplate { Chat, Instruction };

// "chat" / "instruction".
Result<PromptTemplate> parse_prompt_template(const std::string& name);

enum class LoraInit {
    Kaiming,   // PEFT's default (init_lora_weights=True)
    Gaussian,  // init_lora_weights="gaussian"
};

// "default" -> Kaiming, "gaussian" -> Gaussian.
Result<LoraInit> parse_lora_init(const std::string& name);

struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  // decoupled: p *= 1 - lr * weight_decay
};

// Learning-rate schedules after warmup (transformers.optimization).
enum class ScheduleKind { Constant, Linear, Cosine };

// "constant", "linear", "cosine".
Result<ScheduleKind> parse_schedule(const std::string& name);

}  // namespace tb
