#include "widgets/config_text.h"

#include <QCoreApplication>
#include <QHash>

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

bool hasConfigSectionTitle(const std::string& section) {
    return sections().contains(QString::fromStdString(section));
}

}  // namespace tbui
