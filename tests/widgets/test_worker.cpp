// The worker drives real core jobs: demo workspace creation (few pretraining steps), 5 real
// LoRA training steps (progress arrives per step, result carries the adapter), cancel stops
// within one step, the trained adapter streams beside the base model, and jobs queue.
#include <QFileInfo>
#include <QSignalSpy>
#include <QtTest>

#include "signal_wait.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/worker.h"

namespace {
tb::TrainParams tinyParams(const std::string& modelDir, const std::string& runDir, int64_t steps) {
    tb::TrainParams p;
    p.model_dir = modelDir;
    p.data_path = guitest::dolly_path();
    p.max_length = 64;
    p.lora.r = 4;
    p.lora.alpha = 8;
    p.epochs = 1;
    p.batch_size = 2;
    p.gradient_accumulation_steps = 1;
    p.learning_rate = 5e-3;
    p.max_steps = steps;
    p.device = "cpu";
    p.dtype = "float32";
    p.eval_steps = 0;
    p.save_steps = 2;
    p.logging_steps = 1;
    p.run_dir = runDir;
    p.save_merged_model = false;
    return p;
}
}  // namespace

class TestWorker : public QObject {
    Q_OBJECT
  private:
    std::string modelDir_;
    QString adapterDir_;

  private Q_SLOTS:
    void initTestCase() {
        modelDir_ = tbtest::scratch_dir("worker_model");
        const std::string err = guitest::make_tiny_model_dir(modelDir_);
        QVERIFY2(err.empty(), err.c_str());
    }

    void demoWorkspaceWithProgress() {
        tbui::JobQueue jobs;
        QSignalSpy progress(jobs.worker(), &tbui::Worker::demoProgress);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::demoFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        tbui::DemoJob job;
        const std::string root = tbtest::scratch_dir("worker_demo");
        job.params.dir = root + "/ws";
        job.params.pretrain_steps = 3;
        jobs.submitDemo(job);
        QCOMPARE(jobs.current(), jobs.tr("Create demo workspace"));
        QVERIFY(guitest::waitForSignal(finished, 600000));
        QCOMPARE(failed.count(), 0);
        bool sawPretrain = false;
        for (const auto& args : progress)
            sawPretrain |= args.at(0).value<tb::demo::DemoProgress>().stage == "pretrain";
        QVERIFY(sawPretrain);
        const auto r = finished.at(0).at(0).value<tb::demo::DemoResult>();
        QVERIFY(QFileInfo(QString::fromStdString(r.model_dir) + "/config.json").isFile());
        QTRY_VERIFY(!jobs.busy());
    }

    void fiveTrainingSteps() {
        tbui::JobQueue jobs;
        QSignalSpy progress(jobs.worker(), &tbui::Worker::trainProgress);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::trainFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        tbui::TrainJob job;
        job.params = tinyParams(modelDir_, tbtest::scratch_dir("worker_run5"), 5);
        jobs.submitTraining(job);
        QVERIFY(guitest::waitForSignal(finished, 300000));
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QList<int64_t> steps;
        for (const auto& args : progress) {
            const auto p = args.at(0).value<tb::TrainProgress>();
            if (p.phase == tb::TrainPhase::Training && (steps.isEmpty() || p.step > steps.last()))
                steps << p.step;
        }
        QCOMPARE(steps, (QList<int64_t>{1, 2, 3, 4, 5}));
        const auto r = finished.at(0).at(0).value<tb::TrainResult>();
        QVERIFY(!r.cancelled);
        QCOMPARE(r.steps, int64_t(5));
        adapterDir_ = QString::fromStdString(r.adapter_dir);
        QVERIFY(QFileInfo(adapterDir_ + "/adapter_config.json").isFile());
    }

    void cancelStopsWithinOneStep() {
        tbui::JobQueue jobs;
        tbui::TrainJob job;
        job.params = tinyParams(modelDir_, tbtest::scratch_dir("worker_cancel"), 100);
        auto cancel = job.cancel;
        int64_t cancelledAt = -1;
        // Direct connection: cancel from the worker thread at the exact step, so the check
        // "at most one more step" does not depend on event-queue latency.
        connect(
            jobs.worker(), &tbui::Worker::trainProgress, jobs.worker(),
            [&](const tb::TrainProgress& p) {
                if (p.phase == tb::TrainPhase::Training && p.step >= 2 && cancelledAt < 0) {
                    cancelledAt = p.step;
                    cancel->cancel();
                }
            },
            Qt::DirectConnection);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::trainFinished);
        jobs.submitTraining(job);
        QVERIFY(guitest::waitForSignal(finished, 300000));
        const auto r = finished.at(0).at(0).value<tb::TrainResult>();
        QVERIFY(r.cancelled);
        QVERIFY(cancelledAt >= 2);
        QVERIFY(r.steps <= cancelledAt + 1);
    }

    void queueRunsOneJobAtATime() {
        tbui::JobQueue jobs;
        QSignalSpy changed(&jobs, &tbui::JobQueue::queueChanged);
        QSignalSpy done(jobs.worker(), &tbui::Worker::jobDone);
        tbui::DatasetJob d;
        d.path = guitest::dolly_path();
        jobs.submitDataset(d);
        jobs.submitDataset(d);
        jobs.submitDataset(d);
        QVERIFY(jobs.busy());
        QCOMPARE(jobs.pending().size(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 3, 60000);
        QVERIFY(!jobs.busy());
        QVERIFY(jobs.pending().isEmpty());
    }

    void adapterBesideBase() {
        QVERIFY(!adapterDir_.isEmpty());
        tbui::JobQueue jobs;
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        tbui::CompareJob job;
        job.model_dir = modelDir_;
        job.adapter_dirs = {adapterDir_.toStdString()};
        job.prompt = "What is a llama?";
        job.max_new_tokens = 16;
        jobs.submitCompare(job);
        QVERIFY(guitest::waitForSignal(finished, 120000));
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(done.count(), 2);
        QCOMPARE(done.at(1).at(0).value<tbui::GenColumnDone>().column, 1);
    }
};

QTEST_MAIN(TestWorker)
#include "test_worker.moc"
