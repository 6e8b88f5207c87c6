// Results panel: help instead of numbers without an evaluation; the table and the per-category
// chart show exactly the stored aggregates; table and chart exports are valid files.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>
#include <map>

#include "tests/widgets/store_fixture.h"
#include "widgets/export.h"
#include "widgets/qcp.h"
#include "widgets/results_panel.h"

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
};

QTEST_MAIN(TestResults)
#include "test_gui_results.moc"
