#include "widgets/training_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "core/core_info.h"
#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/export_dialog.h"
#include "widgets/language.h"
#include "widgets/qcp.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

bool TrainingCurves::add(const tb::TrainProgress& p) {
    totalSteps = p.total_steps;
    etaS = p.eta_s;
    bool changed = false;
    if (p.phase == tb::TrainPhase::Training && p.step > 0 &&
        (step.isEmpty() || p.step > step.last())) {
        const double s = static_cast<double>(p.step);
        step << s;
        loss << p.loss;
        smoothed << (smoothed.isEmpty() ? p.loss
                                        : smoothing * smoothed.last() + (1 - smoothing) * p.loss);
        lr << p.lr;
        gradNorm << p.grad_norm;
        tokensPerS << p.tokens_per_s;
        memoryMiB << static_cast<double>(p.memory_bytes) / (1024.0 * 1024.0);
        changed = true;
    }
    if (p.eval_loss && (evalStep.isEmpty() || p.step > evalStep.last())) {
        evalStep << static_cast<double>(p.step);
        evalLoss << *p.eval_loss;
        evalPpl << std::exp(*p.eval_loss);
        changed = true;
    }
    return changed;
}

void TrainingCurves::clear() {
    for (auto* v : {&step, &loss, &smoothed, &lr, &gradNorm, &tokensPerS, &memoryMiB, &evalStep,
                    &evalLoss, &evalPpl})
        v->clear();
    totalSteps = 0;
    etaS = 0;
}

// ---------------------------------------------------------------------------------------------

TrainingPanel::TrainingPanel(JobQueue* jobs, ConfigSource config, QWidget* parent)
    : QWidget(parent), jobs_(jobs), configSource_(std::move(config)) {
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    startButton_ = new QPushButton(tr("&Start training"), this);
    pauseButton_ = new QPushButton(tr("&Pause"), this);
    cancelButton_ = new QPushButton(tr("&Cancel"), this);
    logScale_ = new QCheckBox(tr("&Log scale"), this);
    startButton_->setShortcut(QKeySequence("Ctrl+R"));
    startButton_->setToolTip(tr("Train with the Hyperparameters tab's settings (Ctrl+R)"));
    runCombo_ = new QComboBox(this);
    runCombo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    runCombo_->setMinimumContentsLength(30);
    runCombo_->setToolTip(
        tr("Training runs recorded in the workspace's store; the selected one is drawn in grey"));
    exportCombo_ = new QComboBox(this);
    exportCombo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    exportCombo_->setMinimumContentsLength(30);
    exportCombo_->setToolTip(tr("The completed run that the export buttons write out"));
    exportAdapterButton_ = new QPushButton(tr("Export &adapter…"), this);
    exportAdapterButton_->setToolTip(
        tr("Copy the selected run's LoRA adapter (PEFT format) into a folder"));
    exportMergedButton_ = new QPushButton(tr("Export &merged model…"), this);
    exportMergedButton_->setToolTip(
        tr("Write the selected run's merged model (full Hugging Face folder) into a folder"));
    // Two rows, the run's controls and the export's: one row was 1,300 px wide in English and
    // 1,650 in Spanish, wider than a 1280x800 screen.
    auto* runRow = new QHBoxLayout;
    runRow->addWidget(startButton_);
    runRow->addWidget(pauseButton_);
    runRow->addWidget(cancelButton_);
    runRow->addWidget(logScale_);
    runRow->addSpacing(16);
    auto* runLabel = new QLabel(tr("&Earlier run:"), this);
    runLabel->setBuddy(runCombo_);
    runRow->addWidget(runLabel);
    runRow->addWidget(runCombo_);
    runRow->addStretch(1);
    layout->addLayout(runRow);
    auto* exportLabel = new QLabel(tr("E&xport run:"), this);
    exportLabel->setBuddy(exportCombo_);
    controls->addWidget(exportLabel);
    controls->addWidget(exportCombo_);
    controls->addWidget(exportAdapterButton_);
    controls->addWidget(exportMergedButton_);
    // The export dialog (merged HF folder, GGUF, GGUF LoRA adapter) on the selected run.
    auto* exportModelButton = new QPushButton(tr("Export m&odel…"), this);
    exportModelButton->setObjectName("exportModelButton");
    exportModelButton->setToolTip(
        tr("Export the selected run as a merged Hugging Face folder, a GGUF file or a GGUF "
           "LoRA adapter, with an Ollama Modelfile"));
    controls->addWidget(exportModelButton);
    controls->addStretch(1);
    layout->addLayout(controls);
    auto* status = new QHBoxLayout;
    progress_ = new QProgressBar(this);
    // Until a run reports its step count there is no honest "of N": say so instead of
    // QProgressBar's default 0 / 100.
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("no training running"));
    phase_ = new QLabel(tr("Idle"), this);
    eta_ = new QLabel(this);
    status->addWidget(progress_, 1);
    status->addWidget(phase_);
    status->addWidget(eta_);
    layout->addLayout(status);
    configLabel_ = new QLabel(this);
    configLabel_->setObjectName("configProblems");
    configLabel_->setWordWrap(true);
    configLabel_->setStyleSheet("color: #c01c28;");
    configLabel_->setVisible(false);
    layout->addWidget(configLabel_);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* grid = new QWidget(split);
    auto* g = new QGridLayout(grid);
    g->setContentsMargins(0, 0, 0, 0);
    // Six charts, three per row; the memory chart says whose memory it is (GPU allocated or
    // host resident set: the trainer reports whichever its device uses).
    const QString step = tr("optimizer step");
    const chart::ChartSetup setups[] = {
        {tr("Loss"), step, tr("cross-entropy (nats/token)"), "loss", true,
         tr("No training running.\nPress Start training to see the loss here.")},
        {tr("Learning rate"), step, tr("learning rate"), "learning-rate", false,
         tr("No training running.")},
        {tr("Gradient norm"), step, tr("L2 norm before clipping"), "grad-norm", false,
         tr("No training running.")},
        {tr("Throughput"), step, tr("tokens/s"), "tokens-per-s", false, tr("No training running.")},
        {tr("Memory"), step, tr("MiB"), "memory", false, tr("No training running.")},
        {tr("Eval perplexity"), step, tr("perplexity (exp of eval loss)"), "eval-perplexity", false,
         tr("No evaluation yet.\nThe trainer evaluates every eval_steps steps.")}};
    for (int i = 0; i < 6; ++i) {
        auto* plot = new QCustomPlot(grid);
        plot->setMinimumHeight(170);
        plot->addGraph()->setPen(QPen(chart::paletteColor(0), 1.5));
        chart::setup(plot, setups[i]);
        plots_ << plot;
        g->addWidget(plot, i / 3, i % 3);
        g->setColumnStretch(i % 3, 1);  // three equal columns, whatever each chart's labels
    }
    auto* lossPlot = plots_[0];
    const QColor c0 = chart::paletteColor(0);
    lossPlot->graph(0)->setName(tr("train loss"));
    lossPlot->graph(0)->setPen(QPen(QColor(c0.red(), c0.green(), c0.blue(), 90), 1));
    lossPlot->addGraph()->setName(tr("smoothed"));
    lossPlot->graph(1)->setPen(QPen(c0, 2));
    lossPlot->addGraph()->setName(tr("eval loss"));
    lossPlot->graph(2)->setPen(QPen(chart::paletteColor(1), 2));
    lossPlot->graph(2)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
    lossPlot->addGraph()->setName(tr("earlier run"));
    lossPlot->graph(3)->setPen(QPen(QColor(150, 150, 150), 1, Qt::DashLine));
    lossPlot->graph(3)->removeFromLegend();  // listed only while an overlay is drawn
    plots_[5]->graph(0)->setPen(QPen(chart::paletteColor(1), 2));
    plots_[5]->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
    for (auto* p : plots_) chart::refresh(p);
    split->addWidget(grid);
    log_ = new QPlainTextEdit(split);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(20000);
    split->addWidget(log_);
    // The log is read while training: about a dozen lines by default, resizable.
    log_->setMinimumHeight(log_->fontMetrics().lineSpacing() * 8);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setCollapsible(1, false);
    layout->addWidget(split, 1);

    redrawTimer_ = new QTimer(this);
    redrawTimer_->setInterval(40);
    connect(redrawTimer_, &QTimer::timeout, this, [this] {
        if (dirty_) redraw();
    });
    redrawTimer_->start();

    connect(startButton_, &QPushButton::clicked, this, &TrainingPanel::start);
    connect(pauseButton_, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(cancelButton_, &QPushButton::clicked, this, &TrainingPanel::confirmCancel);
    logScale_->setToolTip(tr("Logarithmic y axis for the loss, gradient norm and perplexity"));
    connect(logScale_, &QCheckBox::toggled, this, [this](bool on) {
        for (int i : {0, 2, 5}) chart::setLogY(plots_[i], on);
        dirty_ = true;
    });
    connect(runCombo_, &QComboBox::activated, this, [this](int k) {
        const QString err = loadOverlay(runCombo_->itemData(k).value<qint64>());
        if (!err.isEmpty()) log(err);
    });
    connect(exportAdapterButton_, &QPushButton::clicked, this,
            [this] { exportInteractive(false); });
    connect(exportMergedButton_, &QPushButton::clicked, this, [this] { exportInteractive(true); });
    connect(exportModelButton, &QPushButton::clicked, this, [this] {
        // One dialog, created on first use; while it exports, it shows that export.
        auto* dialog = findChild<ExportDialog*>("exportDialog");
        if (!dialog) dialog = new ExportDialog(jobs_, this);
        if (!dialog->running()) {
            const tb::AppConfig cfg = configSource_ ? configSource_().config : tb::AppConfig();
            ExportDefaults d;
            d.modelDir = QString::fromStdString(tb::resolve_model_path(cfg));
            d.outputsDir = QString::fromStdString(tb::resolve_path(cfg, cfg.training.output_dir));
            const qint64 runId = exportCombo_->currentData().value<qint64>();
            QString error;
            std::optional<tb::store::RunRecord> run;
            if (runId != 0) run = runRecord(runId, error);
            if (run) {
                const QString dir = QString::fromStdString(run->output_dir);
                d.adapterDir = dir + "/adapter";
                // The base model the run was trained on, as training_stats.json records it.
                QFile stats(dir + "/training_stats.json");
                if (stats.open(QIODevice::ReadOnly)) {
                    const QString base =
                        QJsonDocument::fromJson(stats.readAll()).object().value("model").toString();
                    if (!base.isEmpty() && QFileInfo(base).isDir()) d.modelDir = base;
                }
            } else if (!error.isEmpty()) {
                log(error);
            }
            dialog->setDefaults(d);
        }
        dialog->show();
        dialog->raise();
        dialog->activateWindow();
    });
    connect(jobs_->worker(), &Worker::trainProgress, this, &TrainingPanel::onProgress);
    connect(jobs_->worker(), &Worker::trainFinished, this, &TrainingPanel::onFinished);
    connect(jobs_->worker(), &Worker::failed, this, &TrainingPanel::onFailed);
    connect(jobs_->worker(), &Worker::exportProgress, this, [this](const QString& stage) {
        if (exporting_) log(tr("Export: %1").arg(stage));
    });
    connect(jobs_->worker(), &Worker::exportFinished, this, [this](const ExportResult& r) {
        exporting_ = false;
        log(r.merged ? (r.computed ? tr("Merged model computed and exported to %1").arg(r.dest)
                                   : tr("Merged model exported to %1").arg(r.dest))
                     : tr("Adapter exported to %1").arg(r.dest));
        Q_EMIT exportFinished(r.dest);
    });
    setRunning(false);
    updateConfigState();
    updateMemoryLabels(configSource_ ? configSource_().config.model.device : std::string("auto"));
    refreshRuns();
}

// CUDA reports allocated bytes, the CPU the process's resident set (TrainProgress): the chart
// says which, from the device the run uses ("auto" is CUDA when this machine has it).
void TrainingPanel::updateMemoryLabels(const std::string& device) {
    const bool gpu =
        device.rfind("cuda", 0) == 0 || (device == "auto" && tb::cuda_device_available());
    chart::setTitle(plots_[4], gpu ? tr("GPU memory") : tr("Host memory"));
    plots_[4]->yAxis->setLabel(gpu ? tr("MiB allocated on the GPU")
                                   : tr("MiB resident (host RSS)"));
    dirty_ = true;
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::setWorkspaceDir(const QString& dir) {
    storePath_ = dir.isEmpty() ? QString() : QDir(dir).filePath("tunebench.sqlite");
    store_.reset();
    plots_[0]->graph(3)->data()->clear();
    dirty_ = true;
    const QString err = refreshRuns();
    if (!err.isEmpty()) log(err);
}

QString TrainingPanel::refreshRuns() {
    const qint64 keep = runCombo_->currentData().value<qint64>();
    const qint64 keepExport = exportCombo_->currentData().value<qint64>();
    runCombo_->clear();
    runCombo_->addItem(tr("(none)"), QVariant::fromValue<qint64>(0));
    exportCombo_->clear();
    if (!store_ && !storePath_.isEmpty() && QFileInfo::exists(storePath_)) {
        auto st = tb::store::Store::open(storePath_.toStdString());
        if (!st.ok()) return QString::fromStdString(st.error().message);
        store_ = std::move(st.value());
    }
    if (!store_) return {};
    auto runs = store_->list_runs("train");
    if (!runs.ok()) return QString::fromStdString(runs.error().message);
    for (auto it = runs.value().rbegin(); it != runs.value().rend(); ++it) {
        runCombo_->addItem(
            tr("#%1 %2 (%3)")
                .arg(it->id)
                .arg(QString::fromStdString(it->name), QString::fromStdString(it->status)),
            QVariant::fromValue<qint64>(it->id));
        if (it->status == "completed")
            exportCombo_->addItem(tr("#%1 %2").arg(it->id).arg(QString::fromStdString(it->name)),
                                  QVariant::fromValue<qint64>(it->id));
    }
    const int k = runCombo_->findData(QVariant::fromValue<qint64>(keep));
    runCombo_->setCurrentIndex(k >= 0 ? k : 0);
    const int e = exportCombo_->findData(QVariant::fromValue<qint64>(keepExport));
    if (e >= 0) exportCombo_->setCurrentIndex(e);
    exportAdapterButton_->setEnabled(exportCombo_->count() > 0);
    exportMergedButton_->setEnabled(exportCombo_->count() > 0);
    if (auto* b = findChild<QPushButton*>("exportModelButton"))
        b->setEnabled(exportCombo_->count() > 0);
    return {};
}

QList<qint64> TrainingPanel::earlierRuns() const {
    QList<qint64> ids;
    for (int k = 1; k < runCombo_->count(); ++k) ids << runCombo_->itemData(k).value<qint64>();
    return ids;
}

std::optional<tb::store::RunRecord> TrainingPanel::runRecord(qint64 runId, QString& error) {
    if (!store_) {
        error = tr("No store is open: choose a workspace.");
        return std::nullopt;
    }
    auto run = store_->get_run(runId);
    if (!run.ok()) {
        error = QString::fromStdString(run.error().message);
        return std::nullopt;
    }
    if (!run.value() || run.value()->kind != "train") {
        error = tr("The store has no training run #%1.").arg(runId);
        return std::nullopt;
    }
    return run.value();
}

QString TrainingPanel::loadOverlay(qint64 runId) {
    plots_[0]->graph(3)->data()->clear();
    plots_[0]->graph(3)->removeFromLegend();
    dirty_ = true;
    if (runId == 0) return {};
    QString error;
    auto run = runRecord(runId, error);
    if (!run) return error;
    auto rows = store_->training_log(runId);
    if (!rows.ok()) return QString::fromStdString(rows.error().message);
    QVector<double> x, y;
    for (const auto& r : rows.value()) {
        x << static_cast<double>(r.step);
        y << r.loss;
    }
    if (x.isEmpty()) return tr("Run #%1 has no logged steps.").arg(runId);
    plots_[0]->graph(3)->setData(x, y, true);
    plots_[0]->graph(3)->setName(tr("run #%1").arg(runId));
    plots_[0]->graph(3)->addToLegend();
    const int k = runCombo_->findData(QVariant::fromValue<qint64>(runId));
    if (k >= 0) runCombo_->setCurrentIndex(k);
    return {};
}

QString TrainingPanel::exportRun(qint64 runId, const QString& dest, bool merged) {
    if (exporting_) return tr("An export is already queued or running.");
    QString error;
    auto run = runRecord(runId, error);
    if (!run) return error;
    const QString dir = QString::fromStdString(run->output_dir);
    if (run->status != "completed" || !QFileInfo::exists(dir + "/adapter/adapter_config.json"))
        return tr("Run #%1 has no final adapter (status: %2); export a completed run.")
            .arg(runId)
            .arg(QString::fromStdString(run->status));
    if (dest.isEmpty()) return tr("Choose a destination folder.");
    const QDir d(dest);
    if (d.exists() && !d.isEmpty()) return tr("The destination folder %1 is not empty.").arg(dest);
    ExportJob job;
    job.run_dir = dir.toStdString();
    job.dest_dir = dest.toStdString();
    job.merged = merged;
    // The base model only (to merge into): a refused field elsewhere in the form does not
    // matter here.
    const tb::AppConfig cfg = configSource_().config;
    job.base_model_dir = tb::resolve_model_path(cfg);
    exporting_ = true;
    log(merged ? tr("Exporting the merged model of run #%1 to %2").arg(runId).arg(dest)
               : tr("Exporting the adapter of run #%1 to %2").arg(runId).arg(dest));
    jobs_->submitExport(job);
    return {};
}

void TrainingPanel::exportInteractive(bool merged) {
    const qint64 runId = exportCombo_->currentData().value<qint64>();
    if (runId == 0) {
        QMessageBox::information(this, tr("Export"),
                                 tr("The store has no completed training run to export."));
        return;
    }
    // Exports go beside the runs, in the workspace's outputs/ (the store lives in the workspace).
    const QString dest = tbui::getExistingDirectory(
        this, merged ? tr("Folder for the merged model") : tr("Folder for the adapter"),
        storePath_.isEmpty() ? QString() : QFileInfo(storePath_).absolutePath() + "/outputs");
    if (dest.isEmpty()) return;
    const QString err = exportRun(runId, dest, merged);
    if (!err.isEmpty()) QMessageBox::warning(this, tr("Export"), err);
}

bool TrainingPanel::startEnabled() const { return startButton_->isEnabled(); }

void TrainingPanel::updateConfigState() {
    const ConfigSnapshot snap = configSource_ ? configSource_() : ConfigSnapshot();
    QStringList problems = snap.problems;
    if (problems.isEmpty()) {
        tb::Status valid = tb::validate_app_config(snap.config);
        if (!valid.ok()) problems << QString::fromStdString(valid.error().message);
    }
    configProblem_ = problems.join("\n");
    configLabel_->setText(problems.isEmpty()
                              ? QString()
                              : tr("Start training is blocked: fix the Hyperparameters tab "
                                   "first:\n%1")
                                    .arg(configProblem_));
    configLabel_->setVisible(!problems.isEmpty());
    startButton_->setEnabled(!running_ && problems.isEmpty());
}

void TrainingPanel::setRunning(bool running) {
    running_ = running;
    startButton_->setEnabled(!running && configProblem_.isEmpty());
    pauseButton_->setEnabled(running);
    cancelButton_->setEnabled(running);
    pauseButton_->setText(tr("&Pause"));
}

void TrainingPanel::log(const QString& line) {
    // Follow the newest line unless the user scrolled up to read (whatever happened between:
    // pause, resume, a resize of the splitter).
    auto* bar = log_->verticalScrollBar();
    const bool follow = bar->value() >= bar->maximum() - 1;
    log_->appendPlainText(QTime::currentTime().toString("HH:mm:ss ") + line);
    if (follow) bar->setValue(bar->maximum());
}

void TrainingPanel::start() {
    if (running_) return;
    updateConfigState();
    const ConfigSnapshot snap = configSource_();
    if (!snap.runnable()) {
        log(tr("Not started: %1").arg(snap.problems.join("; ")));
        return;
    }
    const tb::AppConfig& cfg = snap.config;
    tb::Status valid = tb::validate_app_config(cfg);
    if (!valid.ok()) {
        log(tr("Not started: %1").arg(QString::fromStdString(valid.error().message)));
        return;
    }
    auto params = tb::train_params_from_config(cfg);
    if (!params.ok()) {
        log(tr("Not started: %1").arg(QString::fromStdString(params.error().message)));
        return;
    }
    params.value().config_yaml = tb::app_config_to_yaml(cfg);
    submit(params.value(), tr("Training %1 on %2")
                               .arg(QString::fromStdString(params.value().model_dir),
                                    QString::fromStdString(params.value().data_path)));
}

void TrainingPanel::submit(tb::TrainParams params, const QString& what) {
    params.store_path = storePath_.toStdString();
    updateMemoryLabels(params.device);
    TrainJob job;
    job.params = std::move(params);
    cancel_ = job.cancel;
    pause_ = job.pause;
    curves_.clear();
    dirty_ = true;
    setRunning(true);
    phase_->setText(tr("Queued"));
    log(what);
    jobs_->submitTraining(job);
    Q_EMIT runsChanged();
}

QString TrainingPanel::resumeRun(qint64 runId, const QString& checkpoint) {
    if (running_) return tr("A training run is already running.");
    QString error;
    auto run = runRecord(runId, error);
    if (!run) return error;
    // The run's own config, relative paths against the workspace the store lives in (where
    // the run was started from); the trainer checks that the settings match the checkpoint.
    const QString base = QFileInfo(storePath_).absolutePath();
    auto cfg =
        tb::parse_app_config(run->config_yaml, QDir(base).filePath("config.yaml").toStdString());
    if (!cfg.ok())
        return tr("Run #%1's stored config cannot be read: %2")
            .arg(runId)
            .arg(QString::fromStdString(cfg.error().message));
    auto params = tb::train_params_from_config(cfg.value());
    if (!params.ok()) return QString::fromStdString(params.error().message);
    params.value().config_yaml = run->config_yaml;
    params.value().resume_from =
        (checkpoint.isEmpty() ? QString::fromStdString(run->output_dir) : checkpoint).toStdString();
    submit(params.value(), tr("Resuming run #%1 from %2")
                               .arg(runId)
                               .arg(QString::fromStdString(params.value().resume_from)));
    return {};
}

// The trainer's phase in the interface language (tb::train_phase_name is the log's English).
QString TrainingPanel::phaseName(tb::TrainPhase phase) {
    switch (phase) {
        case tb::TrainPhase::Loading:
            return tr("Loading");
        case tb::TrainPhase::Training:
            return tr("Training");
        case tb::TrainPhase::Evaluating:
            return tr("Evaluating");
        case tb::TrainPhase::Saving:
            return tr("Saving");
        case tb::TrainPhase::Paused:
            return tr("Paused");
        case tb::TrainPhase::Finished:
            return tr("Finished");
        case tb::TrainPhase::Cancelled:
            return tr("Cancelled");
    }
    return QString::fromLatin1(tb::train_phase_name(phase));
}

bool TrainingPanel::paused() const { return running_ && pause_ && pause_->paused(); }

QString TrainingPanel::phaseText() const { return phase_->text(); }

void TrainingPanel::togglePause() {
    if (!running_ || !pause_) return;
    if (pause_->paused()) {
        pause_->resume();
        pauseButton_->setText(tr("&Pause"));
        phase_->setText(tr("Training"));
        log(tr("Resumed"));
    } else {
        pause_->pause();
        pauseButton_->setText(tr("&Resume"));
        phase_->setText(tr("Paused"));
        log(tr("Pausing after the current step"));
    }
}

void TrainingPanel::confirmCancel() {
    if (!running_) return;
    const auto answer = QMessageBox::question(
        this, tr("Cancel training"),
        tr("Cancel the training run? It stops after the current step and writes a checkpoint "
           "that it can be resumed from (Runs tab)."),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer == QMessageBox::Yes) cancel();
}

void TrainingPanel::cancel() {
    if (!running_ || !cancel_) return;
    cancel_->cancel();
    if (pause_) pause_->resume();  // a paused run must wake up to see the cancel
    log(tr("Cancelling after the current step (a checkpoint is written)…"));
}

bool TrainingPanel::cancelForShutdown() {
    if (!running_) return false;
    cancel();
    return true;
}

void TrainingPanel::onProgress(const tb::TrainProgress& p) {
    if (curves_.add(p)) dirty_ = true;
    progress_->setFormat(tr("step %v / %m"));
    progress_->setMaximum(static_cast<int>(std::max<int64_t>(p.total_steps, 1)));
    progress_->setValue(static_cast<int>(p.step));
    // The trainer finishes the step in flight after Pause: the status says Paused from the
    // click on, not the step's phase.
    phase_->setText(paused() ? tr("Paused") : phaseName(p.phase));
    if (p.eta_s > 0) {
        eta_->setText(
            tr("ETA %1").arg(QTime(0, 0).addSecs(static_cast<int>(p.eta_s)).toString("HH:mm:ss")));
    }
    if (!p.message.empty()) log(QString::fromStdString(p.message));
    if (p.eval_loss) {
        log(tr("step %1: eval loss %2, perplexity %3")
                .arg(p.step)
                .arg(localNumber(*p.eval_loss, 'f', 4))
                .arg(localNumber(p.eval_ppl.value_or(0.0), 'f', 2)));
    } else if (p.phase == tb::TrainPhase::Training) {
        log(tr("step %1/%2: loss %3, lr %4, grad norm %5, %6 tokens/s")
                .arg(p.step)
                .arg(p.total_steps)
                .arg(localNumber(p.loss, 'f', 4))
                .arg(localNumber(p.lr, 'g', 3))
                .arg(localNumber(p.grad_norm, 'f', 3))
                .arg(localNumber(p.tokens_per_s, 'f', 0)));
    }
}

void TrainingPanel::onFinished(const tb::TrainResult& r) {
    setRunning(false);
    dirty_ = true;
    Q_EMIT runsChanged();
    const QString err = refreshRuns();
    if (!err.isEmpty()) log(err);
    phase_->setText(r.cancelled ? tr("Cancelled") : tr("Finished"));
    eta_->clear();
    for (const auto& w : r.warnings) log(tr("Warning: %1").arg(QString::fromStdString(w)));
    if (r.cancelled && r.run_dir.empty()) {
        log(tr("Cancelled while loading; nothing was written"));
    } else if (r.cancelled && r.last_checkpoint.empty()) {
        log(tr("Cancelled at step %1; no checkpoint was written (resuming restarts at step 0)")
                .arg(r.steps));
    } else if (r.cancelled) {
        log(tr("Cancelled at step %1; checkpoint: %2")
                .arg(r.steps)
                .arg(QString::fromStdString(r.last_checkpoint)));
    } else {
        log(tr("Finished %1 steps in %2 s; adapter: %3")
                .arg(r.steps)
                .arg(localNumber(r.total_seconds, 'f', 1))
                .arg(QString::fromStdString(r.adapter_dir)));
        Q_EMIT runFinished(QString::fromStdString(r.adapter_dir));
    }
}

void TrainingPanel::onFailed(const QString& message) {
    if (exporting_ && jobs_->currentKind() == JobKind::Export) {
        exporting_ = false;
        log(tr("Export failed: %1").arg(message));
        Q_EMIT exportFailed(message);
        return;
    }
    if (!running_ || jobs_->currentKind() != JobKind::Training) return;
    refreshRuns();
    setRunning(false);
    Q_EMIT runsChanged();
    phase_->setText(tr("Failed"));
    log(tr("Failed: %1").arg(message));
}

void TrainingPanel::redraw() {
    dirty_ = false;
    const auto& c = curves_;
    plots_[0]->graph(0)->setData(c.step, c.loss, true);
    plots_[0]->graph(1)->setData(c.step, c.smoothed, true);
    plots_[0]->graph(2)->setData(c.evalStep, c.evalLoss, true);
    plots_[1]->graph(0)->setData(c.step, c.lr, true);
    plots_[2]->graph(0)->setData(c.step, c.gradNorm, true);
    plots_[3]->graph(0)->setData(c.step, c.tokensPerS, true);
    plots_[4]->graph(0)->setData(c.step, c.memoryMiB, true);
    plots_[5]->graph(0)->setData(c.evalStep, c.evalPpl, true);
    // x from 0 to the run's length (an earlier run's overlay may be longer: it is drawn whole);
    // y to the data with headroom, on every update.
    chart::Scale scale;
    scale.xMin = 0.0;
    if (c.totalSteps > 0) scale.xMax = static_cast<double>(c.totalSteps);
    for (int i = 0; i < plots_.size(); ++i) {
        chart::Scale sc = scale;
        sc.zeroBasedY = i == 1 || i == 3 || i == 4;  // lr, tokens/s, memory start at 0
        chart::autoscale(plots_[i], sc);
        chart::refresh(plots_[i], true);
    }
}

}  // namespace tbui
