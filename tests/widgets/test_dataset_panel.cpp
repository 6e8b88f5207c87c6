// Dataset browser models over the real Dolly sample (loaded through the worker): every row,
// split/category/search filters agree with the core's split and statistics; bad rows listed.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "core/data/data_config.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/batching.h"
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

    // A model folder with the Llama-2 tokenizer and TinyLlama's tokenizer_config.json (its chat
    // template): all that the trainer's tokenization reads.
    static QString makeTokenizerDir(const QTemporaryDir& dir) {
        const QString model = dir.filePath("model");
        QDir().mkpath(model);
        QFile::copy(QString(TB_SHARED_DIR) + "/data/llama2-tokenizer.model",
                    model + "/tokenizer.model");
        QFile fixture(QString(TB_FIXTURES_DIR) + "/tokenizer/plain_legacy_false.json");
        if (!fixture.open(QIODevice::ReadOnly)) return {};
        const QJsonObject cfg = QJsonDocument::fromJson(fixture.readAll())
                                    .object()
                                    .value("tokenizer_config")
                                    .toObject();
        QFile out(model + "/tokenizer_config.json");
        if (!out.open(QIODevice::WriteOnly)) return {};
        out.write(QJsonDocument(cfg).toJson());
        return model;
    }

    // Rows that training truncates at max_length, counted by the trainer's own tokenization.
    static size_t trainerTruncated(const std::vector<tb::Example>& ex,
                                   const std::vector<size_t>& rows, const QString& modelDir,
                                   int64_t maxLength) {
        auto tok = tb::Tokenizer::load(modelDir.toStdString());
        if (!tok.ok()) return SIZE_MAX;
        tb::TokenizeOptions opt;
        opt.max_length = maxLength;
        opt.prompt_template = tb::PromptTemplate::Chat;
        auto set = tb::tokenize_examples(ex, rows, *tok.value(), opt);
        return set.ok() ? set.value().truncated : SIZE_MAX;
    }

  private Q_SLOTS:
    // Issue 14: lengths in tokens of the config's model, as training tokenizes the rows (chat
    // template, bos/eos), the max_length marker and the count of rows training would truncate,
    // following the filters; characters as the other unit.
    void tokenLengthsAreTheTrainersLengths() {
        QTemporaryDir dir;
        const QString modelDir = makeTokenizerDir(dir);
        QVERIFY(!modelDir.isEmpty());
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        tb::AppConfig cfg;
        cfg.data.path = std::string(TB_SHARED_DIR) + "/data/dolly-sample.jsonl";
        cfg.model.name = modelDir.toStdString();
        cfg.model.max_length = 160;
        cfg.data.prompt_template = "chat";
        QSignalSpy ready(&panel, &tbui::DatasetPanel::datasetReady);
        QSignalSpy counted(&panel, &tbui::DatasetPanel::tokenLengthsReady);
        panel.loadFromConfig(cfg);
        QVERIFY(ready.wait(60000));
        QVERIFY(counted.count() > 0 || counted.wait(60000));
        QVERIFY2(panel.lengthStatusText().contains("160"), qPrintable(panel.lengthStatusText()));
        QVERIFY(panel.showingTokens());
        const auto& ex = panel.model()->bundle()->dataset.examples;
        QCOMPARE(panel.tokenLengths().size(), static_cast<int>(ex.size()));

        std::vector<size_t> all(ex.size());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        const size_t expected = trainerTruncated(ex, all, modelDir, 160);
        QVERIFY(expected > 0 && expected < ex.size());  // the marker splits the data
        QCOMPARE(panel.truncatedRows(), static_cast<qint64>(expected));
        QVERIFY(panel.lengthStatusText().contains(QString::number(expected)));
        // The marker is drawn at max_length.
        QCPItemStraightLine* line = nullptr;
        for (int i = 0; i < panel.lengthChart()->itemCount(); ++i)
            if (auto* l = qobject_cast<QCPItemStraightLine*>(panel.lengthChart()->item(i)))
                line = l;
        QVERIFY(line && line->visible());
        QCOMPARE(line->point1->coords().x(), 160.0);
        QVERIFY(panel.lengthChart()->xAxis->range().contains(160.0));
        QVERIFY(panel.lengthChart()->xAxis->label().contains("tokens"));

        // The count follows the filters: the test split only.
        panel.proxy()->setSplit(2);
        QTRY_COMPARE(panel.histogramRows(),
                     static_cast<qint64>(panel.model()->bundle()->split.test.size()));
        QCOMPARE(panel.truncatedRows(),
                 static_cast<qint64>(
                     trainerTruncated(ex, panel.model()->bundle()->split.test, modelDir, 160)));
        panel.proxy()->setSplit(-1);
        QTRY_COMPARE(panel.histogramRows(), static_cast<qint64>(ex.size()));

        // A new max_length moves the marker without counting again.
        cfg.model.max_length = 320;
        panel.loadFromConfig(cfg);
        QVERIFY(!panel.countingTokens());
        QCOMPARE(panel.truncatedRows(),
                 static_cast<qint64>(trainerTruncated(ex, all, modelDir, 320)));
        QCOMPARE(line->point1->coords().x(), 320.0);

        // Characters: no marker, no truncation count, the axis says characters.
        panel.setLengthUnit(tbui::DatasetPanel::LengthUnit::Characters);
        QVERIFY(!panel.showingTokens());
        QVERIFY(!line->visible());
        QCOMPARE(panel.truncatedRows(), qint64(0));
        QVERIFY(panel.lengthChart()->xAxis->label().contains("characters"));
        QVERIFY(panel.lengthStatusText().contains("tokens"));

        // The detail pane follows the selection and names the row's token count.
        panel.setLengthUnit(tbui::DatasetPanel::LengthUnit::Tokens);
        panel.tableView()->selectRow(3);
        const int src = panel.proxy()->mapToSource(panel.proxy()->index(3, 0)).row();
        QVERIFY(panel.detailView()->toPlainText().contains(
            QString::fromStdString(ex[static_cast<size_t>(src)].instruction).left(30)));
        QVERIFY(panel.detailView()->toPlainText().contains(
            QString("%1 tokens").arg(panel.tokenLengths()[src])));
    }

    // A model folder without a tokenizer: the histogram stays in characters and says why.
    void noTokenizerFallsBackToCharacters() {
        QTemporaryDir dir;
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        tb::AppConfig cfg;
        cfg.data.path = std::string(TB_SHARED_DIR) + "/data/dolly-sample.jsonl";
        cfg.model.name = dir.path().toStdString();
        QSignalSpy ready(&panel, &tbui::DatasetPanel::datasetReady);
        QSignalSpy counted(&panel, &tbui::DatasetPanel::tokenLengthsReady);
        panel.loadFromConfig(cfg);
        QVERIFY(ready.wait(60000));
        QVERIFY(counted.count() > 0 || counted.wait(30000));
        QVERIFY(!panel.showingTokens());
        QVERIFY2(panel.lengthStatusText().contains("tokenizer"),
                 qPrintable(panel.lengthStatusText()));
        QVERIFY(panel.lengthChart()->xAxis->label().contains("characters"));
        QVERIFY(panel.histogramRows() > 0);
    }

    // Dolly 15k: counting runs off the GUI thread (the event loop keeps running, with progress)
    // and gives every row a length.
    void fifteenThousandRowsDoNotFreeze() {
        QTemporaryDir dir;
        const QString modelDir = makeTokenizerDir(dir);
        QFile src(QString(TB_SHARED_DIR) + "/data/dolly-sample.jsonl");
        QVERIFY(src.open(QIODevice::ReadOnly));
        const QByteArray rows = src.readAll();
        const QString big = dir.filePath("dolly15k.jsonl");
        QFile out(big);
        QVERIFY(out.open(QIODevice::WriteOnly));
        for (int i = 0; i < 50; ++i) out.write(rows);  // 300 rows x 50 = Dolly's 15k
        out.close();
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        tb::AppConfig cfg;
        cfg.data.path = big.toStdString();
        cfg.model.name = modelDir.toStdString();
        QSignalSpy ready(&panel, &tbui::DatasetPanel::datasetReady);
        QSignalSpy counted(&panel, &tbui::DatasetPanel::tokenLengthsReady);
        panel.loadFromConfig(cfg);
        QVERIFY(ready.wait(60000));
        QVERIFY(panel.countingTokens());
        // A 10 ms timer: the longest gap between its ticks is how long the GUI stalls.
        QElapsedTimer clock;
        clock.start();
        qint64 last = clock.elapsed(), worst = 0;
        QTimer tick;
        tick.setInterval(10);
        QObject::connect(&tick, &QTimer::timeout, [&] {
            worst = std::max(worst, clock.elapsed() - last);
            last = clock.elapsed();
        });
        tick.start();
        bool sawProgress = false;
        while (counted.count() == 0 && clock.elapsed() < 120000) {
            QTest::qWait(20);
            sawProgress = sawProgress || panel.lengthStatusText().contains(" of ");
        }
        QCOMPARE(counted.count(), 1);
        qInfo() << "15k rows counted in" << clock.elapsed() << "ms; longest GUI stall" << worst
                << "ms";
        QVERIFY(sawProgress);
        QVERIFY2(worst < 250, qPrintable(QString("GUI stalled %1 ms").arg(worst)));
        QCOMPARE(panel.tokenLengths().size(), 15000);
        // Row i and row i + 300 are the same text: the same length.
        QCOMPARE(panel.tokenLengths()[7], panel.tokenLengths()[7 + 300 * 25]);
    }

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

        // The columns fill the table's width at both screen sizes the issue names (no empty
        // strip right of the last column), and a narrow window still shows every column.
        for (const QSize size : {QSize(1280, 800), QSize(1920, 1080), QSize(900, 600)}) {
            panel.resize(size);
            panel.show();
            QVERIFY(QTest::qWaitForWindowExposed(&panel));
            QCoreApplication::processEvents();
            const QHeaderView* h = panel.tableView()->horizontalHeader();
            int used = 0;
            for (int c = 0; c < h->count(); ++c) {
                QVERIFY2(h->sectionSize(c) > 0, qPrintable(QString::number(c)));
                used += h->sectionSize(c);
            }
            QVERIFY2(used >= h->viewport()->width(),
                     qPrintable(QString("%1x%2: columns %3 px of %4")
                                    .arg(size.width())
                                    .arg(size.height())
                                    .arg(used)
                                    .arg(h->viewport()->width())));
        }
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
