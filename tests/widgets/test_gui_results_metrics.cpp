// Results panel with the issue-16 metrics (chrF, chrF++, TER, BERTScore P/R/F): every stored
// metric is offered in the chart box and shown in the table with its stored value, and the
// chart axis says "lower is better" for TER (edits per reference word) and not for chrF.
#include <QTemporaryDir>
#include <QtTest>

#include "core/store/store.h"
#include "widgets/qcp.h"
#include "widgets/results_panel.h"

namespace {

const char* const kMetrics[] = {
    "chrf", "chrfpp", "ter", "bertscore_precision", "bertscore_recall", "bertscore_f1"};

// One evaluation of two models with overall and per-category rows of kMetrics.
qint64 makeStore(const std::string& path) {
    auto st = tb::store::Store::open(path);
    if (!st.ok()) return -1;
    tb::store::RunRecord run;
    run.kind = "eval";
    run.name = "issue16";
    run.status = "completed";
    auto id = st.value()->add_run(run);
    if (!id.ok()) return -1;
    std::vector<tb::store::MetricAggregateRow> agg;
    int k = 0;
    for (const char* metric : kMetrics)
        for (const std::string model : {"base", "adapter"}) {
            tb::store::MetricAggregateRow r;
            r.eval_id = id.value();
            r.model = model;
            r.metric = metric;
            r.value = 10.0 + k++;
            r.ci_lo = r.value - 1;
            r.ci_hi = r.value + 1;
            if (model != "base") r.p_value = 0.04;
            r.n_items = 6;
            agg.push_back(r);
            for (const std::string cat : {"open_qa", "summarization"}) {
                tb::store::MetricAggregateRow c = r;
                c.category = cat;
                c.n_items = 3;
                agg.push_back(c);
            }
        }
    return st.value()->replace_metric_aggregates(id.value(), agg).ok() ? id.value() : -1;
}

}  // namespace

class TestResultsMetrics : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir dir_;

  private Q_SLOTS:
    void newMetricsInTableChartAndAxis() {
        QVERIFY(dir_.isValid());
        const QString path = dir_.filePath("m.sqlite");
        const qint64 id = makeStore(path.toStdString());
        QVERIFY(id > 0);
        tbui::ResultsPanel panel;
        panel.resize(900, 600);
        QCOMPARE(panel.openStore(path), QString());
        auto* t = panel.table();
        QCOMPARE(t->rowCount(), 12);
        int k = 0;
        for (const char* metric : kMetrics)
            for (const char* model : {"base", "adapter"}) {
                const double value = 10.0 + k++;
                bool found = false;
                for (int row = 0; row < t->rowCount(); ++row) {
                    auto cell = [&](int c) { return t->index(row, c).data().toString(); };
                    if (cell(tbui::ResultsTableModel::Metric) != metric ||
                        cell(tbui::ResultsTableModel::Model) != model)
                        continue;
                    found = true;
                    QCOMPARE(cell(tbui::ResultsTableModel::Value), QString::number(value, 'f', 4));
                }
                QVERIFY2(found, metric);
            }
        // setChartMetric selects an entry of the chart box, so each label below also proves
        // that the metric is offered there.
        panel.setChartMetric("ter");
        QVERIFY2(panel.chart()->yAxis->label().contains("lower is better"),
                 qPrintable(panel.chart()->yAxis->label()));
        QCOMPARE(panel.chartCategories(), QStringList({"open_qa", "summarization"}));
        panel.setChartMetric("chrf");
        QVERIFY(panel.chart()->yAxis->label().startsWith("chrf"));
        QVERIFY(!panel.chart()->yAxis->label().contains("lower is better"));
        panel.setChartMetric("bertscore_recall");
        QVERIFY(panel.chart()->yAxis->label().startsWith("bertscore_recall"));
    }
};

QTEST_MAIN(TestResultsMetrics)
#include "test_gui_results_metrics.moc"
