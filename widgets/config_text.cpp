#include "widgets/config_text.h"

#include <QCoreApplication>
#include <QHash>
#include <QLocale>
#include <QStringList>

#include "core/config/app_config.h"

namespace tbui {

namespace {

const QHash<QString, const char*>& sections() {
    static const QHash<QString, const char*> t = {
        {"model", QT_TRANSLATE_NOOP("tbui::ConfigText", "Model")},
        {"lora", QT_TRANSLATE_NOOP("tbui::ConfigText", "LoRA")},
        {"quant", QT_TRANSLATE_NOOP("tbui::ConfigText", "Quantisation")},
        {"training", QT_TRANSLATE_NOOP("tbui::ConfigText", "Training")},
        {"data", QT_TRANSLATE_NOOP("tbui::ConfigText", "Data")},
        {"eval", QT_TRANSLATE_NOOP("tbui::ConfigText", "Evaluation")},
        {"inference", QT_TRANSLATE_NOOP("tbui::ConfigText", "Inference")},
    };
    return t;
}

const QHash<QString, const char*>& labels() {
    static const QHash<QString, const char*> t = {
        // model
        {"name", QT_TRANSLATE_NOOP("tbui::ConfigText", "Model")},
        {"max_length", QT_TRANSLATE_NOOP("tbui::ConfigText", "Max length (tokens)")},
        {"dtype", QT_TRANSLATE_NOOP("tbui::ConfigText", "Data type")},
        {"device", QT_TRANSLATE_NOOP("tbui::ConfigText", "Device")},
        // lora
        {"r", QT_TRANSLATE_NOOP("tbui::ConfigText", "Rank (r)")},
        {"alpha", QT_TRANSLATE_NOOP("tbui::ConfigText", "Alpha")},
        {"dropout", QT_TRANSLATE_NOOP("tbui::ConfigText", "Dropout")},
        {"target_modules", QT_TRANSLATE_NOOP("tbui::ConfigText", "Target modules")},
        {"use_rslora", QT_TRANSLATE_NOOP("tbui::ConfigText", "Use rsLoRA")},
        {"use_dora", QT_TRANSLATE_NOOP("tbui::ConfigText", "Use DoRA")},
        {"init", QT_TRANSLATE_NOOP("tbui::ConfigText", "Initialisation")},
        // quant
        {"load_in_4bit", QT_TRANSLATE_NOOP("tbui::ConfigText", "Load in 4 bits")},
        {"quant_type", QT_TRANSLATE_NOOP("tbui::ConfigText", "4-bit type")},
        {"double_quant", QT_TRANSLATE_NOOP("tbui::ConfigText", "Double quantisation")},
        {"blocksize", QT_TRANSLATE_NOOP("tbui::ConfigText", "Block size")},
        {"compute_dtype", QT_TRANSLATE_NOOP("tbui::ConfigText", "Compute data type")},
        // training
        {"epochs", QT_TRANSLATE_NOOP("tbui::ConfigText", "Epochs")},
        {"batch_size", QT_TRANSLATE_NOOP("tbui::ConfigText", "Batch size")},
        {"learning_rate", QT_TRANSLATE_NOOP("tbui::ConfigText", "Learning rate")},
        {"gradient_accumulation_steps",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Gradient accumulation steps")},
        {"optimizer", QT_TRANSLATE_NOOP("tbui::ConfigText", "Optimizer")},
        {"weight_decay", QT_TRANSLATE_NOOP("tbui::ConfigText", "Weight decay")},
        {"max_grad_norm", QT_TRANSLATE_NOOP("tbui::ConfigText", "Max gradient norm")},
        {"lr_scheduler", QT_TRANSLATE_NOOP("tbui::ConfigText", "LR scheduler")},
        {"warmup_steps", QT_TRANSLATE_NOOP("tbui::ConfigText", "Warmup steps")},
        {"warmup_ratio", QT_TRANSLATE_NOOP("tbui::ConfigText", "Warmup ratio")},
        {"seed", QT_TRANSLATE_NOOP("tbui::ConfigText", "Seed")},
        {"backend", QT_TRANSLATE_NOOP("tbui::ConfigText", "Backend")},
        {"gradient_checkpointing", QT_TRANSLATE_NOOP("tbui::ConfigText", "Gradient checkpointing")},
        {"cuda_graphs", QT_TRANSLATE_NOOP("tbui::ConfigText", "CUDA graphs")},
        {"bf16", QT_TRANSLATE_NOOP("tbui::ConfigText", "bf16 autocast")},
        {"nproc_per_node", QT_TRANSLATE_NOOP("tbui::ConfigText", "Processes per node")},
        {"eval_steps", QT_TRANSLATE_NOOP("tbui::ConfigText", "Eval every (steps)")},
        {"save_steps", QT_TRANSLATE_NOOP("tbui::ConfigText", "Save every (steps)")},
        {"logging_steps", QT_TRANSLATE_NOOP("tbui::ConfigText", "Log every (steps)")},
        {"max_steps", QT_TRANSLATE_NOOP("tbui::ConfigText", "Max steps")},
        {"output_dir", QT_TRANSLATE_NOOP("tbui::ConfigText", "Output folder")},
        // data
        {"path", QT_TRANSLATE_NOOP("tbui::ConfigText", "Dataset file")},
        {"format", QT_TRANSLATE_NOOP("tbui::ConfigText", "Format")},
        {"instruction_column", QT_TRANSLATE_NOOP("tbui::ConfigText", "Instruction column")},
        {"context_column", QT_TRANSLATE_NOOP("tbui::ConfigText", "Context column")},
        {"response_column", QT_TRANSLATE_NOOP("tbui::ConfigText", "Response column")},
        {"category_column", QT_TRANSLATE_NOOP("tbui::ConfigText", "Category column")},
        {"train_ratio", QT_TRANSLATE_NOOP("tbui::ConfigText", "Train ratio")},
        {"val_ratio", QT_TRANSLATE_NOOP("tbui::ConfigText", "Validation ratio")},
        {"test_ratio", QT_TRANSLATE_NOOP("tbui::ConfigText", "Test ratio")},
        {"split_seed", QT_TRANSLATE_NOOP("tbui::ConfigText", "Split seed")},
        {"stratify", QT_TRANSLATE_NOOP("tbui::ConfigText", "Stratify by category")},
        {"prompt_template", QT_TRANSLATE_NOOP("tbui::ConfigText", "Prompt template")},
        {"loss_on", QT_TRANSLATE_NOOP("tbui::ConfigText", "Loss on")},
        {"packing", QT_TRANSLATE_NOOP("tbui::ConfigText", "Packing")},
        {"skip_bad_rows", QT_TRANSLATE_NOOP("tbui::ConfigText", "Skip bad rows")},
        // eval
        {"metrics", QT_TRANSLATE_NOOP("tbui::ConfigText", "Metrics")},
        {"max_new_tokens", QT_TRANSLATE_NOOP("tbui::ConfigText", "Max new tokens")},
        {"limit", QT_TRANSLATE_NOOP("tbui::ConfigText", "Test rows")},
        {"bertscore_model", QT_TRANSLATE_NOOP("tbui::ConfigText", "BERTScore model")},
        // inference
        {"engine", QT_TRANSLATE_NOOP("tbui::ConfigText", "Engine")},
        {"quant", QT_TRANSLATE_NOOP("tbui::ConfigText", "Quant format")},
    };
    return t;
}

// The schema's descriptions (core/config/config_fields.cpp, English) by YAML key, for the
// tooltips. The English here must equal the schema's (checked: configFieldDescription falls
// back to the schema's text when it does not, and test_gui_hyperparams fails).
const QHash<QString, const char*>& descriptions() {
    static const QHash<QString, const char*> t = {
        {"model.name",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Hugging Face model id or local model folder (relative to the config)")},
        {"model.max_length",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Maximum tokens per training sequence; longer rows are truncated")},
        {"model.dtype",
         QT_TRANSLATE_NOOP(
             "tbui::ConfigText",
             "Weight dtype of the base model (auto: bfloat16 on CUDA, float32 on CPU)")},
        {"model.device", QT_TRANSLATE_NOOP("tbui::ConfigText", "Device to train and evaluate on")},
        {"lora.r", QT_TRANSLATE_NOOP("tbui::ConfigText", "LoRA rank")},
        {"lora.alpha",
         QT_TRANSLATE_NOOP(
             "tbui::ConfigText",
             "LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)")},
        {"lora.dropout",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Dropout probability on the LoRA branch input")},
        {"lora.target_modules",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Projections that get LoRA adapters")},
        {"lora.use_rslora",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Rank-stabilised LoRA: scale by alpha / sqrt(r)")},
        {"lora.use_dora",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "DoRA: learn a magnitude vector per output besides the LoRA direction")},
        {"lora.init", QT_TRANSLATE_NOOP("tbui::ConfigText",
                                        "LoRA init as in PEFT: default = Kaiming-uniform A, zero "
                                        "B; gaussian = normal A (std 1/r), zero B")},
        {"quant.load_in_4bit",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "QLoRA: store the frozen base linears as 4-bit NF4")},
        {"quant.quant_type",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "4-bit data type (NF4, the QLoRA paper's NormalFloat)")},
        {"quant.double_quant",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Quantise the per-block absmax values again (8-bit, blocks of 256)")},
        {"quant.blocksize",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Weights per quantisation block")},
        {"quant.compute_dtype",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Dtype the 4-bit weights are dequantised to for matmuls (auto: bfloat16 "
                           "on CUDA, float32 on CPU)")},
        {"training.epochs", QT_TRANSLATE_NOOP("tbui::ConfigText", "Passes over the train split")},
        {"training.batch_size", QT_TRANSLATE_NOOP("tbui::ConfigText", "Sequences per micro-batch")},
        {"training.learning_rate",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Peak learning rate (after warmup)")},
        {"training.gradient_accumulation_steps",
         QT_TRANSLATE_NOOP(
             "tbui::ConfigText",
             "Micro-batches per optimizer step (effective batch = batch_size x this)")},
        {"training.optimizer",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "AdamW, 8-bit AdamW (blockwise-quantised states) or 8-bit AdamW with "
                           "states paged to host memory (CUDA)")},
        {"training.weight_decay",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Decoupled weight decay of AdamW")},
        {"training.max_grad_norm",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Clip the total gradient norm to this value (0: no clipping)")},
        {"training.lr_scheduler",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Learning-rate schedule after warmup")},
        {"training.warmup_steps",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Linear warmup steps (takes precedence over warmup_ratio when > 0)")},
        {"training.warmup_ratio",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Warmup as a fraction of the total optimizer steps")},
        {"training.seed",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Seed for LoRA init, dropout and data order")},
        {"training.backend",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "reference: plain libtorch autograd; fused: hand-written "
                           "LoRA/RMSNorm/RoPE/SwiGLU kernels and chunked cross-entropy")},
        {"training.gradient_checkpointing",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Recompute decoder layers during backward to save memory")},
        {"training.cuda_graphs",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "fused backend on CUDA: record forward + backward once as a CUDA graph "
                           "and replay it (micro-batches padded to batch_size x max_length)")},
        {"training.bf16",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "bf16 autocast on CUDA (ignored on CPU)")},
        {"training.nproc_per_node",
         QT_TRANSLATE_NOOP(
             "tbui::ConfigText",
             "GPUs (data-parallel ranks) on this machine: one process per GPU over NCCL on CUDA, "
             "Gloo processes on CPU; the global batch is this x batch_size")},
        {"training.eval_steps",
         QT_TRANSLATE_NOOP(
             "tbui::ConfigText",
             "Validation loss every N optimizer steps (0: at the end of each epoch)")},
        {"training.save_steps",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Checkpoint every N optimizer steps (0: at the end of each epoch)")},
        {"training.logging_steps",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Write a log record every N optimizer steps")},
        {"training.max_steps",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Stop after this many optimizer steps")},
        {"training.output_dir",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Runs are written to <output_dir>/<backend>/<YYYYMMDD_HHMMSS>/")},
        {"data.path",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Dataset file (relative paths resolve against the config's folder)")},
        {"data.format", QT_TRANSLATE_NOOP("tbui::ConfigText",
                                          "Dataset format: Dolly JSONL, Alpaca JSON/JSONL, chat "
                                          "messages JSONL, ShareGPT conversations, CSV")},
        {"data.instruction_column",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "CSV: column with the instruction")},
        {"data.context_column",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "CSV: column with the context (optional; absent column = no context)")},
        {"data.response_column",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "CSV: column with the response")},
        {"data.category_column",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "CSV: column with the category (optional)")},
        {"data.train_ratio",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Fraction of rows in the train split")},
        {"data.val_ratio",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Fraction of rows in the validation split")},
        {"data.test_ratio",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Fraction of rows in the test split")},
        {"data.split_seed",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Seed of the train/val/test split (same seed, same split everywhere)")},
        {"data.stratify", QT_TRANSLATE_NOOP("tbui::ConfigText",
                                            "Keep each category's share the same in every split")},
        {"data.prompt_template",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "chat: the model's chat template; instruction: Alpaca-style ### "
                           "Instruction / ### Response text (base models)")},
        {"data.loss_on",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Tokens that contribute to the loss: the response only, or all")},
        {"data.packing",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Pack several short rows into one max_length sequence (each attends "
                           "only to itself; positions restart per row)")},
        {"data.skip_bad_rows",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Skip malformed rows and report them instead of stopping")},
        {"eval.metrics",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Generation metrics computed on the test split")},
        {"eval.max_new_tokens",
         QT_TRANSLATE_NOOP("tbui::ConfigText", "Tokens generated per test prompt")},
        {"eval.limit", QT_TRANSLATE_NOOP("tbui::ConfigText", "Number of test rows to evaluate")},
        {"eval.batch_size", QT_TRANSLATE_NOOP("tbui::ConfigText", "Prompts generated together")},
        {"eval.bertscore_model",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Model folder or Hugging Face id used by BERTScore")},
        {"inference.engine",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Inference engine of evaluate and the compare panel: eager (forward per "
                           "token over a KV cache), graph (CUDA graphs, CUDA only), quant "
                           "(weight-only quantized), paged (paged KV cache, continuous batching)")},
        {"inference.quant",
         QT_TRANSLATE_NOOP("tbui::ConfigText",
                           "Weight format of the quant engine: q8_0 (8.5 bits per weight, "
                           "llama.cpp's Q8_0) or nf4 (4.13 bits, QLoRA's NF4)")},
    };
    return t;
}

QString translated(const char* source) {
    return QCoreApplication::translate("tbui::ConfigText", source);
}

}  // namespace

QString configSectionTitle(const std::string& section) {
    const QString s = QString::fromStdString(section);
    auto it = sections().find(s);
    return it == sections().end() ? s : translated(it.value());
}

QString configFieldLabel(const std::string& name) {
    const QString n = QString::fromStdString(name);
    auto it = labels().find(n);
    if (it != labels().end()) return translated(it.value());
    QString out = n;
    out.replace('_', ' ');
    if (!out.isEmpty()) out[0] = out[0].toUpper();
    return out;
}

bool hasConfigFieldLabel(const std::string& name) {
    return labels().contains(QString::fromStdString(name));
}

QString configFieldDescription(const std::string& key, const std::string& english) {
    auto it = descriptions().find(QString::fromStdString(key));
    if (it == descriptions().end() || english != it.value()) return QString::fromStdString(english);
    return translated(it.value());
}

QString configSentinelMeaning(const std::string& english) {
    // The schema's two sentinels; others stay as the schema writes them.
    if (english == "derived from epochs")
        return QCoreApplication::translate("tbui::ConfigText", "derived from epochs");
    if (english == "the whole test split")
        return QCoreApplication::translate("tbui::ConfigText", "the whole test split");
    return QString::fromStdString(english);
}

// The same facts as the schema's English range text (config_fields.cpp), worded in the current
// language from the structured fields.
QString configFieldRange(const tb::ConfigFieldInfo& f) {
    auto num = [](double v) { return QLocale().toString(v, 'g', 12); };
    auto list = [](const std::vector<std::string>& v) {
        QStringList out;
        for (const auto& s : v) out << QString::fromStdString(s);
        return out.join(", ");
    };
    using T = tb::ConfigFieldType;
    if (f.type == T::Boolean)
        return QCoreApplication::translate("tbui::ConfigText", "true or false");
    if (f.type == T::String) return QCoreApplication::translate("tbui::ConfigText", "any text");
    QString r;
    if (f.type == T::Choice) {
        r = QCoreApplication::translate("tbui::ConfigText", "one of %1").arg(list(f.choices));
    } else if (f.type == T::StringList) {
        r = f.choices.empty() ? QCoreApplication::translate("tbui::ConfigText", "list of texts")
                              : QCoreApplication::translate("tbui::ConfigText", "list of %1")
                                    .arg(list(f.choices));
    } else if (f.min && f.max) {
        r = QString(f.min_exclusive ? "(" : "[") + num(*f.min) + "; " + num(*f.max) +
            (f.max_exclusive ? ")" : "]");
    } else if (f.min) {
        r = QString(f.min_exclusive ? "> " : "≥ ") + num(*f.min);
    } else if (f.max) {
        r = QString(f.max_exclusive ? "< " : "≤ ") + num(*f.max);
    }
    if (f.sentinel)
        r = QCoreApplication::translate("tbui::ConfigText", "%1 (%2) or %3")
                .arg(QString::number(*f.sentinel), configSentinelMeaning(f.sentinel_meaning), r);
    return r;
}

bool hasConfigFieldDescription(const std::string& key, const std::string& english) {
    auto it = descriptions().find(QString::fromStdString(key));
    return it != descriptions().end() && english == it.value();
}

bool hasConfigSectionTitle(const std::string& section) {
    return sections().contains(QString::fromStdString(section));
}

}  // namespace tbui
