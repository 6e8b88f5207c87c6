#include "widgets/training_panel.h"

#include <QCheckBox>
#include <QFile>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTime>
#include <QTimer>
#include <QVBoxLayout>

#include "widgets/export.h"
#include "widgets/qcp.h"
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
        changed = true;
    }
    return changed;
}

void TrainingCurves::clear() {
    for (auto* v :
         {&step, &loss, &smoothed, &lr, &gradNorm, &tokensPerS, &memoryMiB, &evalStep, &evalLoss})
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
    auto* overlayButton = new QPushButton(tr("Overlay earlier run…"), this);
    logScale_ = new QCheckBox(tr("&Log scale"), this);
    startButton_->setShortcut(QKeySequence("Ctrl+R"));
    startButton_->setToolTip(tr("Train with the Hyperparameters tab's settings (Ctrl+R)"));
    overlayButton->setToolTip(tr("Draw the losses of an earlier run's training_log.jsonl in grey"));
    controls->addWidget(startButton_);
    controls->addWidget(pauseButton_);
    controls->addWidget(cancelButton_);
    controls->addWidget(overlayButton);
    controls->addWidget(logScale_);
    controls->addStretch(1);
    layout->addLayout(controls);
    auto* status = new QHBoxLayout;
    progress_ = new QProgressBar(this);
    progress_->setFormat(tr("step %v / %m"));
    progress_->setValue(0);
    phase_ = new QLabel(tr("Idle"), this);
    eta_ = new QLabel(this);
    status->addWidget(progress_, 1);
    status->addWidget(phase_);
    status->addWidget(eta_);
    layout->addLayout(status);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* grid = new QWidget(split);
    auto* g = new QGridLayout(grid);
    g->setContentsMargins(0, 0, 0, 0);
    const QString titles[] = {tr("Loss"), tr("Learning rate"), tr("Gradient norm"),
                              tr("Tokens per second"), tr("Memory (MiB)")};
    const char* names[] = {"loss", "learning-rate", "grad-norm", "tokens-per-s", "memory"};
    for (int i = 0; i < 5; ++i) {
        auto* plot = new QCustomPlot(grid);
        plot->setMinimumHeight(160);
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, titles[i]));
        plot->xAxis->setLabel(tr("step"));
        plot->addGraph()->setPen(QPen(QColor(52, 101, 164), 1.5));
        installChartExportMenu(plot, names[i]);
        plots_ << plot;
        g->addWidget(plot, i / 3, i % 3);
    }
    auto* lossPlot = plots_[0];
    lossPlot->graph(0)->setName(tr("train loss"));
    lossPlot->graph(0)->setPen(QPen(QColor(52, 101, 164, 90), 1));
    lossPlot->addGraph()->setName(tr("smoothed"));
    lossPlot->graph(1)->setPen(QPen(QColor(52, 101, 164), 2));
    lossPlot->addGraph()->setName(tr("eval loss"));
    lossPlot->graph(2)->setPen(QPen(QColor(245, 121, 0), 2));
    lossPlot->graph(2)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    lossPlot->addGraph()->setName(tr("earlier run"));
    lossPlot->graph(3)->setPen(QPen(QColor(150, 150, 150), 1, Qt::DashLine));
    lossPlot->legend->setVisible(true);
    split->addWidget(grid);
    log_ = new QPlainTextEdit(split);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(20000);
    split->addWidget(log_);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    redrawTimer_ = new QTimer(this);
    redrawTimer_->setInterval(40);
    connect(redrawTimer_, &QTimer::timeout, this, [this] {
        if (dirty_) redraw();
    });
    redrawTimer_->start();

    connect(startButton_, &QPushButton::clicked, this, &TrainingPanel::start);
    connect(pauseButton_, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(cancelButton_, &QPushButton::clicked, this, &TrainingPanel::cancel);
    connect(logScale_, &QCheckBox::toggled, this, [this](bool on) {
        for (int i : {0, 2}) {
            auto* ax = plots_[i]->yAxis;
            ax->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
            ax->setTicker(on ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog)
                             : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        }
        dirty_ = true;
    });
    connect(overlayButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Earlier run"), QString(),
                                                          tr("Training log (training_log.jsonl)"));
        if (path.isEmpty()) return;
        const QString err = loadOverlay(path);
        if (!err.isEmpty()) QMessageBox::warning(this, tr("Earlier run"), err);
    });
    connect(jobs_->worker(), &Worker::trainProgress, this, &TrainingPanel::onProgress);
    connect(jobs_->worker(), &Worker::trainFinished, this, &TrainingPanel::onFinished);
    connect(jobs_->worker(), &Worker::failed, this, &TrainingPanel::onFailed);
    setRunning(false);
}

void TrainingPanel::setRunning(bool running) {
    running_ = running;
    startButton_->setEnabled(!running);
    pauseButton_->setEnabled(running);
    cancelButton_->setEnabled(running);
    pauseButton_->setText(tr("&Pause"));
}

void TrainingPanel::log(const QString& line) {
    log_->appendPlainText(QTime::currentTime().toString("HH:mm:ss ") + line);
}

void TrainingPanel::start() {
    if (running_) return;
    const tb::AppConfig cfg = configSource_();
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
    TrainJob job;
    job.params = params.value();
    cancel_ = job.cancel;
    pause_ = job.pause;
    curves_.clear();
    dirty_ = true;
    setRunning(true);
    phase_->setText(tr("Queued"));
    log(tr("Training %1 on %2")
            .arg(QString::fromStdString(job.params.model_dir),
                 QString::fromStdString(job.params.data_path)));
    jobs_->submitTraining(job);
}

void TrainingPanel::togglePause() {
    if (!running_ || !pause_) return;
    if (pause_->paused()) {
        pause_->resume();
        pauseButton_->setText(tr("&Pause"));
        log(tr("Resumed"));
    } else {
        pause_->pause();
        pauseButton_->setText(tr("&Resume"));
        log(tr("Pausing after the current step"));
    }
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
    progress_->setMaximum(static_cast<int>(std::max<int64_t>(p.total_steps, 1)));
    progress_->setValue(static_cast<int>(p.step));
    phase_->setText(QString::fromLatin1(tb::train_phase_name(p.phase)));
    if (p.eta_s > 0) {
        eta_->setText(
            tr("ETA %1").arg(QTime(0, 0).addSecs(static_cast<int>(p.eta_s)).toString("HH:mm:ss")));
    }
    if (!p.message.empty()) log(QString::fromStdString(p.message));
    if (p.eval_loss) {
        log(tr("step %1: eval loss %2, perplexity %3")
                .arg(p.step)
                .arg(*p.eval_loss, 0, 'f', 4)
                .arg(p.eval_ppl.value_or(0.0), 0, 'f', 2));
    } else if (p.phase == tb::TrainPhase::Training) {
        log(tr("step %1/%2: loss %3, lr %4, grad norm %5, %6 tokens/s")
                .arg(p.step)
                .arg(p.total_steps)
                .arg(p.loss, 0, 'f', 4)
                .arg(p.lr, 0, 'g', 3)
                .arg(p.grad_norm, 0, 'f', 3)
                .arg(p.tokens_per_s, 0, 'f', 0));
    }
}

void TrainingPanel::onFinished(const tb::TrainResult& r) {
    setRunning(false);
    dirty_ = true;
    phase_->setText(r.cancelled ? tr("Cancelled") : tr("Finished"));
    eta_->clear();
    if (r.cancelled) {
        log(tr("Cancelled at step %1; checkpoint: %2")
                .arg(r.steps)
                .arg(QString::fromStdString(r.last_checkpoint)));
    } else {
        log(tr("Finished %1 steps in %2 s; adapter: %3")
                .arg(r.steps)
                .arg(r.total_seconds, 0, 'f', 1)
                .arg(QString::fromStdString(r.adapter_dir)));
        Q_EMIT runFinished(QString::fromStdString(r.adapter_dir));
    }
}

void TrainingPanel::onFailed(const QString& message) {
    if (!running_ || jobs_->currentKind() != JobKind::Training) return;
    setRunning(false);
    phase_->setText(tr("Failed"));
    log(tr("Failed: %1").arg(message));
}

QString TrainingPanel::loadOverlay(const QString& logPath) {
    QFile f(logPath);
    if (!f.open(QIODevice::ReadOnly)) return tr("cannot open %1").arg(logPath);
    QVector<double> x, y;
    int lineNo = 0;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty()) continue;
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
        if (err.error != QJsonParseError::NoError)
            return tr("%1:%2: %3").arg(logPath).arg(lineNo).arg(err.errorString());
        const QJsonObject o = doc.object();
        if (o.contains("loss") && o.contains("step")) {
            x << o.value("step").toDouble();
            y << o.value("loss").toDouble();
        }
    }
    if (x.isEmpty()) return tr("%1 has no loss records").arg(logPath);
    plots_[0]->graph(3)->setData(x, y, true);
    dirty_ = true;
    return {};
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
    for (auto* p : plots_) {
        p->rescaleAxes();
        if (c.totalSteps > 0) p->xAxis->setRange(0, static_cast<double>(c.totalSteps));
        p->replot(QCustomPlot::rpQueuedReplot);
    }
}

}  // namespace tbui
