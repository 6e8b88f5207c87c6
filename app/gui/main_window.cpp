#include "app/gui/main_window.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

#include "widgets/about_panel.h"
#include "widgets/benchmark_panel.h"
#include "widgets/chat_panel.h"
#include "widgets/compare_panel.h"
#include "widgets/dataset_panel.h"
#include "widgets/export_dialog.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/language.h"
#include "widgets/rating_panel.h"
#include "widgets/results_panel.h"
#include "widgets/runs_panel.h"
#include "widgets/serve_panel.h"
#include "widgets/store_recovery.h"
#include "widgets/training_panel.h"
#include "widgets/worker.h"
#include "widgets/workspace_panel.h"

namespace tbui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("tunebench"));
    setWindowIcon(QIcon(":/icons/tunebench.svg"));
    jobs_ = new JobQueue(this);
    tabs_ = new QTabWidget(this);
    workspace_ = new WorkspacePanel(jobs_, tabs_);
    dataset_ = new DatasetPanel(jobs_, tabs_);
    hyper_ = new HyperparamPanel(tabs_);
    training_ = new TrainingPanel(
        jobs_, [this] { return hyper_->snapshot(); }, tabs_);
    runs_ = new RunsPanel(tabs_);
    runs_->setActions({[this](qint64 id, const QString& cp) {
                           const QString err = training_->resumeRun(id, cp);
                           if (err.isEmpty()) tabs_->setCurrentWidget(training_);
                           return err;
                       },
                       [this](qint64 id, const QString& dest, bool merged) {
                           return training_->exportRun(id, dest, merged);
                       },
                       [this] { return training_->running(); }});
    connect(training_, &TrainingPanel::runsChanged, runs_, [this] { runs_->refresh(); });
    compare_ = new ComparePanel(jobs_, tabs_);
    chat_ = new ChatPanel(jobs_, tabs_);
    rating_ = new RatingPanel(tabs_);
    results_ = new ResultsPanel(
        jobs_, [this] { return hyper_->snapshot(); }, tabs_);
    benchmark_ = new BenchmarkPanel(jobs_, tabs_);
    serve_ = new ServePanel(tabs_);
    // Start training and Run evaluation follow the form: blocked while a field is invalid.
    connect(hyper_, &HyperparamPanel::stateChanged, training_, &TrainingPanel::updateConfigState);
    connect(hyper_, &HyperparamPanel::stateChanged, results_, &ResultsPanel::updateConfigState);
    tabs_->addTab(workspace_, tr("&Workspace"));
    tabs_->addTab(dataset_, tr("&Dataset"));
    tabs_->addTab(hyper_, tr("&Hyperparameters"));
    tabs_->addTab(training_, tr("&Training"));
    tabs_->addTab(runs_, tr("Ru&ns"));
    tabs_->addTab(compare_, tr("&Compare"));
    tabs_->addTab(chat_, tr("Chat &playground"));
    tabs_->addTab(rating_, tr("H&uman evaluation"));
    tabs_->addTab(results_, tr("&Results"));
    tabs_->addTab(benchmark_, tr("Bench&mark"));
    tabs_->addTab(serve_, tr("Ser&ve"));
    tabs_->addTab(new AboutPanel(tabs_), tr("&About"));
    setCentralWidget(tabs_);

    jobLabel_ = new QLabel(this);
    statusBar()->addPermanentWidget(jobLabel_);
    connect(jobs_, &JobQueue::queueChanged, this, &MainWindow::updateStatus);
    // The panels that keep the workspace's store open; a restore of a damaged store closes
    // and reopens them (StoreRecovery).
    auto setStoreDir = [this](const QString& dir) {
        training_->setWorkspaceDir(dir);
        runs_->setWorkspaceDir(dir);
        compare_->setWorkspaceDir(dir);
        rating_->setWorkspaceDir(dir);
        results_->setWorkspaceDir(dir);
        chat_->setWorkspaceDir(dir);
        serve_->setWorkspaceDir(dir);
    };
    connect(jobs_->worker(), &Worker::failed, this, [this, setStoreDir](const QString& msg) {
        statusBar()->showMessage(tr("Error: %1").arg(msg), 15000);
        if (StoreRecovery::isDamageMessage(msg))  // once the failed job has left the queue
            QTimer::singleShot(0, this, [this, setStoreDir] {
                StoreRecovery::checkAndOffer(this, workspaceDir_, setStoreDir, jobs_->busy());
            });
    });
    updateStatus();

    connect(workspace_, &WorkspacePanel::workspaceChanged, this, [=](const Workspace& ws) {
        const QString configError = hyper_->openWorkspaceConfig(
            ws.configPath(), ws.modelDir, ws.dataPath, ws.dir + "/outputs", ws.demo);
        compare_->setModelDir(ws.modelDir);
        chat_->setModelDir(ws.modelDir);
        chat_->setEngine(QString::fromStdString(hyper_->config().inference.engine));
        chat_->setQuantFormat(QString::fromStdString(hyper_->config().inference.quant));
        benchmark_->setWorkspace(ws.dir, ws.modelDir);
        serve_->setModelDir(ws.modelDir);
        compare_->setEngine(QString::fromStdString(hyper_->config().inference.engine));
        compare_->setQuantFormat(QString::fromStdString(hyper_->config().inference.quant));
        dataset_->loadFromConfig(hyper_->config());
        // A damaged store: one message with a one-click restore, before the panels open it.
        StoreRecovery::checkAndOffer(this, ws.dir, setStoreDir, jobs_->busy());
        setStoreDir(ws.dir);
        workspaceDir_ = ws.dir;
        statusBar()->showMessage(
            configError.isEmpty() ? tr("Workspace: %1").arg(ws.dir)
                                  : tr("Workspace: %1; its configuration could not be loaded: %2")
                                        .arg(ws.dir, configError),
            configError.isEmpty() ? 5000 : 20000);
    });
    // The Dataset tab shows the split the config defines (seed, ratios, stratification).
    connect(hyper_, &HyperparamPanel::configChanged, this, [this] {
        dataset_->loadFromConfig(hyper_->config());
        compare_->setEngine(QString::fromStdString(hyper_->config().inference.engine));
        compare_->setQuantFormat(QString::fromStdString(hyper_->config().inference.quant));
        chat_->setEngine(QString::fromStdString(hyper_->config().inference.engine));
        chat_->setQuantFormat(QString::fromStdString(hyper_->config().inference.quant));
    });
    connect(dataset_, &DatasetPanel::datasetReady, this, [this] {
        auto bundle = dataset_->model()->bundle();
        compare_->setDataset(bundle);
        hyper_->setTrainRows(static_cast<qint64>(bundle->split.train.size()));
    });
    connect(training_, &TrainingPanel::runFinished, compare_, &ComparePanel::addAdapter);
    connect(training_, &TrainingPanel::runFinished, chat_, &ChatPanel::addAdapter);
    // New generations: the rating panel lists the evaluation (re-reads the store).
    connect(results_, &ResultsPanel::evaluationDone, this, [this](qint64 evalId) {
        if (workspaceDir_.isEmpty()) return;
        rating_->setWorkspaceDir(workspaceDir_);
        if (evalId > 0) rating_->setEvaluation(evalId);
    });

    buildMenus();
    QSettings s;
    // Bounded by the screen (a 1280x800 laptop), also when restoring a geometry saved on a
    // larger one.
    const QSize avail = QGuiApplication::primaryScreen()->availableSize();
    resize(initialSize(avail, minimumSizeHint()));
    restoreGeometry(s.value("window/geometry").toByteArray());
    if (width() > avail.width() || height() > avail.height())
        resize(initialSize(avail, minimumSizeHint()));
    restoreState(s.value("window/state").toByteArray());
    tabs_->setCurrentIndex(s.value("window/tab", 0).toInt());
}

QSize MainWindow::initialSize(const QSize& available, const QSize& minimum) {
    const QSize titleBar(0, 32);  // the window manager's frame is outside the size we set
    return QSize(1280, 820).boundedTo(available - titleBar).expandedTo(minimum);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &demo workspace"), QKeySequence("Ctrl+D"), workspace_,
                    &WorkspacePanel::openDemo);
    file->addAction(tr("&Load configuration…"), QKeySequence::Open, hyper_,
                    &HyperparamPanel::loadYaml);
    file->addAction(tr("&Save configuration"), QKeySequence::Save, hyper_,
                    &HyperparamPanel::saveYaml);
    file->addAction(tr("Save configuration &as…"), QKeySequence::SaveAs, hyper_,
                    &HyperparamPanel::saveYamlAs);
    file->addSeparator();
    // Export acts on the run chosen in the Training tab's earlier-run list: show that tab.
    file->addAction(tr("Export &adapter…"), this, [this] {
        tabs_->setCurrentWidget(training_);
        training_->exportInteractive(false);
    });
    file->addAction(tr("Export &merged model…"), this, [this] {
        tabs_->setCurrentWidget(training_);
        training_->exportInteractive(true);
    });
    // The configuration's model as a merged HF folder, GGUF or GGUF LoRA (the Training tab's
    // Export model… starts from the run chosen there instead).
    file->addAction(tr("Export m&odel…"), this, [this] {
        auto* dialog = findChild<ExportDialog*>("fileExportDialog");
        if (!dialog) {
            dialog = new ExportDialog(jobs_, this);
            dialog->setObjectName("fileExportDialog");
        }
        if (!dialog->running()) {
            const tb::AppConfig cfg = hyper_->config();
            ExportDefaults d;
            d.modelDir = QString::fromStdString(tb::resolve_model_path(cfg));
            d.outputsDir = QString::fromStdString(tb::resolve_path(cfg, cfg.training.output_dir));
            dialog->setDefaults(d);
        }
        dialog->show();
        dialog->raise();
        dialog->activateWindow();
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < tabs_->count(); ++i) {
        QString name = tabs_->tabText(i);
        name.remove('&');
        view->addAction(name, QKeySequence(QString("Ctrl+%1").arg(i + 1)), this,
                        [this, i] { tabs_->setCurrentIndex(i); });
    }

    QMenu* lang = menuBar()->addMenu(tr("&Language"));
    auto* group = new QActionGroup(lang);
    const QString current = QSettings().value("ui/language").toString();
    const std::pair<QString, QString> langs[] = {
        {QString(), tr("System default")}, {"en", "English"}, {"es", "Español"}};
    for (const auto& [code, label] : langs) {
        QAction* a = lang->addAction(label);
        a->setCheckable(true);
        a->setChecked(code == current);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [code = code] {
            QSettings().setValue("ui/language", code);
            applyLanguage(code);  // every widget gets LanguageChange: see changeEvent
        });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About tunebench"), this,
                    [this] { tabs_->setCurrentIndex(tabs_->count() - 1); });
}

void MainWindow::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) {
        // Static texts of every panel (widgets/language.h), then the menus and the status
        // line, which are rebuilt.
        retranslateWidgetTree(this);
        setWindowTitle(tr("tunebench"));
        menuBar()->clear();
        buildMenus();
        updateStatus();
    }
    QMainWindow::changeEvent(event);
}

void MainWindow::updateStatus() {
    if (!jobs_->busy()) {
        jobLabel_->setText(closing_ ? tr("Closing…") : tr("Idle"));
        if (closing_) close();
        return;
    }
    QString text = tr("Running: %1").arg(jobs_->current());
    const QStringList pending = jobs_->pending();
    if (!pending.isEmpty()) text += " · " + tr("Queued: %1").arg(pending.join(", "));
    jobLabel_->setText(text);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("window/tab", tabs_->currentIndex());
    if (jobs_->busy()) {
        // Never block the GUI thread: cancel (training writes a checkpoint), drop queued jobs
        // and close again once the worker reports the job done.
        closing_ = true;
        jobs_->clearPending();
        training_->cancelForShutdown();
        compare_->stop();
        chat_->stop();
        results_->cancelEvaluation();
        benchmark_->cancel();
        workspace_->cancelDemo();
        for (ExportDialog* d : findChildren<ExportDialog*>()) d->cancelExport();
        statusBar()->showMessage(tr("Stopping the running job before closing…"));
        event->ignore();
        return;
    }
    jobs_->shutdown();
    event->accept();
}

}  // namespace tbui
