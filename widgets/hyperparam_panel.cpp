#include "widgets/hyperparam_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <climits>
#include <cmath>

#include "widgets/export.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }

// Presets embedded as resources (resources/tunebench.qrc): name -> resource path.
struct Preset {
    const char* name;
    const char* resource;
};
const Preset kPresets[] = {
    {QT_TRANSLATE_NOOP("tbui::HyperparamPanel", "Defaults"), ""},
    {QT_TRANSLATE_NOOP("tbui::HyperparamPanel", "Study: TinyLlama QLoRA on Dolly"),
     ":/presets/config.yaml"},
    {QT_TRANSLATE_NOOP("tbui::HyperparamPanel", "Demo workspace"), ":/presets/demo.yaml"},
};
}  // namespace

void ConfigDiffModel::setConfig(const tb::AppConfig& cfg) {
    beginResetModel();
    rows_.clear();
    for (const auto& f : tb::config_schema()) {
        auto v = tb::config_field_value(cfg, f.key);
        if (v.ok() && v.value() != f.default_value)
            rows_.append({qs(f.key), qs(f.default_value), qs(v.value())});
    }
    endResetModel();
}

int ConfigDiffModel::rowCount(const QModelIndex& p) const { return p.isValid() ? 0 : rows_.size(); }
int ConfigDiffModel::columnCount(const QModelIndex& p) const { return p.isValid() ? 0 : 3; }

QVariant ConfigDiffModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || role != Qt::DisplayRole) return {};
    const Row& r = rows_[index.row()];
    return index.column() == 0 ? r.key : index.column() == 1 ? r.def : r.cur;
}

QVariant ConfigDiffModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return section == 0 ? tr("Field") : section == 1 ? tr("Default") : tr("Current");
}

// ---------------------------------------------------------------------------------------------

ResourceEstimate estimateResources(const tb::AppConfig& cfg, const tb::LlamaConfig& m,
                                   int64_t trainRows, bool cuda) {
    ResourceEstimate e;
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
    e.total_bytes = e.weight_bytes + e.train_state_bytes + e.activation_bytes;
    if (trainRows > 0) {
        const double micro = std::ceil(static_cast<double>(trainRows) / cfg.training.batch_size);
        const double perEpoch = std::ceil(micro / cfg.training.gradient_accumulation_steps);
        e.steps = cfg.training.max_steps > 0 ? cfg.training.max_steps
                                             : perEpoch * static_cast<double>(cfg.training.epochs);
        // Assumed sustained throughput: 30 GFLOP/s on a CPU, 60 TFLOP/s on a modern GPU.
        e.assumed_flops = cuda ? 60e12 : 30e9;
        const double stepTokens = tokens * cfg.training.gradient_accumulation_steps;
        e.seconds = e.steps * stepTokens * 4.0 * e.base_params / e.assumed_flops;
    }
    return e;
}

// ---------------------------------------------------------------------------------------------

HyperparamPanel::HyperparamPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    presetCombo_ = new QComboBox(this);
    for (const auto& p : kPresets) presetCombo_->addItem(tr(p.name), QString::fromLatin1(p.name));
    auto* applyPresetButton = new QPushButton(tr("Apply preset"), this);
    auto* loadButton = new QPushButton(tr("&Load YAML…"), this);
    auto* saveButton = new QPushButton(tr("&Save YAML…"), this);
    top->addWidget(new QLabel(tr("Preset:"), this));
    top->addWidget(presetCombo_);
    top->addWidget(applyPresetButton);
    top->addStretch(1);
    top->addWidget(loadButton);
    top->addWidget(saveButton);
    layout->addLayout(top);

    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* tabs = new QTabWidget(split);
    tabs->setObjectName("sections");
    split->addWidget(tabs);
    auto* right = new QWidget(split);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    validationLabel_ = new QLabel(right);
    validationLabel_->setWordWrap(true);
    estimateLabel_ = new QLabel(right);
    estimateLabel_->setWordWrap(true);
    estimateLabel_->setTextFormat(Qt::RichText);
    diff_ = new ConfigDiffModel(this);
    auto* diffView = new QTableView(right);
    diffView->setModel(diff_);
    diffView->horizontalHeader()->setStretchLastSection(true);
    diffView->verticalHeader()->setVisible(false);
    auto* exportDiff = new QPushButton(tr("Export diff…"), right);
    rightLayout->addWidget(new QLabel(tr("<b>Validation</b>"), right));
    rightLayout->addWidget(validationLabel_);
    rightLayout->addWidget(new QLabel(tr("<b>Estimate before launching</b>"), right));
    rightLayout->addWidget(estimateLabel_);
    rightLayout->addWidget(new QLabel(tr("<b>Changed from the defaults</b>"), right));
    rightLayout->addWidget(diffView, 1);
    rightLayout->addWidget(exportDiff);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    buildForm();
    refreshEditors();
    refreshDerived();

    connect(applyPresetButton, &QPushButton::clicked, this,
            [this] { applyPreset(presetCombo_->currentData().toString()); });
    connect(loadButton, &QPushButton::clicked, this, &HyperparamPanel::loadYaml);
    connect(saveButton, &QPushButton::clicked, this, &HyperparamPanel::saveYaml);
    connect(exportDiff, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, diff_, "config-diff"); });
}

void HyperparamPanel::buildForm() {
    auto* tabs = findChild<QTabWidget*>("sections");
    QMap<QString, QFormLayout*> forms;
    for (const auto& f : tb::config_schema()) {
        const QString section = qs(f.section);
        if (!forms.contains(section)) {
            auto* scroll = new QScrollArea(tabs);
            scroll->setWidgetResizable(true);
            auto* page = new QWidget(scroll);
            forms[section] = new QFormLayout(page);
            scroll->setWidget(page);
            tabs->addTab(scroll, section);
        }
        QFormLayout* form = forms[section];
        QWidget* page = form->parentWidget();
        const QString key = qs(f.key);
        QString tip = qs(f.description);
        if (!f.range.empty()) tip += "\n" + tr("Allowed: %1").arg(qs(f.range));
        tip += "\n" + tr("Default: %1").arg(qs(f.default_value));
        QWidget* editor = nullptr;
        auto commit = [this, key](const QString& text) {
            if (updating_) return;
            editField(key, text);
        };
        switch (f.type) {
            case tb::ConfigFieldType::Integer: {
                auto* spin = new QSpinBox(page);
                double lo = f.min ? *f.min + (f.min_exclusive ? 1 : 0) : INT_MIN;
                double hi = f.max ? *f.max - (f.max_exclusive ? 1 : 0) : INT_MAX;
                if (f.sentinel) {
                    lo = std::min<double>(lo, static_cast<double>(*f.sentinel));
                    if (static_cast<double>(*f.sentinel) == lo)
                        spin->setSpecialValueText(qs(f.sentinel_meaning));
                }
                spin->setRange(static_cast<int>(std::max<double>(lo, INT_MIN)),
                               static_cast<int>(std::min<double>(hi, INT_MAX)));
                connect(spin, &QSpinBox::valueChanged, this,
                        [commit](int v) { commit(QString::number(v)); });
                editor = spin;
                break;
            }
            case tb::ConfigFieldType::Boolean: {
                auto* box = new QCheckBox(page);
                connect(box, &QCheckBox::toggled, this,
                        [commit](bool b) { commit(b ? "true" : "false"); });
                editor = box;
                break;
            }
            case tb::ConfigFieldType::Choice: {
                auto* combo = new QComboBox(page);
                for (const auto& c : f.choices) combo->addItem(qs(c));
                connect(combo, &QComboBox::currentTextChanged, this, commit);
                editor = combo;
                break;
            }
            default: {  // Number, String, StringList: typed as YAML text ("2e-4", "[q_proj]")
                auto* edit = new QLineEdit(page);
                connect(edit, &QLineEdit::editingFinished, this,
                        [edit, commit] { commit(edit->text()); });
                editor = edit;
                break;
            }
        }
        editor->setToolTip(tip);
        editor->setObjectName(key);
        auto* message = new QLabel(page);
        message->setStyleSheet("color: #c01c28;");
        message->setWordWrap(true);
        message->setVisible(false);
        auto* cell = new QWidget(page);
        auto* v = new QVBoxLayout(cell);
        v->setContentsMargins(0, 0, 0, 0);
        v->addWidget(editor);
        v->addWidget(message);
        auto* label = new QLabel(qs(f.name) + ":", page);
        label->setToolTip(tip);
        form->addRow(label, cell);
        editors_[key] = editor;
        messages_[key] = message;
    }
}

void HyperparamPanel::refreshEditors() {
    updating_ = true;
    for (auto it = editors_.begin(); it != editors_.end(); ++it) {
        auto v = tb::config_field_value(cfg_, it.key().toStdString());
        if (!v.ok()) continue;
        const QString text = qs(v.value());
        if (auto* spin = qobject_cast<QSpinBox*>(it.value())) {
            spin->setValue(text.toInt());
        } else if (auto* box = qobject_cast<QCheckBox*>(it.value())) {
            box->setChecked(text == "true");
        } else if (auto* combo = qobject_cast<QComboBox*>(it.value())) {
            combo->setCurrentText(text);
        } else if (auto* edit = qobject_cast<QLineEdit*>(it.value())) {
            // Strings come back YAML-quoted ("\"outputs\""); show them bare when unambiguous.
            QString t = text;
            if (t.size() >= 2 && t.startsWith('"') && t.endsWith('"') && !t.contains("\\"))
                t = t.mid(1, t.size() - 2);
            edit->setText(t);
        }
        messages_[it.key()]->setVisible(false);
    }
    updating_ = false;
}

QString HyperparamPanel::editField(const QString& key, const QString& yamlValue) {
    tb::AppConfig copy = cfg_;
    tb::Status st = tb::set_config_field(copy, key.toStdString(), yamlValue.toStdString());
    QLabel* message = messages_.value(key);
    if (!st.ok()) {
        const QString msg = qs(st.error().message);
        if (message) {
            message->setText(msg);
            message->setVisible(true);
        }
        return msg;
    }
    if (message) message->setVisible(false);
    cfg_ = copy;
    refreshDerived();
    Q_EMIT configChanged();
    return {};
}

void HyperparamPanel::setConfig(const tb::AppConfig& cfg) {
    cfg_ = cfg;
    refreshEditors();
    refreshDerived();
    Q_EMIT configChanged();
}

QStringList HyperparamPanel::presetNames() const {
    QStringList n;
    for (const auto& p : kPresets) n << QString::fromLatin1(p.name);
    return n;
}

bool HyperparamPanel::applyPreset(const QString& name) {
    for (const auto& p : kPresets) {
        if (name != QLatin1String(p.name)) continue;
        tb::AppConfig next;
        if (*p.resource) {
            QFile f(QString::fromLatin1(p.resource));
            if (!f.open(QIODevice::ReadOnly)) return false;
            auto parsed = tb::parse_app_config(f.readAll().toStdString(), p.resource);
            if (!parsed.ok()) {
                validationLabel_->setText(qs(parsed.error().message));
                return false;
            }
            next = parsed.value();
        }
        // Keep the workspace's model, data and output paths: a preset is about hyperparameters.
        next.model.name = cfg_.model.name;
        next.data.path = cfg_.data.path;
        next.training.output_dir = cfg_.training.output_dir;
        next.base_dir = cfg_.base_dir;
        setConfig(next);
        return true;
    }
    return false;
}

void HyperparamPanel::setWorkspacePaths(const QString& modelDir, const QString& dataPath,
                                        const QString& outputDir, bool demo) {
    if (demo) applyPreset("Demo workspace");
    cfg_.model.name = modelDir.toStdString();
    cfg_.data.path = dataPath.toStdString();
    cfg_.training.output_dir = outputDir.toStdString();
    setConfig(cfg_);
}

void HyperparamPanel::setTrainRows(qint64 rows) {
    trainRows_ = rows;
    refreshDerived();
}

void HyperparamPanel::refreshDerived() {
    tb::Status st = tb::validate_app_config(cfg_);
    validation_ = st.ok() ? QString() : qs(st.error().message);
    validationLabel_->setText(st.ok() ? tr("The configuration is valid.") : validation_);
    validationLabel_->setStyleSheet(st.ok() ? "color: #26a269;" : "color: #c01c28;");
    diff_->setConfig(cfg_);

    const std::string modelDir = tb::resolve_model_path(cfg_);
    auto mc = tb::load_llama_config(modelDir + "/config.json");
    if (!mc.ok()) {
        estimateLabel_->setText(
            tr("No estimate: the model folder's config.json is not readable (%1).")
                .arg(qs(mc.error().message)));
        return;
    }
    const bool cuda = cfg_.model.device.rfind("cuda", 0) == 0;
    const ResourceEstimate e = estimateResources(cfg_, mc.value(), trainRows_, cuda);
    auto gib = [](double b) { return QString::number(b / (1024.0 * 1024 * 1024), 'f', 2); };
    QString text = tr("Base parameters: %1 M; LoRA parameters: %2 M<br>"
                      "Memory (rough): %3 GiB = weights %4 + LoRA training state %5 + "
                      "activations %6")
                       .arg(e.base_params / 1e6, 0, 'f', 1)
                       .arg(e.lora_params / 1e6, 0, 'f', 2)
                       .arg(gib(e.total_bytes), gib(e.weight_bytes), gib(e.train_state_bytes),
                            gib(e.activation_bytes));
    if (e.steps > 0) {
        text += "<br>" + tr("Time (rough, %1 optimizer steps at an assumed %2 GFLOP/s): %3 h")
                             .arg(e.steps, 0, 'f', 0)
                             .arg(e.assumed_flops / 1e9, 0, 'f', 0)
                             .arg(e.seconds / 3600.0, 0, 'f', 2);
    } else {
        text += "<br>" + tr("Time: load the dataset to estimate the number of steps.");
    }
    estimateLabel_->setText(text);
}

void HyperparamPanel::loadYaml() {
    const QString path =
        tbui::getOpenFileName(this, tr("Load configuration"), QString(), tr("YAML (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    auto r = tb::load_app_config(path.toStdString());
    if (!r.ok()) {
        QMessageBox::warning(this, tr("Load configuration"), qs(r.error().message));
        return;
    }
    setConfig(r.value());
}

void HyperparamPanel::saveYaml() {
    const QString path = tbui::getSaveFileName(this, tr("Save configuration"), "config.yaml",
                                               tr("YAML (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) ||
        f.write(QByteArray::fromStdString(tb::app_config_to_yaml(cfg_))) < 0 || !f.commit()) {
        QMessageBox::warning(this, tr("Save configuration"), tr("Could not write %1").arg(path));
    }
}

}  // namespace tbui
