// Dataset browser models over the real Dolly sample (loaded through the worker): every row,
// split/category/search filters agree with the core's split and statistics; bad rows listed.
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "core/data/data_config.h"
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

    // Issue 10: the GUI showed (and evaluated on) the default unstratified split. Loaded from
    // the config, the browser's split column is the config's split, exactly as core splits it.
    void splitFollowsTheConfig() {
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        tb::AppConfig cfg;
        cfg.data.path = std::string(TB_SHARED_DIR) + "/data/dolly-sample.jsonl";
        cfg.data.stratify = true;
        cfg.data.split_seed = 7;
        cfg.data.train_ratio = 0.8;
        cfg.data.val_ratio = 0.1;
        cfg.data.test_ratio = 0.1;
        QSignalSpy ready(&panel, &tbui::DatasetPanel::datasetReady);
        panel.loadFromConfig(cfg);
        QVERIFY(ready.wait(60000));
        auto expected = tb::load_dataset_from_config(cfg);
        QVERIFY(expected.ok());
        auto split =
            tb::split_dataset(expected.value().examples, tb::split_options_from_config(cfg.data));
        QVERIFY(split.ok());
        auto b = panel.model()->bundle();
        QCOMPARE(b->split.test, split.value().test);
        QCOMPARE(b->split.train, split.value().train);
        panel.proxy()->setSplit(2);
        QCOMPARE(panel.proxy()->rowCount(), static_cast<int>(split.value().test.size()));
        // Unchanged data settings (another section edited): nothing is reloaded.
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.busy(), 5000);
        cfg.training.learning_rate = 1e-3;
        panel.loadFromConfig(cfg);
        QVERIFY(!jobs.busy());
        QVERIFY(!ready.wait(300));
        QCOMPARE(ready.count(), 1);
        // Another seed: reloaded with the new split.
        cfg.data.split_seed = 8;
        panel.loadFromConfig(cfg);
        QVERIFY(ready.wait(60000));
        QVERIFY(panel.model()->bundle()->split.test != split.value().test);
    }
};

QTEST_MAIN(TestDataset)
#include "test_dataset_panel.moc"
