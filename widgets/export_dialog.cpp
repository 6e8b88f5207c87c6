#include "widgets/export_dialog.h"

#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTextDocument>
#include <QTimer>
#include <QVBoxLayout>
#include <atomic>

#include "widgets/language.h"
#include "widgets/qstring_of.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

namespace {

// Sizes as a person reads them: a Modelfile is a few KiB, a model hundreds of MiB.
QString humanSize(int64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b < 1024.0 * 1024.0)
        return ExportedFilesModel::tr("%1 KiB").arg(localNumber(b / 1024.0, 'f', 1));
    if (b < 1024.0 * 1024.0 * 1024.0)
        return ExportedFilesModel::tr("%1 MiB").arg(localNumber(b / (1024.0 * 1024.0), 'f', 1));
    return ExportedFilesModel::tr("%1 GiB").arg(
        localNumber(b / (1024.0 * 1024.0 * 1024.0), 'f', 2));
}

std::atomic<qint64> nextJobId{1};

}  // namespace

// ------------------------------------------------------------------------- ExportedFilesModel

void ExportedFilesModel::setFiles(std::vector<tb::gguf::ExportedFile> files) {
    beginResetModel();
    files_ = std::move(files);
    endResetModel();
}

QStringList ExportedFilesModel::paths() const {
    QStringList p;
    for (const auto& f : files_) p << q(f.path);
    return p;
}

int ExportedFilesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(files_.size());
}

int ExportedFilesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : 2;
}

QVariant ExportedFilesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const auto& f = files_[static_cast<size_t>(index.row())];
    if (role == Qt::DisplayRole) {
        if (index.column() == 0) return QFileInfo(q(f.path)).fileName();
        return humanSize(f.bytes);
    }
    if (role == Qt::ToolTipRole) return q(f.path);
    if (role == Qt::TextAlignmentRole && index.column() == 1)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ExportedFilesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return section == 0 ? tr("File") : tr("Size");
}

void ExportedFilesModel::retranslate() {
    Q_EMIT headerDataChanged(Qt::Horizontal, 0, 1);
    if (!files_.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, 1));
}

// ------------------------------------------------------------------------------- ExportDialog

ExportDialog::ExportDialog(JobQueue* jobs, QWidget* parent) : QDialog(parent), jobs_(jobs) {
    setObjectName("exportDialog");
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    auto folderRow = [this](QLineEdit*& edit, QPushButton*& browse) {
        auto* row = new QHBoxLayout;
        edit = new QLineEdit(this);
        edit->setMinimumWidth(420);
        browse = new QPushButton(this);
        row->addWidget(edit, 1);
        row->addWidget(browse);
        return row;
    };
    form->addRow(new QLabel(this), folderRow(modelEdit_, modelBrowse_));
    form->addRow(new QLabel(this), folderRow(adapterEdit_, adapterBrowse_));
    formatCombo_ = new QComboBox(this);
    for (const char* f : {"hf", "gguf", "gguf-lora"}) formatCombo_->addItem(QString(), f);
    formatCombo_->setCurrentIndex(1);
    form->addRow(new QLabel(this), formatCombo_);
    quantCombo_ = new QComboBox(this);
    for (const char* q : {"f16", "bf16", "q8_0", "q4_k_m"}) quantCombo_->addItem(QString(), q);
    form->addRow(new QLabel(this), quantCombo_);
    nameEdit_ = new QLineEdit(this);
    form->addRow(new QLabel(this), nameEdit_);
    form->addRow(new QLabel(this), folderRow(outputEdit_, outputBrowse_));
    // Buddies, so that the labels' mnemonics reach their fields.
    for (int r = 0; r < form->rowCount(); ++r) {
        auto* label = qobject_cast<QLabel*>(form->itemAt(r, QFormLayout::LabelRole)->widget());
        QLayoutItem* field = form->itemAt(r, QFormLayout::FieldRole);
        QWidget* w = field->widget() ? field->widget() : field->layout()->itemAt(0)->widget();
        label->setBuddy(w);
    }
    layout->addLayout(form);

    progress_ = new QProgressBar(this);
    status_ = new QLabel(this);
    status_->setObjectName("exportStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(progress_);
    layout->addWidget(status_);

    filesLabel_ = new QLabel(this);
    files_ = new ExportedFilesModel(this);
    filesView_ = new QTableView(this);
    filesView_->setModel(files_);
    filesView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    filesView_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    filesView_->verticalHeader()->setVisible(false);
    filesView_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    filesView_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    filesView_->setMinimumHeight(110);
    filesLabel_->setBuddy(filesView_);
    layout->addWidget(filesLabel_);
    layout->addWidget(filesView_, 1);

    commandLabel_ = new QLabel(this);
    // The command names the Modelfile by its full path: wrapped, never cut off.
    command_ = new QPlainTextEdit(this);
    command_->setObjectName("ollamaCommand");
    command_->setReadOnly(true);
    command_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    command_->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    command_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    command_->setFixedHeight(QFontMetrics(command_->font()).lineSpacing() * 2 +
                             2 * command_->frameWidth() +
                             static_cast<int>(2 * command_->document()->documentMargin()) + 2);
    copyButton_ = new QPushButton(this);
    commandLabel_->setBuddy(command_);
    auto* commandRow = new QHBoxLayout;
    commandRow->addWidget(command_, 1);
    commandRow->addWidget(copyButton_, 0, Qt::AlignTop);
    layout->addWidget(commandLabel_);
    layout->addLayout(commandRow);
    notes_ = new QLabel(this);
    notes_->setWordWrap(true);
    layout->addWidget(notes_);

    auto* buttons = new QHBoxLayout;
    exportButton_ = new QPushButton(this);
    exportButton_->setDefault(true);
    cancelButton_ = new QPushButton(this);
    closeButton_ = new QPushButton(this);
    buttons->addStretch(1);
    buttons->addWidget(exportButton_);
    buttons->addWidget(cancelButton_);
    buttons->addWidget(closeButton_);
    layout->addLayout(buttons);

    redrawTimer_ = new QTimer(this);
    redrawTimer_->setInterval(40);
    connect(redrawTimer_, &QTimer::timeout, this, [this] {
        if (dirty_) refreshStatus();
    });

    auto browse = [this](QLineEdit* edit, const QString& caption) {
        const QString dir = tbui::getExistingDirectory(this, caption, edit->text());
        if (dir.isEmpty()) return false;
        edit->setText(dir);
        return true;
    };
    connect(modelBrowse_, &QPushButton::clicked, this,
            [this, browse] { browse(modelEdit_, tr("Model folder")); });
    connect(adapterBrowse_, &QPushButton::clicked, this,
            [this, browse] { browse(adapterEdit_, tr("LoRA adapter folder")); });
    connect(outputBrowse_, &QPushButton::clicked, this, [this, browse] {
        if (browse(outputEdit_, tr("Output folder"))) outputEdited_ = true;
    });
    connect(outputEdit_, &QLineEdit::textEdited, this, [this] { outputEdited_ = true; });
    connect(formatCombo_, &QComboBox::currentIndexChanged, this, [this] {
        if (!outputEdited_ && !outputsDir_.isEmpty())
            outputEdit_->setText(defaultOutputDir(format()));
        updateFormState();
    });
    connect(adapterEdit_, &QLineEdit::textChanged, this, [this] { updateFormState(); });
    connect(exportButton_, &QPushButton::clicked, this, [this] { startExport(); });
    connect(cancelButton_, &QPushButton::clicked, this, &ExportDialog::cancelExport);
    // Closing while an export runs only hides the dialog: the export goes on and opening the
    // dialog again shows it.
    connect(closeButton_, &QPushButton::clicked, this, &QDialog::reject);
    connect(copyButton_, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(command_->toPlainText());
        copyButton_->setText(tr("Copied"));
    });
    if (jobs_) {
        connect(jobs_->worker(), &Worker::modelExportProgress, this, &ExportDialog::onProgress);
        connect(jobs_->worker(), &Worker::modelExportFinished, this, &ExportDialog::onFinished);
        connect(jobs_->worker(), &Worker::failed, this, &ExportDialog::onFailed);
    }
    retranslate();
    setState(State::Idle);
    resize(760, 560);
}

ExportDialog::~ExportDialog() {
    // The job (if any) holds its own share of the token: stop it rather than let it write for
    // a dialog that is gone.
    if (cancel_ && running()) cancel_->cancel();
}

void ExportDialog::retranslate() {
    setWindowTitle(tr("Export model"));
    auto* form = qobject_cast<QFormLayout*>(layout()->itemAt(0)->layout());
    const QString labels[] = {tr("&Model folder:"), tr("LoRA &adapter:"), tr("&Format:"),
                              tr("GGUF &type:"),    tr("&Name:"),         tr("&Output folder:")};
    for (int r = 0; r < form->rowCount(); ++r)
        qobject_cast<QLabel*>(form->itemAt(r, QFormLayout::LabelRole)->widget())
            ->setText(labels[r]);
    for (QPushButton* b : {modelBrowse_, adapterBrowse_, outputBrowse_}) b->setText(tr("Browse…"));
    modelEdit_->setPlaceholderText(tr("Hugging Face Llama folder (config.json, safetensors)"));
    adapterEdit_->setPlaceholderText(tr("none: the model alone"));
    adapterEdit_->setToolTip(
        tr("PEFT LoRA adapter folder: merged into the model (Hugging Face folder, GGUF) or "
           "converted on its own (GGUF LoRA adapter)"));
    formatCombo_->setItemText(0, tr("Hugging Face folder (adapter merged)"));
    formatCombo_->setItemText(1, tr("GGUF, one file (llama.cpp, Ollama)"));
    formatCombo_->setItemText(2, tr("GGUF base + GGUF LoRA adapter"));
    formatCombo_->setToolTip(
        tr("GGUF writes an Ollama Modelfile beside the model; the LoRA adapter format keeps "
           "the adapter apart (llama.cpp --lora, Ollama ADAPTER)"));
    quantCombo_->setItemText(0, tr("F16 (16-bit)"));
    quantCombo_->setItemText(1, tr("BF16 (16-bit, bfloat)"));
    quantCombo_->setItemText(2, tr("Q8_0 (8-bit)"));
    quantCombo_->setItemText(3, tr("Q4_K_M (4-bit, smallest)"));
    quantCombo_->setToolTip(tr("Weight type of the GGUF model, as llama-quantize names it"));
    nameEdit_->setPlaceholderText(tr("from the model and adapter folder names"));
    nameEdit_->setToolTip(tr("File name of the GGUF and the name for `ollama create`"));
    outputEdit_->setPlaceholderText(tr("folder for the exported files"));
    filesLabel_->setText(tr("&Written files:"));
    commandLabel_->setText(tr("Create the Ollama model with:"));
    copyButton_->setText(tr("Cop&y"));
    copyButton_->setToolTip(tr("Copy the command to the clipboard"));
    exportButton_->setText(tr("&Export"));
    cancelButton_->setText(tr("&Cancel export"));
    cancelButton_->setToolTip(tr("Stop the export; none of its files are kept"));
    closeButton_->setText(tr("Close"));
    files_->retranslate();
    refreshStatus();
}

void ExportDialog::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) retranslate();
    QDialog::changeEvent(event);
}

QString ExportDialog::defaultOutputDir(const QString& format) const {
    if (outputsDir_.isEmpty()) return {};
    return QDir(outputsDir_).filePath(format == "hf" ? "merged_model" : "ollama");
}

void ExportDialog::setDefaults(const ExportDefaults& d) {
    if (running()) return;
    modelEdit_->setText(d.modelDir);
    adapterEdit_->setText(d.adapterDir);
    nameEdit_->clear();
    outputsDir_ = d.outputsDir;
    outputEdited_ = false;
    outputEdit_->setText(defaultOutputDir(format()));
    // A new subject: the previous export's outcome no longer applies.
    if (state_ != State::Idle) setState(State::Idle);
    updateFormState();
}

QString ExportDialog::format() const { return formatCombo_->currentData().toString(); }
QString ExportDialog::quant() const { return quantCombo_->currentData().toString(); }

void ExportDialog::setFormat(const QString& format) {
    const int k = formatCombo_->findData(format);
    if (k >= 0) formatCombo_->setCurrentIndex(k);
}

void ExportDialog::setQuant(const QString& quant) {
    const int k = quantCombo_->findData(quant);
    if (k >= 0) quantCombo_->setCurrentIndex(k);
}

QString ExportDialog::statusText() const { return status_->text(); }
QString ExportDialog::ollamaCommand() const { return command_->toPlainText(); }

void ExportDialog::updateFormState() {
    const bool idle = !running();
    const bool gguf = format() != "hf";
    for (QWidget* w :
         std::initializer_list<QWidget*>{modelEdit_, adapterEdit_, formatCombo_, outputEdit_,
                                         modelBrowse_, adapterBrowse_, outputBrowse_})
        w->setEnabled(idle);
    quantCombo_->setEnabled(idle && gguf);
    nameEdit_->setEnabled(idle && gguf);
    exportButton_->setEnabled(idle);
    cancelButton_->setEnabled(!idle && !(cancel_ && cancel_->cancelled()));
    const bool result = state_ == State::Done;
    filesLabel_->setVisible(result);
    filesView_->setVisible(result);
    const bool command = result && !result_.ollama_create.empty();
    commandLabel_->setVisible(command);
    command_->setVisible(command);
    copyButton_->setVisible(command);
    notes_->setVisible(result && !result_.notes.empty());
}

double ExportDialog::progressFraction(const QString& format, bool withAdapter,
                                      const tb::gguf::ExportProgress& p) {
    if (format == "hf") return -1.0;
    // Shares of the bar per stage, in the order run_export goes through them: writing the
    // tensors is nearly all of the time (quantisation included), loading the rest.
    struct Span {
        const char* stage;
        double from, to;
    };
    static const Span kGguf[] = {{"loading", 0.0, 0.10},
                                 {"merging", 0.10, 0.15},
                                 {"writing", 0.15, 0.95},
                                 {"modelfile", 0.95, 1.0}};
    static const Span kGgufPlain[] = {
        {"loading", 0.0, 0.10}, {"writing", 0.10, 0.95}, {"modelfile", 0.95, 1.0}};
    static const Span kLora[] = {{"loading", 0.0, 0.10},
                                 {"writing", 0.10, 0.80},
                                 {"adapter", 0.80, 0.95},
                                 {"modelfile", 0.95, 1.0}};
    auto find = [&](const auto& spans) -> double {
        for (const Span& s : spans) {
            if (p.stage != s.stage) continue;
            const double within =
                p.total > 0 ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0.0;
            return s.from + (s.to - s.from) * std::min(1.0, std::max(0.0, within));
        }
        return -1.0;
    };
    if (format == "gguf-lora") return find(kLora);
    return withAdapter ? find(kGguf) : find(kGgufPlain);
}

QString ExportDialog::stageText(const tb::gguf::ExportProgress& p) const {
    const QString item = q(p.item);
    if (p.stage == "loading") return tr("Loading the model…");
    if (p.stage == "merging") return tr("Merging the adapter into the model…");
    if (p.stage == "writing") {
        if (item.isEmpty()) return tr("Wrote %1 of %2 tensors").arg(p.done).arg(p.total);
        return tr("Writing tensor %1 of %2: %3").arg(p.done + 1).arg(p.total).arg(item);
    }
    if (p.stage == "adapter") return tr("Writing the GGUF LoRA adapter…");
    if (p.stage == "modelfile") return tr("Writing the Ollama Modelfile…");
    if (p.stage == "saving") return tr("Saving the merged model…");
    return q(p.stage);
}

void ExportDialog::refreshStatus() {
    dirty_ = false;
    status_->setStyleSheet(QString());
    switch (state_) {
        case State::Idle:
            progress_->setRange(0, 1000);
            progress_->setValue(0);
            progress_->setFormat(tr("not started"));
            status_->clear();
            break;
        case State::Queued:
            progress_->setRange(0, 0);  // busy: no measure yet
            status_->setText(tr("Waiting for the running job to finish: %1")
                                 .arg(jobs_ ? jobs_->current() : QString()));
            break;
        case State::Running: {
            const double f = haveProgress_
                                 ? progressFraction(runningFormat_, runningWithAdapter_, latest_)
                                 : 0.0;
            if (f < 0) {
                progress_->setRange(0, 0);
            } else {
                progress_->setRange(0, 1000);
                progress_->setFormat("%p%");
                progress_->setValue(static_cast<int>(f * 1000.0 + 0.5));
            }
            if (cancel_ && cancel_->cancelled())
                status_->setText(tr("Cancelling…"));
            else
                status_->setText(haveProgress_ ? stageText(latest_) : tr("Starting…"));
            break;
        }
        case State::Done: {
            progress_->setRange(0, 1000);
            progress_->setValue(1000);
            progress_->setFormat(tr("done"));
            status_->setText(
                tr("Export finished in %1 s.").arg(localNumber(result_.seconds, 'f', 1)));
            QStringList notes;
            for (const auto& n : result_.notes) notes << tr("Note: %1").arg(q(n));
            notes_->setText(notes.join("\n"));
            break;
        }
        case State::Failed:
            progress_->setRange(0, 1000);
            progress_->setValue(0);
            progress_->setFormat(tr("failed"));
            status_->setStyleSheet("color: #c01c28;");
            status_->setText(tr("Export failed: %1").arg(error_));
            break;
        case State::Cancelled:
            progress_->setRange(0, 1000);
            progress_->setValue(0);
            progress_->setFormat(tr("cancelled"));
            status_->setText(tr("Export cancelled; none of its files were kept."));
            break;
    }
}

void ExportDialog::setState(State s) {
    state_ = s;
    if (running())
        redrawTimer_->start();
    else
        redrawTimer_->stop();
    updateFormState();
    refreshStatus();
}

QString ExportDialog::startExport() {
    if (running()) return tr("An export is already running.");
    const QString model = modelEdit_->text().trimmed();
    const QString adapter = adapterEdit_->text().trimmed();
    const QString out = outputEdit_->text().trimmed();
    QString problem;
    if (!jobs_)
        problem = tr("No worker to run the export.");
    else if (model.isEmpty())
        problem = tr("Choose the model folder.");
    else if (format() == "gguf-lora" && adapter.isEmpty())
        problem = tr("The GGUF LoRA adapter format needs an adapter folder.");
    else if (out.isEmpty())
        problem = tr("Choose the output folder.");
    if (!problem.isEmpty()) {
        error_ = problem;
        setState(State::Failed);
        return problem;
    }
    ModelExportJob job;
    job.id = nextJobId++;
    job.params.model_dir = model.toStdString();
    job.params.adapter_dir = adapter.toStdString();
    job.params.format = format().toStdString();
    job.params.quant = quant().toStdString();
    job.params.out_dir = out.toStdString();
    job.params.name = nameEdit_->text().trimmed().toStdString();
    jobId_ = job.id;
    cancel_ = job.cancel;
    runningFormat_ = format();
    runningWithAdapter_ = !adapter.isEmpty();
    haveProgress_ = false;
    error_.clear();
    result_ = {};
    files_->setFiles({});
    command_->clear();
    notes_->clear();
    copyButton_->setText(tr("Cop&y"));
    const bool queued = jobs_->busy();
    jobs_->submitModelExport(job);
    setState(queued ? State::Queued : State::Running);
    return {};
}

void ExportDialog::cancelExport() {
    if (!running() || !cancel_) return;
    cancel_->cancel();
    if (state_ == State::Queued) {
        // Not started: it will return at once when its turn comes (the worker checks the
        // token first); no need to wait behind the running job for that.
        jobId_ = 0;
        setState(State::Cancelled);
        Q_EMIT exportEnded(state_);
        return;
    }
    updateFormState();
    refreshStatus();
}

void ExportDialog::onProgress(const ModelExportProgress& p) {
    if (p.id != jobId_ || !running()) return;
    if (state_ == State::Queued) setState(State::Running);
    latest_ = p.progress;
    haveProgress_ = true;
    dirty_ = true;  // drawn by the timer
}

void ExportDialog::onFinished(const ModelExportOutcome& r) {
    if (r.id != jobId_ || !running()) return;
    if (!r.error.isEmpty()) {
        error_ = r.error;
        setState(State::Failed);
    } else if (r.cancelled) {
        setState(State::Cancelled);
    } else {
        result_ = r.result;
        files_->setFiles(r.result.files);
        command_->setPlainText(q(r.result.ollama_create));
        setState(State::Done);
    }
    Q_EMIT exportEnded(state_);
}

void ExportDialog::onFailed(const QString& message) {
    // An exception in core while our job ran (errors come in the outcome): failed arrives
    // before the queue moves on, so the current kind is still ours.
    if (!running() || !jobs_ || jobs_->currentKind() != JobKind::ModelExport) return;
    error_ = message;
    setState(State::Failed);
    Q_EMIT exportEnded(state_);
}

}  // namespace tbui
