// Curves behind the training charts: raw/smoothed loss, eval points, duplicates ignored; the
// panel draws on its timer; earlier-run overlay parsing.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

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
        QCOMPARE(panel.charts().size(), 5);
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

    void overlay() {
        QTemporaryDir dir;
        const QString path = dir.filePath("training_log.jsonl");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            "{\"step\":1,\"loss\":3.0}\n{\"step\":2,\"eval_loss\":2.9}\n{\"step\":3,\"loss\":2.0}"
            "\n");
        f.close();
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [] { return tb::AppConfig(); });
        QCOMPARE(panel.loadOverlay(path), QString());
        QCOMPARE(panel.lossChart()->graph(3)->dataCount(), 2);
        QVERIFY(f.open(QIODevice::Append));
        f.write("{not json\n");
        f.close();
        QVERIFY(panel.loadOverlay(path).contains(":4:"));
    }
};

QTEST_MAIN(TestTraining)
#include "test_training_panel.moc"
