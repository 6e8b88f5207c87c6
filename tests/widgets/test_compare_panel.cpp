// Compare panel: word diff, dataset rows as prompts, and streaming generation through the
// worker on a tiny random model (chunks arrive, tokens/s reported, Stop cancels).
#include <QSignalSpy>
#include <QtTest>

#include "signal_wait.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/compare_panel.h"
#include "widgets/worker.h"

class TestCompare : public QObject {
    Q_OBJECT
  private:
    QString modelDir_;

  private Q_SLOTS:
    void initTestCase() {
        modelDir_ = QString::fromStdString(tbtest::scratch_dir("compare_model"));
        const std::string err = guitest::make_tiny_model_dir(modelDir_.toStdString());
        QVERIFY2(err.empty(), err.c_str());
    }

    void wordDiff() {
        const QStringList a = QString("the cat sat on the mat").split(' ');
        const QStringList b = QString("the dog sat on a mat today").split(' ');
        const QVector<bool> ch = tbui::changedWords(a, b);
        QCOMPARE(ch, (QVector<bool>{false, true, false, false, true, false, true}));
        QCOMPARE(tbui::changedWords(a, a), QVector<bool>(a.size(), false));
        QCOMPARE(tbui::changedWords({}, b), QVector<bool>(b.size(), true));
        const QString html = tbui::diffHtml("a b", "a <c>\nb");
        QVERIFY(html.contains("<span style='background:#b5e3b5'>&lt;c&gt;</span>"));
        QVERIFY(html.contains("<br>b"));
    }

    void datasetRowBecomesPrompt() {
        auto bundle = std::make_shared<tbui::DatasetBundle>();
        tb::Example ex;
        ex.instruction = "Summarise";
        ex.context = "Some text.";
        ex.response = "Short.";
        bundle->dataset.examples = {ex, ex};
        bundle->split.test = {1};
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setDataset(bundle);
        panel.useDatasetItem(0);
        QVERIFY(panel.prompt().startsWith("Summarise"));
        QVERIFY(panel.prompt().contains("Some text."));
        QCOMPARE(panel.reference(), QString("Short."));
    }

    void streamsBaseModel() {
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setModelDir(modelDir_);
        QSignalSpy chunks(jobs.worker(), &tbui::Worker::genChunk);
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        panel.run();
        QVERIFY(panel.running());
        QVERIFY(guitest::waitForSignal(finished, 120000));
        QCOMPARE(failed.count(), 0);
        QVERIFY(chunks.count() >= 1);
        QCOMPARE(done.count(), 1);
        const auto d = done.at(0).at(0).value<tbui::GenColumnDone>();
        QVERIFY(d.tokens > 0 && d.tokens <= 128);
        QVERIFY(d.seconds > 0);
        QVERIFY(!panel.running());
        QVERIFY(!panel.outputs().value(0).isEmpty());
    }

    void stopCancels() {
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setModelDir(modelDir_);
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        panel.run();
        panel.stop();  // the token is shared: the worker sees it without a queued call
        QVERIFY(guitest::waitForSignal(finished, 120000));
        QCOMPARE(done.count(), 0);  // cancelled before the base column could finish or start
    }
};

QTEST_MAIN(TestCompare)
#include "test_compare_panel.moc"
