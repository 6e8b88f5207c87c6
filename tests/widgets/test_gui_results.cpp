// Results panel: help instead of numbers without an evaluation; the table and the per-category
// chart show exactly the stored aggregates; table and chart exports are valid files; the legend
// sits below the plot (never over the bars); the evaluation combo is wide enough for its
// entries; "Run evaluation" runs core/eval on the worker, then shows the new evaluation.
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>
#include <map>

#include "tests/widgets/gui_test_util.h"
#include "tests/widgets/store_fixture.h"
#include "widgets/export.h"
#include "widgets/qcp.h"
#include "widgets/results_panel.h"
#include "widgets/worker.h"

using tb::store::Store;

class TestResults : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir dir_;
    QByteArray read(const QString& name) {
        QFile f(dir_.filePath(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

  private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void noEvaluationShowsHowToRunOne() {
        tbui::ResultsPanel panel;
        QVERIFY(panel.showingHelp());
        // A store with a run but no aggregates: still help, no numbers.
        const QString path = dir_.filePath("empty.sqlite");
        {
            auto st = Store::open(path.toStdString());
            QVERIFY(st.ok());
            tb::store::RunRecord run;
            run.kind = "eval";
            run.status = "running";
            QVERIFY(st.value()->add_run(run).ok());
        }
        QCOMPARE(panel.openStore(path), QString());
        QVERIFY(panel.showingHelp());
        QVERIFY(panel.evaluations().isEmpty());
        QVERIFY(panel.helpText().contains("tunebench-cli evaluate"));
        QCOMPARE(panel.table()->rowCount(), 0);
        // A workspace without a store.
        panel.setWorkspaceDir(dir_.filePath("nowhere"));
        QVERIFY(panel.showingHelp());
        QVERIFY(!QFile::exists(dir_.filePath("nowhere/tunebench.sqlite")));
    }

    void tableAndChartShowStoredValues() {
        const QString path = dir_.filePath("results.sqlite");
        std::string err;
        const qint64 id = guitest::make_eval_store(path.toStdString(), 9, err);
        QVERIFY2(id > 0, err.c_str());
        auto st = Store::open(path.toStdString());
        auto agg = st.value()->metric_aggregates(id);
        QVERIFY(agg.ok());

        tbui::ResultsPanel panel;
        panel.resize(900, 600);
        QCOMPARE(panel.openStore(path), QString());
        QVERIFY(!panel.showingHelp());
        QCOMPARE(panel.evaluations(), QList<qint64>{id});
        auto* t = panel.table();
        int overall = 0;
        for (const auto& r : agg.value()) {
            if (r.category) continue;
            ++overall;
            bool found = false;
            for (int row = 0; row < t->rowCount(); ++row) {
                auto cell = [&](int c) { return t->index(row, c).data().toString(); };
                if (cell(tbui::ResultsTableModel::Metric) != QString::fromStdString(r.metric) ||
                    cell(tbui::ResultsTableModel::Model) != QString::fromStdString(r.model))
                    continue;
                found = true;
                QCOMPARE(cell(tbui::ResultsTableModel::Value), QString::number(r.value, 'f', 4));
                QCOMPARE(cell(tbui::ResultsTableModel::CiLow), QString::number(r.ci_lo, 'f', 4));
                QCOMPARE(cell(tbui::ResultsTableModel::CiHigh), QString::number(r.ci_hi, 'f', 4));
                QCOMPARE(cell(tbui::ResultsTableModel::PValue),
                         r.p_value ? QString::number(*r.p_value, 'g', 4) : QString());
                QCOMPARE(cell(tbui::ResultsTableModel::Items), QString::number(r.n_items));
            }
            QVERIFY(found);
        }
        QCOMPARE(t->rowCount(), overall);
        QCOMPARE(overall, 4);

        // Chart: one bar series per model, one bar per category, values from the store.
        panel.setChartMetric("bleu");
        QCOMPARE(panel.chartCategories(),
                 QStringList({"brainstorming", "open_qa", "summarization"}));
        std::map<std::pair<std::string, std::string>, double> expected;
        for (const auto& r : agg.value())
            if (r.metric == "bleu" && r.category) expected[{r.model, *r.category}] = r.value;
        int series = 0;
        QCustomPlot* chart = panel.chart();
        for (int p = 0; p < chart->plottableCount(); ++p) {
            auto* bars = qobject_cast<QCPBars*>(chart->plottable(p));
            if (!bars) continue;
            ++series;
            QCOMPARE(bars->data()->size(), 3);
            for (int c = 0; c < 3; ++c) {
                const auto key = std::make_pair(bars->name().toStdString(),
                                                panel.chartCategories()[c].toStdString());
                QVERIFY(expected.count(key));
                QCOMPARE(bars->data()->at(c)->value, expected[key]);
            }
        }
        QCOMPARE(series, 2);

        // Exports: tables as CSV/JSON/Markdown, the chart as PNG/PDF/SVG.
        QCOMPARE(tbui::exportTableByExtension(t, dir_.filePath("r.csv")), QString());
        const QList<QByteArray> lines = read("r.csv").trimmed().split('\n');
        QCOMPARE(lines.size(), 5);
        QVERIFY(lines[0].startsWith("Metric,Model,Value"));
        QCOMPARE(tbui::exportTableByExtension(t, dir_.filePath("r.json")), QString());
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(read("r.json"), &perr);
        QCOMPARE(perr.error, QJsonParseError::NoError);
        QCOMPARE(doc.array().size(), 4);
        QVERIFY(doc.array()[0].toObject().contains("p vs base"));
        QCOMPARE(tbui::exportTableByExtension(t, dir_.filePath("r.md")), QString());
        const QByteArray md = read("r.md");
        QVERIFY(md.startsWith("| Metric | Model |"));
        QCOMPARE(md.trimmed().split('\n').size(), 6);  // header, rule, 4 rows

        QCOMPARE(tbui::exportChartByExtension(chart, dir_.filePath("c.png")), QString());
        QVERIFY(read("c.png").startsWith("\x89PNG\r\n\x1a\n"));
        QVERIFY(!QImage(dir_.filePath("c.png")).isNull());
        QCOMPARE(tbui::exportChartByExtension(chart, dir_.filePath("c.pdf")), QString());
        QVERIFY(read("c.pdf").startsWith("%PDF-"));
        QVERIFY(read("c.pdf").trimmed().endsWith("%%EOF"));
        QCOMPARE(tbui::exportChartByExtension(chart, dir_.filePath("c.svg")), QString());
        QSvgRenderer svg(dir_.filePath("c.svg"));
        QVERIFY(svg.isValid());
    }

    void legendBelowBarsAndComboFitsEntries() {
        const QString path = dir_.filePath("layout.sqlite");
        std::string err;
        const qint64 id = guitest::make_eval_store(path.toStdString(), 9, err);
        QVERIFY2(id > 0, err.c_str());
        {
            auto st = Store::open(path.toStdString());
            tb::store::RunRecord run;
            run.kind = "eval";
            run.name = "base vs outputs/reference/20250101_120000/adapter (bleu, rouge)";
            auto id2 = st.value()->add_run(run);
            QVERIFY(id2.ok());
            auto agg = st.value()->metric_aggregates(id).value();
            for (auto& r : agg) r.eval_id = id2.value();
            QVERIFY(st.value()->replace_metric_aggregates(id2.value(), agg).ok());
        }
        tbui::ResultsPanel panel;
        panel.resize(1100, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCOMPARE(panel.openStore(path), QString());
        QCOMPARE(panel.showEvaluation(id), QString());
        QCustomPlot* chart = panel.chart();
        chart->replot();
        const QRect legend = chart->legend->outerRect();
        const QRect plot = chart->axisRect()->outerRect();
        QVERIFY(chart->legend->visible());
        QVERIFY(chart->legend->itemCount() >= 2);
        QVERIFY2(!legend.intersects(plot), "the legend overlaps the plot area");
        QVERIFY(legend.top() >= plot.bottom());
        QComboBox* combo = panel.evaluationCombo();
        QCOMPARE(combo->sizeAdjustPolicy(), QComboBox::AdjustToContents);
        int widest = 0;
        for (int k = 0; k < combo->count(); ++k)
            widest = std::max(widest, combo->fontMetrics().horizontalAdvance(combo->itemText(k)));
        QVERIFY(widest > 300);
        QVERIFY2(combo->width() >= widest,
                 qPrintable(QString("%1 < %2").arg(combo->width()).arg(widest)));
    }

    void runEvaluationOnTheWorker() {
        const std::string model = tbtest::scratch_dir("results_eval_model");
        const std::string merr = guitest::make_tiny_model_dir(model);
        QVERIFY2(merr.empty(), merr.c_str());
        tb::AppConfig cfg;
        cfg.model.name = model;
        cfg.model.device = "cpu";
        cfg.model.max_length = 64;
        cfg.data.path = guitest::dolly_path();
        cfg.eval.max_new_tokens = 4;
        cfg.eval.batch_size = 2;
        tbui::JobQueue jobs;
        tbui::ResultsPanel panel(&jobs, [cfg] { return cfg; });
        QVERIFY(!panel.runEvaluation().isEmpty());  // no workspace yet
        const QString ws = QString::fromStdString(tbtest::scratch_dir("results_eval_ws"));
        panel.setWorkspaceDir(ws);
        QCOMPARE(panel.evaluationModels(), QString("base"));
        panel.setEvaluationMetrics("bleu,rouge");
        panel.setEvaluationLimit(3);
        QSignalSpy done(&panel, &tbui::ResultsPanel::evaluationDone);
        QSignalSpy progress(jobs.worker(), &tbui::Worker::evalProgress);
        QCOMPARE(panel.runEvaluation(), QString());
        QVERIFY(panel.evaluating());
        QVERIFY(!panel.runEvaluation().isEmpty());  // one at a time
        QVERIFY(done.wait(240000));
        QVERIFY(!panel.evaluating());
        const qint64 id = done.first().at(0).value<qint64>();
        QVERIFY(id > 0);
        QVERIFY(progress.count() > 0);
        QCOMPARE(panel.evaluations(), QList<qint64>{id});
        QVERIFY(!panel.showingHelp());
        QVERIFY(panel.table()->rowCount() >= 2);  // bleu and rouge of base
        auto st = Store::open((ws + "/tunebench.sqlite").toStdString());
        QVERIFY(st.ok());
        QCOMPARE(st.value()->generations(id).value().size(), size_t(3));

        // Cancel: the token is set before the job starts; it ends cancelled, nothing scored.
        QCOMPARE(panel.runEvaluation(), QString());
        panel.cancelEvaluation();
        QVERIFY(done.wait(240000));
        QVERIFY(!panel.evaluating());
        QCOMPARE(panel.evaluations(), QList<qint64>{id});
    }
};

QTEST_MAIN(TestResults)
#include "test_gui_results.moc"
