// Curves behind the training charts: raw/smoothed loss, eval points, duplicates ignored; the
// panel draws on its timer; earlier runs come from the workspace store (overlay of a run's
// logged losses); a finished run exports its adapter and its merged model (computed on the
// worker when the run has none), with errors for unfinished runs and non-empty folders.
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "core/infer/llama_model.h"
#include "core/infer/peft_adapter.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/qcp.h"
#include "widgets/training_panel.h"
#include "widgets/worker.h"

namespace {
tb::TrainProgress step(int64_t s, double loss) {
    tb::TrainProgress p;
    p.phase = tb::TrainPhase::Training;
    p.step = s;
    p.total_steps = 10;
    p.loss = loss;
    p.lr = 1e-3 * s;
    p.grad_norm = 0.5;
    p.tokens_per_s = 100;
    p.memory_bytes = 64 << 20;
    return p;
}
}  // namespace

class TestTraining : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void curvesSmoothAndDeduplicate() {
        tbui::TrainingCurves c;
        c.smoothing = 0.5;
        QVERIFY(c.add(step(1, 4.0)));
        QVERIFY(c.add(step(2, 2.0)));
        QVERIFY(!c.add(step(2, 2.0)));  // the same step again (e.g. a phase message)
        tb::TrainProgress loading;
        loading.phase = tb::TrainPhase::Loading;
        QVERIFY(!c.add(loading));
        QCOMPARE(c.step.size(), 2);
        QCOMPARE(c.smoothed[0], 4.0);
        QCOMPARE(c.smoothed[1], 3.0);
        QCOMPARE(c.memoryMiB[0], 64.0);
        tb::TrainProgress ev = step(2, 2.0);
        ev.phase = tb::TrainPhase::Evaluating;
        ev.eval_loss = 2.5;
        QVERIFY(c.add(ev));
        QCOMPARE(c.evalLoss.size(), 1);
        QCOMPARE(c.step.size(), 2);
        c.clear();
        QVERIFY(c.step.isEmpty());
    }

    void panelRedrawsOnTimer() {
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [] { return tb::AppConfig(); });
        for (int s = 1; s <= 5; ++s) panel.onProgress(step(s, 5.0 - s * 0.5));
        QCOMPARE(panel.curves().step.size(), 5);
        // Nothing is drawn synchronously; the 40 ms timer picks the points up.
        QCOMPARE(panel.lossChart()->graph(0)->dataCount(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(panel.lossChart()->graph(0)->dataCount(), 5, 2000);
        QCOMPARE(panel.charts().size(), 6);
        QCOMPARE(panel.charts()[1]->graph(0)->dataCount(), 5);
    }

    void startRefusesInvalidConfig() {
        tbui::JobQueue jobs;
        tb::AppConfig bad;
        bad.data.train_ratio = 0.5;  // ratios no longer sum to 1
        tbui::TrainingPanel panel(&jobs, [bad] { return bad; });
        panel.start();
        QVERIFY(!panel.running());
        QVERIFY(!jobs.busy());
    }

    // Issue 10: a field shown with an error (learning rate -1) blocked nothing and training
    // ran with the previous value. Now Start is disabled, says why, and start() refuses.
    void invalidFieldBlocksStart() {
        tbui::JobQueue jobs;
        tbui::HyperparamPanel hyper;
        tbui::TrainingPanel panel(&jobs, [&hyper] { return hyper.snapshot(); });
        QObject::connect(&hyper, &tbui::HyperparamPanel::stateChanged, &panel,
                         &tbui::TrainingPanel::updateConfigState);
        QVERIFY(panel.startEnabled());
        QVERIFY(!hyper.editField("training.learning_rate", "-1").isEmpty());
        QVERIFY(!panel.startEnabled());
        QVERIFY(panel.configProblem().contains("training.learning_rate"));
        auto* label = panel.findChild<QLabel*>("configProblems");
        QVERIFY(label && !label->isHidden());
        QVERIFY(label->text().contains("training.learning_rate"));
        panel.start();
        QVERIFY(!panel.running());
        QVERIFY(!jobs.busy());
        QCOMPARE(hyper.editField("training.learning_rate", "1e-4"), QString());
        QVERIFY(panel.startEnabled());
        QVERIFY(panel.configProblem().isEmpty());
        QVERIFY(label->isHidden());
        // A cross-field error blocks as well.
        QCOMPARE(hyper.editField("data.train_ratio", "0.5"), QString());
        QVERIFY(!panel.startEnabled());
        QVERIFY(panel.configProblem().contains("ratios sum to"));
    }

    // One real 3-step run recorded in a workspace store (no merged_model/), shared below.
    void initTestCase() {
        ws_ = QString::fromStdString(tbtest::scratch_dir("training_panel_ws"));
        modelDir_ = tbtest::scratch_dir("training_panel_model");
        const std::string err = guitest::make_tiny_model_dir(modelDir_);
        QVERIFY2(err.empty(), err.c_str());
        tb::TrainParams p;
        p.model_dir = modelDir_;
        p.data_path = guitest::dolly_path();
        p.max_length = 64;
        p.lora.r = 4;
        p.lora.alpha = 8;
        p.batch_size = 2;
        p.gradient_accumulation_steps = 1;
        p.learning_rate = 5e-3;
        p.max_steps = 3;
        p.device = "cpu";
        p.dtype = "float32";
        p.eval_steps = 0;
        p.save_steps = 0;
        p.logging_steps = 1;
        p.run_dir = (ws_ + "/outputs/reference/run1").toStdString();
        p.save_merged_model = false;
        p.store_path = (ws_ + "/tunebench.sqlite").toStdString();
        tb::CancelToken cancel;
        auto r = tb::run_training(p, nullptr, cancel);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        runDir_ = QString::fromStdString(r.value().run_dir);
    }

    void overlayFromStore() {
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [] { return tb::AppConfig(); });
        QVERIFY(panel.earlierRuns().isEmpty());
        panel.setWorkspaceDir(ws_);
        QCOMPARE(panel.storePath(), QDir(ws_).filePath("tunebench.sqlite"));
        QCOMPARE(panel.earlierRuns().size(), 1);
        const qint64 id = panel.earlierRuns().first();
        QCOMPARE(panel.loadOverlay(id), QString());
        auto* overlay = panel.lossChart()->graph(3);
        QCOMPARE(overlay->dataCount(), 3);
        auto st = tb::store::Store::open((ws_ + "/tunebench.sqlite").toStdString());
        QVERIFY(st.ok());
        auto rows = st.value()->training_log(id);
        QVERIFY(rows.ok());
        for (int k = 0; k < 3; ++k) {
            QCOMPARE(overlay->data()->at(k)->key, double(rows.value()[size_t(k)].step));
            QCOMPARE(overlay->data()->at(k)->value, rows.value()[size_t(k)].loss);
        }
        QVERIFY(!panel.loadOverlay(9999).isEmpty());  // no such run
        QCOMPARE(panel.loadOverlay(0), QString());    // clears
        QCOMPARE(overlay->dataCount(), 0);
        // A workspace without a store lists nothing (and creates no store).
        panel.setWorkspaceDir(ws_ + "/elsewhere");
        QVERIFY(panel.earlierRuns().isEmpty());
        QVERIFY(!QFile::exists(ws_ + "/elsewhere/tunebench.sqlite"));
    }

    // Issue 14: while paused the status says Paused (also when a progress report of the step
    // in flight arrives), the log keeps following the newest line across Pause and Resume, and
    // Cancel asks first: No keeps the run, Yes cancels it. The worker is held busy so that the
    // run stays queued (running, with its pause and cancel tokens) while the test looks.
    void pauseStatusLogAndCancelConfirmation() {
        tbui::JobQueue jobs;
        tb::AppConfig cfg;
        cfg.model.name = modelDir_;
        cfg.model.device = "cpu";
        cfg.model.dtype = "float32";
        cfg.model.max_length = 64;
        cfg.data.path = guitest::dolly_path();
        cfg.training.max_steps = 2;
        cfg.training.output_dir = (ws_ + "/outputs-pause").toStdString();
        tbui::TrainingPanel panel(&jobs, [cfg] { return cfg; });
        QSemaphore hold;
        QMetaObject::invokeMethod(jobs.worker(), [&hold] { hold.acquire(); });
        panel.start();
        QVERIFY(panel.running());
        panel.togglePause();
        QVERIFY(panel.paused());
        QCOMPARE(panel.phaseText(), QString("Paused"));
        panel.onProgress(step(1, 2.0));  // the step in flight when Pause was pressed
        QCOMPARE(panel.phaseText(), QString("Paused"));
        auto* bar = panel.logView()->verticalScrollBar();
        for (int i = 0; i < 60; ++i) panel.onProgress(step(2 + i, 1.0));
        QVERIFY(bar->maximum() > 0);
        QCOMPARE(bar->value(), bar->maximum());  // still following while paused
        panel.togglePause();
        QCOMPARE(panel.phaseText(), QString("Training"));
        for (int i = 0; i < 5; ++i) panel.onProgress(step(70 + i, 1.0));
        QCOMPARE(bar->value(), bar->maximum());  // and after Resume
        // Cancel asks; No keeps the run going.
        auto answer = [](QMessageBox::StandardButton b) {
            QTimer::singleShot(50, [b] {
                auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
                QVERIFY(box);
                box->button(b)->click();
            });
        };
        answer(QMessageBox::No);
        panel.confirmCancel();
        QVERIFY(panel.running());
        QVERIFY(!panel.logView()->toPlainText().contains("Cancelling"));
        answer(QMessageBox::Yes);
        panel.confirmCancel();
        QVERIFY(panel.logView()->toPlainText().contains("Cancelling"));
        hold.release();  // the queued run starts, sees the cancel and ends
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 60000);
    }

    void exportAdapterAndMergedModel() {
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [] { return tb::AppConfig(); });
        panel.setWorkspaceDir(ws_);
        const qint64 id = panel.earlierRuns().first();
        QSignalSpy done(&panel, &tbui::TrainingPanel::exportFinished);
        QSignalSpy stages(jobs.worker(), &tbui::Worker::exportProgress);

        const QString adapterDest = ws_ + "/export/adapter";
        QCOMPARE(panel.exportRun(id, adapterDest, false), QString());
        QVERIFY(panel.exporting());
        QVERIFY(done.wait(60000));
        QVERIFY(!panel.exporting());
        for (const char* f : {"adapter_config.json", "adapter_model.safetensors"}) {
            QFile a(runDir_ + "/adapter/" + f), b(adapterDest + "/" + f);
            QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
            QCOMPARE(b.readAll(), a.readAll());
        }
        // The run has no merged_model/: merged on the worker from the base model + adapter.
        QVERIFY(!QFile::exists(runDir_ + "/merged_model"));
        const QString mergedDest = ws_ + "/export/merged";
        QCOMPARE(panel.exportRun(id, mergedDest, true), QString());
        QVERIFY(done.wait(120000));
        QStringList seen;
        for (const auto& args : stages) seen << args.at(0).toString();
        QVERIFY2(seen.contains(tbui::Worker::tr("merging the adapter")),
                 qPrintable(seen.join("|")));
        for (const char* f : {"config.json", "model.safetensors", "tokenizer.model"})
            QVERIFY2(QFile::exists(mergedDest + "/" + f), f);
        auto merged = tb::load_llama_model(mergedDest.toStdString());
        QVERIFY2(merged.ok(), merged.ok() ? "" : merged.error().message.c_str());
        // The merge equals the base model with the adapter applied (same forward).
        auto base = tb::load_llama_model(modelDir_);
        QVERIFY(base.ok());
        QVERIFY(tb::apply_peft_adapter(base.value(), (runDir_ + "/adapter").toStdString()).ok());
        auto ids = at::tensor({1, 450, 7483, 310, 3444}, at::kLong).unsqueeze(0);
        auto pos = at::arange(5, at::kLong).unsqueeze(0);
        at::NoGradGuard ng;
        auto a = base.value().forward(ids, pos, at::Tensor(), nullptr);
        auto b = merged.value().forward(ids, pos, at::Tensor(), nullptr);
        QVERIFY(at::allclose(a, b, 1e-4, 1e-5));
        auto plain = tb::load_llama_model(modelDir_);
        QVERIFY(plain.ok());
        auto c = plain.value().forward(ids, pos, at::Tensor(), nullptr);
        QVERIFY(!at::allclose(c, b, 1e-4, 1e-5));  // the adapter counts

        // Errors: a non-empty destination, an unknown run.
        QVERIFY(panel.exportRun(id, mergedDest, true).contains(mergedDest));
        QVERIFY(!panel.exportRun(4242, ws_ + "/export/x", false).isEmpty());
        QVERIFY(!panel.exporting());
    }

  private:
    QString ws_;
    QString runDir_;
    std::string modelDir_;
};

QTEST_MAIN(TestTraining)
#include "test_training_panel.moc"
