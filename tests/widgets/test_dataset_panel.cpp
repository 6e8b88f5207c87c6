// Dataset browser models over the real Dolly sample (loaded through the worker): every row,
// split/category/search filters agree with the core's split and statistics; bad rows listed.
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "signal_wait.h"
#include "widgets/dataset_panel.h"
#include "widgets/qcp.h"
#include "widgets/worker.h"

class TestDataset : public QObject {
    Q_OBJECT
  private:
    std::shared_ptr<const tbui::DatasetBundle> load(tbui::DatasetPanel& panel,
                                                    const QString& path) {
        QSignalSpy ready(&panel, &tbui::DatasetPanel::datasetReady);
        panel.loadFile(path);
        if (!ready.wait(60000)) return nullptr;
        return panel.model()->bundle();
    }

  private Q_SLOTS:
    void dollySample() {
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        const auto b = load(panel, QString(TB_SHARED_DIR) + "/data/dolly-sample.jsonl");
        QVERIFY(b);
        const int n = static_cast<int>(b->dataset.examples.size());
        QVERIFY(n > 100);
        QCOMPARE(panel.model()->rowCount(), n);
        QCOMPARE(panel.proxy()->rowCount(), n);
        QCOMPARE(panel.model()->index(0, tbui::DatasetTableModel::ColCategory).data().toString(),
                 QString::fromStdString(b->dataset.examples[0].category));

        panel.proxy()->setSplit(2);
        QCOMPARE(panel.proxy()->rowCount(), static_cast<int>(b->split.test.size()));
        panel.proxy()->setSplit(-1);

        const auto& cats = b->stats.all.categories;
        const auto& [cat, count] = *cats.begin();
        panel.proxy()->setCategory(QString::fromStdString(cat));
        QCOMPARE(panel.proxy()->rowCount(), static_cast<int>(count));
        panel.proxy()->setCategory(QString());

        panel.proxy()->setSearch("the");
        const int hits = panel.proxy()->rowCount();
        QVERIFY(hits > 0 && hits < n);
        int expected = 0;
        for (const auto& ex : b->dataset.examples) {
            for (const std::string* s : {&ex.instruction, &ex.context, &ex.response}) {
                if (QString::fromStdString(*s).contains("the", Qt::CaseInsensitive)) {
                    ++expected;
                    break;
                }
            }
        }
        QCOMPARE(hits, expected);
        panel.proxy()->setSearch(QString());

        QCOMPARE(panel.categoryChart()->plottableCount(), 1);
        QCOMPARE(panel.lengthChart()->plottableCount(), 3);  // train/val/test stacked
    }

    void badRowsAreListed() {
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.jsonl");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 20; ++i)
            f.write(QString("{\"instruction\":\"q%1\",\"context\":\"\",\"response\":\"a\","
                            "\"category\":\"qa\"}\n")
                        .arg(i)
                        .toUtf8());
        f.write("{\"instruction\":\"no response\",\"context\":\"\",\"category\":\"qa\"}\n");
        f.close();
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        const auto b = load(panel, path);
        QVERIFY(b);
        QCOMPARE(panel.model()->rowCount(), 20);
        QCOMPARE(b->dataset.bad_rows.size(), size_t(1));
        QCOMPARE(b->dataset.bad_rows[0].line, size_t(21));
    }

    void missingFileFails() {
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        panel.loadFile("/nonexistent/file.jsonl");
        QVERIFY(guitest::waitForSignal(failed, 10000));
        QVERIFY(failed.at(0).at(0).toString().contains("/nonexistent/file.jsonl"));
    }
};

QTEST_MAIN(TestDataset)
#include "test_dataset_panel.moc"
