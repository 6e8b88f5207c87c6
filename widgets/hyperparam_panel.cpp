#include "widgets/hyperparam_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHash>
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
#include <optional>

#include "widgets/config_text.h"
#include "widgets/export.h"
#include "widgets/language.h"
#include "widgets/qstring_of.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

namespace {
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

// A preset's config (defaults for an empty resource); nullopt with `error` when unreadable.
std::optional<tb::AppConfig> presetConfig(const char* resource, QString* error) {
    if (!*resource) return tb::AppConfig{};
    QFile f(QString::fromLatin1(resource));
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QString::fromLatin1(resource);
        return std::nullopt;
    }
    auto parsed = tb::parse_app_config(f.readAll().toStdString(), resource);
    if (!parsed.ok()) {
        *error = q(parsed.error().message);
        return std::nullopt;
    }
    return parsed.value();
}

bool samePath(const QString& a, const QString& b) {
    const QFileInfo fa(a), fb(b);
    if (fa.exists() && fb.exists()) return fa.canonicalFilePath() == fb.canonicalFilePath();
    return QDir::cleanPath(fa.absoluteFilePath()) == QDir::cleanPath(fb.absoluteFilePath());
}

// The config written into another folder: relative paths resolve against the config file's
// folder, so those that named something relative to the old folder become absolute (a model
// name that is no local folder is a Hugging Face id and stays as it is).
tb::AppConfig rebased(tb::AppConfig cfg, const std::string& dir) {
    if (cfg.base_dir.empty() || samePath(q(cfg.base_dir), q(dir))) {
        cfg.base_dir = dir;
        return cfg;
    }
    auto absolute = [&](std::string& path, bool onlyExisting) {
        if (path.empty() || QFileInfo(q(path)).isAbsolute()) return;
        const std::string resolved = tb::resolve_path(cfg.base_dir, path);
        if (onlyExisting && !QFileInfo::exists(q(resolved))) return;
        path = resolved;
    };
    absolute(cfg.model.name, true);
    absolute(cfg.data.path, false);
    absolute(cfg.training.output_dir, false);
    absolute(cfg.eval.bertscore_model, true);
    cfg.base_dir = dir;
    return cfg;
}
}  // namespace

void ConfigDiffModel::setConfig(const tb::AppConfig& cfg) {
    beginResetModel();
    rows_.clear();
    for (const auto& f : tb::config_schema()) {
        auto v = tb::config_field_value(cfg, f.key);
        if (v.ok() && v.value() != f.default_value)
            rows_.append({q(f.key), q(f.default_value), q(v.value())});
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
    return tb::estimate_resources(cfg, m, trainRows, cuda);
}

// ---------------------------------------------------------------------------------------------

HyperparamPanel::HyperparamPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    presetCombo_ = new QComboBox(this);
    for (const auto& p : kPresets) presetCombo_->addItem(tr(p.name), QString::fromLatin1(p.name));
    auto* applyPresetButton = new QPushButton(tr("Apply preset"), this);
    auto* loadButton = new QPushButton(tr("&Load YAML…"), this);
    saveButton_ = new QPushButton(tr("&Save"), this);
    saveButton_->setObjectName("saveConfig");
    auto* saveAsButton = new QPushButton(tr("Save &as…"), this);
    fileLabel_ = new QLabel(this);
    fileLabel_->setObjectName("activeConfig");
    fileLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Wrapped, as the preset state: on one line the row was 1,250 px wide in Spanish.
    fileLabel_->setWordWrap(true);
    top->addWidget(new QLabel(tr("Preset:"), this));
    top->addWidget(presetCombo_);
    top->addWidget(applyPresetButton);
    // What the form holds: the combo only chooses; the preset counts as applied once Apply
    // preset has put its values in (and until a field is edited).
    auto* presetState = new QLabel(tr("No preset applied"), this);
    presetState->setObjectName("presetState");
    presetState->setWordWrap(true);
    top->addWidget(presetState);
    top->addStretch(1);
    top->addWidget(fileLabel_);
    top->addWidget(loadButton);
    top->addWidget(saveButton_);
    top->addWidget(saveAsButton);
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
    // Key and default as wide as their text, the value the rest (never cut to "...").
    diffView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    diffView->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    diffView->setTextElideMode(Qt::ElideMiddle);
    diffView->setWordWrap(false);
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
    // Half each: at 1280 px the diff's three columns were cut ("edeterminad", "Tiny...v1.0")
    // beside a form whose editors need far less than 60 % of the width.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    buildForm();
    refreshEditors();
    refreshDerived();

    connect(applyPresetButton, &QPushButton::clicked, this,
            [this] { applyPreset(presetCombo_->currentData().toString()); });
    connect(loadButton, &QPushButton::clicked, this, &HyperparamPanel::loadYaml);
    connect(saveButton_, &QPushButton::clicked, this, &HyperparamPanel::saveYaml);
    connect(saveAsButton, &QPushButton::clicked, this, &HyperparamPanel::saveYamlAs);
    connect(exportDiff, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, diff_, "config-diff"); });
}

// The YAML key first (the label is for people, the key for the config file), then what the
// field does, its allowed values and default, in the current language (widgets/config_text.h).
QString HyperparamPanel::fieldToolTip(const tb::ConfigFieldInfo& f) {
    QString tip =
        tr("YAML key: %1").arg(q(f.key)) + "\n" + configFieldDescription(f.key, f.description);
    const QString range = configFieldRange(f);
    if (!range.isEmpty()) tip += "\n" + tr("Allowed: %1").arg(range);
    tip += "\n" + tr("Default: %1").arg(q(f.default_value));
    return tip;
}

// Tooltips and the sentinels' spin-box texts hold arguments: the recording translator
// (widgets/language.h) cannot find them, so the panel words them again.
void HyperparamPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) {
        for (const auto& f : tb::config_schema()) {
            const QString key = q(f.key);
            const QString tip = fieldToolTip(f);
            if (auto* e = editors_.value(key)) {
                e->setToolTip(tip);
                if (auto* spin = qobject_cast<QSpinBox*>(e); spin && f.sentinel)
                    spin->setSpecialValueText(configSentinelMeaning(f.sentinel_meaning));
            }
            if (auto* l = labels_.value(key)) l->setToolTip(tip);
        }
    }
    QWidget::changeEvent(event);
}

// "learning_rate" -> "Learning rate" in the current language (widgets/config_text.h).
static QString humanLabel(const std::string& name) { return configFieldLabel(name); }

void HyperparamPanel::buildForm() {
    auto* tabs = findChild<QTabWidget*>("sections");
    QMap<QString, QFormLayout*> forms;
    for (const auto& f : tb::config_schema()) {
        const QString section = q(f.section);
        if (!forms.contains(section)) {
            auto* scroll = new QScrollArea(tabs);
            scroll->setWidgetResizable(true);
            auto* page = new QWidget(scroll);
            forms[section] = new QFormLayout(page);
            scroll->setWidget(page);
            tabs->addTab(scroll, configSectionTitle(f.section));
        }
        QFormLayout* form = forms[section];
        QWidget* page = form->parentWidget();
        const QString key = q(f.key);
        QWidget* editor = nullptr;
        auto commit = [this, key](const QString& text) {
            if (updating_) return;
            if (auto* state = findChild<QLabel*>("presetState"))
                if (state->text().startsWith(tr("Applied: ").trimmed()))
                    state->setText(tr("Preset edited"));
            editField(key, text);
        };
        // Enumerations typed as strings in the schema: choices, not free text.
        QStringList choices;
        if (f.key == "model.device") choices = {"auto", "cpu", "cuda", "cuda:0", "cuda:1"};
        if (f.key == "model.dtype") choices = {"auto", "float32", "bfloat16", "float16"};
        if (f.key == "lora.target_modules") {
            // LoRA targets: the Llama decoder's projections, one checkbox each.
            auto* box = new QWidget(page);
            auto* grid = new QGridLayout(box);
            grid->setContentsMargins(0, 0, 0, 0);
            const QStringList projections = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                             "gate_proj", "up_proj", "down_proj"};
            for (int i = 0; i < projections.size(); ++i) {
                auto* check = new QCheckBox(projections[i], box);
                check->setObjectName(projections[i]);
                grid->addWidget(check, i / 4, i % 4);
                connect(check, &QCheckBox::toggled, this, [box, commit] {
                    QStringList on;
                    for (auto* c : box->findChildren<QCheckBox*>())
                        if (c->isChecked()) on << c->text();
                    commit("[" + on.join(", ") + "]");
                });
            }
            box->setProperty("tbModuleChecks", true);
            editor = box;
        } else if (!choices.isEmpty()) {
            auto* combo = new QComboBox(page);
            combo->addItems(choices);
            connect(combo, &QComboBox::currentTextChanged, this, commit);
            editor = combo;
        }
        if (!editor) {
            switch (f.type) {
                case tb::ConfigFieldType::Integer: {
                    auto* spin = new QSpinBox(page);
                    double lo = f.min ? *f.min + (f.min_exclusive ? 1 : 0) : INT_MIN;
                    double hi = f.max ? *f.max - (f.max_exclusive ? 1 : 0) : INT_MAX;
                    if (f.sentinel) {
                        lo = std::min<double>(lo, static_cast<double>(*f.sentinel));
                        if (static_cast<double>(*f.sentinel) == lo)
                            spin->setSpecialValueText(configSentinelMeaning(f.sentinel_meaning));
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
                    for (const auto& c : f.choices) combo->addItem(q(c));
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
        }
        const QString tip = fieldToolTip(f);
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
        auto* label = new QLabel(humanLabel(f.name) + ":", page);
        label->setToolTip(tip);
        form->addRow(label, cell);
        labels_[key] = label;
        editors_[key] = editor;
        messages_[key] = message;
    }
}

void HyperparamPanel::refreshEditors() {
    updating_ = true;
    for (auto it = editors_.begin(); it != editors_.end(); ++it) {
        auto v = tb::config_field_value(cfg_, it.key().toStdString());
        if (!v.ok()) continue;
        const QString text = q(v.value());
        if (auto* spin = qobject_cast<QSpinBox*>(it.value())) {
            spin->setValue(text.toInt());
        } else if (auto* box = qobject_cast<QCheckBox*>(it.value())) {
            box->setChecked(text == "true");
        } else if (auto* combo = qobject_cast<QComboBox*>(it.value())) {
            QString t = text;  // strings come back YAML-quoted
            if (t.size() >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.mid(1, t.size() - 2);
            if (combo->findText(t) < 0) combo->addItem(t);
            combo->setCurrentText(t);
        } else if (it.value()->property("tbModuleChecks").toBool()) {
            QString t = text;
            t.remove('[').remove(']').remove('"');
            QStringList on;
            for (const QString& m : t.split(',', Qt::SkipEmptyParts)) on << m.trimmed();
            for (auto* c : it.value()->findChildren<QCheckBox*>())
                c->setChecked(on.contains(c->text()));
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
        const QString msg = q(st.error().message);
        if (message) {
            message->setText(msg);
            message->setVisible(true);
        }
        // The editor keeps the refused text while the config keeps its previous value: the
        // field is a problem until it is fixed, so nothing runs with a value not on screen.
        fieldErrors_[key] = msg;
        refreshState();
        return msg;
    }
    if (message) message->setVisible(false);
    fieldErrors_.remove(key);
    cfg_ = copy;
    refreshDerived();
    Q_EMIT configChanged();
    return {};
}

void HyperparamPanel::setConfig(const tb::AppConfig& cfg) {
    cfg_ = cfg;
    fieldErrors_.clear();
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
        QString error;
        std::optional<tb::AppConfig> preset = presetConfig(p.resource, &error);
        if (!preset) {
            validationLabel_->setText(error);
            return false;
        }
        tb::AppConfig next = *preset;
        // Keep the workspace's model, data and output paths: a preset is about hyperparameters.
        next.model.name = cfg_.model.name;
        next.data.path = cfg_.data.path;
        next.training.output_dir = cfg_.training.output_dir;
        next.base_dir = cfg_.base_dir;
        setConfig(next);
        if (auto* state = findChild<QLabel*>("presetState"))
            state->setText(tr("Applied: %1").arg(tr(p.name)));
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

QStringList HyperparamPanel::problems() const {
    QStringList out;
    if (!loadError_.isEmpty())
        out << tr("%1 could not be loaded (the form shows defaults; fix the file and load it, or "
                  "save the form over it): %2")
                   .arg(QFileInfo(configPath_).fileName(), loadError_);
    for (auto it = fieldErrors_.begin(); it != fieldErrors_.end(); ++it) out << it.value();
    tb::Status st = tb::validate_app_config(cfg_);
    if (!st.ok()) out << q(st.error().message);
    return out;
}

ConfigSnapshot HyperparamPanel::snapshot() const {
    ConfigSnapshot s(cfg_);
    s.problems = problems();
    s.sourcePath = configPath_;
    return s;
}

bool HyperparamPanel::isModified() const {
    return savedYaml_.isEmpty() || !loadError_.isEmpty() || !fieldErrors_.isEmpty() ||
           q(tb::app_config_to_yaml(cfg_)) != savedYaml_;
}

QString HyperparamPanel::fileStateText() const {
    if (configPath_.isEmpty()) return tr("No configuration file (Save as… writes one)");
    const QString name = QFileInfo(configPath_).fileName();
    if (!loadError_.isEmpty()) return tr("%1 — could not be loaded").arg(name);
    if (savedYaml_.isEmpty()) return tr("%1 — not saved yet").arg(name);
    if (!isModified()) return name;
    if (!workspaceNote_.isEmpty()) return tr("%1 — modified (%2)").arg(name, workspaceNote_);
    return tr("%1 — modified").arg(name);
}

void HyperparamPanel::refreshState() {
    const QStringList list = problems();
    validation_ = list.join("\n");
    if (list.isEmpty()) {
        validationLabel_->setText(tr("The configuration is valid."));
    } else {
        QString text = tr("Training and evaluation are blocked until these are fixed:");
        for (const QString& p : list) text += "\n• " + p;
        validationLabel_->setText(text);
    }
    validationLabel_->setStyleSheet(list.isEmpty() ? "color: #26a269;" : "color: #c01c28;");
    fileLabel_->setText(fileStateText());
    fileLabel_->setToolTip(configPath_.isEmpty()
                               ? tr("The form is not tied to a file")
                               : tr("Active configuration file: %1").arg(configPath_));
    Q_EMIT stateChanged();
}

void HyperparamPanel::refreshDerived() {
    refreshState();
    diff_->setConfig(cfg_);

    const std::string modelDir = tb::resolve_model_path(cfg_);
    auto mc = tb::load_llama_config(modelDir + "/config.json");
    if (!mc.ok()) {
        estimateLabel_->setText(
            tr("No estimate: the model folder's config.json is not readable (%1).")
                .arg(q(mc.error().message)));
        return;
    }
    const bool cuda = cfg_.model.device.rfind("cuda", 0) == 0;
    const ResourceEstimate e = estimateResources(cfg_, mc.value(), trainRows_, cuda);
    auto gib = [](double b) { return localNumber(b / (1024.0 * 1024 * 1024), 'f', 2); };
    QString text = tr("Base parameters: %1 M; LoRA parameters: %2 M<br>"
                      "Memory (rough): %3 GiB = weights %4 + LoRA training state %5 + "
                      "activations %6")
                       .arg(localNumber(e.base_params / 1e6, 'f', 1))
                       .arg(localNumber(e.lora_params / 1e6, 'f', 2))
                       .arg(gib(e.total_bytes), gib(e.weight_bytes), gib(e.train_state_bytes),
                            gib(e.activation_bytes));
    if (e.steps > 0) {
        text += "<br>" + tr("Time (rough, %1 optimizer steps at an assumed %2 GFLOP/s): %3 h")
                             .arg(localNumber(e.steps, 'f', 0))
                             .arg(localNumber(e.assumed_flops / 1e9, 'f', 0))
                             .arg(localNumber(e.seconds / 3600.0, 'f', 2));
    } else {
        text += "<br>" + tr("Time: load the dataset to estimate the number of steps.");
    }
    if (e.world_size > 1)
        text += "<br>" + tr("Per rank, for %1 data-parallel ranks (gradient all-reduce buckets "
                            "%2 GiB included)")
                             .arg(e.world_size)
                             .arg(gib(e.allreduce_bytes));
    estimateLabel_->setText(text);
}

QString HyperparamPanel::openWorkspaceConfig(const QString& configPath, const QString& modelDir,
                                             const QString& dataPath, const QString& outputDir,
                                             bool demo) {
    configPath_ = QFileInfo(configPath).absoluteFilePath();
    savedYaml_.clear();
    loadError_.clear();
    workspaceNote_.clear();
    const std::string folder = QFileInfo(configPath_).absolutePath().toStdString();
    tb::AppConfig next;
    bool loaded = false;
    if (QFileInfo::exists(configPath_)) {
        auto r = tb::load_app_config(configPath_.toStdString());
        if (r.ok()) {
            next = r.value();
            savedYaml_ = q(tb::app_config_to_yaml(next));
            loaded = true;
        } else {
            loadError_ = q(r.error().message);
        }
    }
    if (!loaded) {
        QString error;
        next = presetConfig(demo ? ":/presets/demo.yaml" : "", &error).value_or(tb::AppConfig{});
        next.base_dir = folder;
        next.training.output_dir = outputDir.toStdString();
    }
    // The workspace's model folder and dataset are the ones its jobs use; a config naming
    // others is changed (and shown as modified) rather than silently running something else.
    QStringList changed;
    if (!modelDir.isEmpty() && !samePath(q(tb::resolve_model_path(next)), modelDir)) {
        next.model.name = modelDir.toStdString();
        changed << "model.name";
    }
    if (!dataPath.isEmpty() && !samePath(q(tb::resolve_path(next, next.data.path)), dataPath)) {
        next.data.path = dataPath.toStdString();
        changed << "data.path";
    }
    if (loaded && !changed.isEmpty())
        workspaceNote_ = tr("%1 from the workspace").arg(changed.join(", "));
    setConfig(next);
    return loadError_;
}

QString HyperparamPanel::loadFile(const QString& path) {
    auto r = tb::load_app_config(path.toStdString());
    if (!r.ok()) return q(r.error().message);
    configPath_ = QFileInfo(path).absoluteFilePath();
    savedYaml_ = q(tb::app_config_to_yaml(r.value()));
    loadError_.clear();
    workspaceNote_.clear();
    setConfig(r.value());
    return {};
}

QString HyperparamPanel::saveToFile(const QString& path) {
    // Refused values and cross-field errors would make a file that does not load back; an
    // unreadable file on disk is exactly what saving may replace.
    QStringList blocking;
    for (auto it = fieldErrors_.begin(); it != fieldErrors_.end(); ++it) blocking << it.value();
    tb::Status st = tb::validate_app_config(cfg_);
    if (!st.ok()) blocking << q(st.error().message);
    if (!blocking.isEmpty()) return tr("Not saved: fix these first: %1").arg(blocking.join("; "));
    const QString target = QFileInfo(path).absoluteFilePath();
    const tb::AppConfig out = rebased(cfg_, QFileInfo(target).absolutePath().toStdString());
    const std::string yaml = tb::app_config_to_yaml(out);
    QSaveFile f(target);
    if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray::fromStdString(yaml)) < 0 ||
        !f.commit())
        return tr("Could not write %1").arg(target);
    configPath_ = target;
    savedYaml_ = q(yaml);
    loadError_.clear();
    workspaceNote_.clear();
    const bool pathsChanged = q(tb::app_config_to_yaml(cfg_)) != savedYaml_;
    cfg_ = out;
    if (pathsChanged) {
        refreshEditors();
        refreshDerived();
        Q_EMIT configChanged();
    } else {
        refreshState();
    }
    return {};
}

void HyperparamPanel::loadYaml() {
    const QString path = tbui::getOpenFileName(
        this, tr("Load configuration"),
        configPath_.isEmpty() ? QString() : QFileInfo(configPath_).absolutePath(),
        tr("YAML (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    const QString err = loadFile(path);
    if (!err.isEmpty()) QMessageBox::warning(this, tr("Load configuration"), err);
}

void HyperparamPanel::saveYaml() {
    if (configPath_.isEmpty()) {
        saveYamlAs();
        return;
    }
    if (!loadError_.isEmpty() &&
        QMessageBox::question(
            this, tr("Save configuration"),
            tr("%1 could not be loaded. Replace it with the settings shown?").arg(configPath_)) !=
            QMessageBox::Yes)
        return;
    const QString err = saveToFile(configPath_);
    if (!err.isEmpty()) QMessageBox::warning(this, tr("Save configuration"), err);
}

void HyperparamPanel::saveYamlAs() {
    const QString path = tbui::getSaveFileName(this, tr("Save configuration"),
                                               configPath_.isEmpty() ? "config.yaml" : configPath_,
                                               tr("YAML (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    const QString err = saveToFile(path);
    if (!err.isEmpty()) QMessageBox::warning(this, tr("Save configuration"), err);
}

}  // namespace tbui
