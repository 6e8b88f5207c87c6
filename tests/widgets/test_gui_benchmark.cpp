// Benchmark panel: a tiny random-weight CPU benchmark run through the panel and the worker
// (eager engine, batch 1, 2 prompts, 4 new tokens) fills the table and the charts with the
// measured figures, writes results/benchmarks/infer_*.json and the store's rows (one bench run),
// says why HF was not measured when no usable Python is there, survives a restart (a new panel
// lists the run from the store and shows the same figures), exports its charts, rejects bad
// input, and a cancelled run records nothing.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/infer/inference.h"
#include "core/store/store.h"
#include "tests/test_paths.h"
#include "tests/widgets/signal_wait.h"
#include "widgets/benchmark_panel.h"
#include "widgets/export.h"
#include "widgets/qcp.h"
#include "widgets/worker.h"

using nlohmann::json;

namespace {

tbui::BenchmarkPanel::Settings tinySettings() {
    tbui::BenchmarkPanel::Settings s;
    s.engines = {"eager"};
    s.randomShape = true;
    s.shape = "tiny";
    s.batches = "1";
    s.prompts = 2;
    s.promptLen = 16;
    s.maxNewTokens = 4;
    s.warmup = 1;
    s.repeats = 2;
    s.device = "cpu";
    s.dtype = "auto";
    return s;
}

// The bars' (key, value) pairs of a chart, over every QCPBars with a legend name.
QList<QPair<double, double>> namedBars(QCustomPlot* plot) {
    QList<QPair<double, double>> out;
    for (int i = 0; i < plot->plottableCount(); ++i) {
        auto* bars = qobject_cast<QCPBars*>(plot->plottable(i));
        if (!bars || bars->name().isEmpty()) continue;
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
            out << qMakePair(it->key, it->value);
    }
    return out;
}

QStringList jsonFiles(const QString& ws) {
    return QDir(ws + "/results/benchmarks").entryList({"infer_*.json"}, QDir::Files);
}

}  // namespace

class TestGuiBenchmark : public QObject {
    Q_OBJECT
  private:
    QString ws_;

  private Q_SLOTS:
    void initTestCase() { ws_ = QString::fromStdString(tbtest::scratch_dir("gui_benchmark")); }

    void enginesComeFromTheCore() {
        tbui::BenchmarkPanel panel;
        const auto avail = tb::infer::available_engines();
        // The form lists exactly the core's engines, the first one ticked.
        tbui::BenchmarkPanel::Settings s = panel.settings();
        QCOMPARE(s.engines.size(), 1);
        QCOMPARE(s.engines.front().toStdString(), avail.front());
        QVERIFY(panel.run().contains("cannot run"));  // no job queue: views only
    }

    void runMeasuresSavesAndRecords() {
        tbui::JobQueue jobs;
        tbui::BenchmarkPanel panel(&jobs);
        panel.setWorkspace(ws_, QString());
        QCOMPARE(panel.runsModel()->rowCount(), 0);
        QVERIFY(!panel.chartsShown());  // the help, not empty axes
        QVERIFY2(!panel.hfScript().isEmpty(), "hf_generate_bench.py not found from the build tree");
        tbui::BenchmarkPanel::Settings s = tinySettings();
        s.hf = true;
        s.python = "/nonexistent/python3";  // no usable Python: the panel must say so
        panel.setSettings(s);
        QSignalSpy done(&panel, &tbui::BenchmarkPanel::benchmarkDone);
        QSignalSpy progress(jobs.worker(), &tbui::Worker::inferBenchProgress);
        QCOMPARE(panel.run(), QString());
        QVERIFY(panel.running());
        QVERIFY(guitest::waitForSignal(done, 60000));
        QVERIFY2(done.front().front().toLongLong() > 0, qPrintable(panel.statusText()));
        QVERIFY(!panel.running());
        QVERIFY(progress.count() >= 2);  // loading, then the batch line
        QVERIFY(panel.chartsShown());

        // Table: one measured row, eager at batch 1, figures in order.
        const auto& rows = panel.table()->rows();
        QCOMPARE(rows.size(), size_t(1));
        const tbui::BenchRow& r = rows.front();
        QCOMPARE(r.engine, QString("eager"));
        QCOMPARE(r.batch, qint64(1));
        for (const tbui::BenchFigure& f :
             {r.ttftMs, r.e2eS, r.tpsRequest, r.tpsAggregate, r.itlP50Ms}) {
            QVERIFY(f.median > 0);
            QVERIFY(f.min <= f.median && f.median <= f.max);
        }
        // Aggregate tokens/s is a run's 4 new tokens over that run's end-to-end time, so the
        // fastest run gives both the largest rate and the shortest time: their product is 4 up
        // to the rounding of one division and one product (relative 2^-52 each).
        QVERIFY(qAbs(r.tpsAggregate.max * r.e2eS.min - 4.0) < 4.0 * 1e-12);
        QVERIFY(qAbs(r.tpsAggregate.min * r.e2eS.max - 4.0) < 4.0 * 1e-12);
        QVERIFY(r.loadS > 0);
        QVERIFY(r.peakRss && *r.peakRss > 0);
        QVERIFY(!r.peakAllocated);  // CPU run
        QCOMPARE(panel.table()->rowCount(), 1);
        QVERIFY(
            !panel.table()->index(0, tbui::BenchmarkTableModel::Ttft).data().toString().isEmpty());

        // Charts: the bars are the table's medians (TTFT, e2e, tok/s request, aggregate), RSS in
        // GB, load seconds.
        const auto charts = panel.charts();
        QCOMPARE(charts.size(), 6);
        const double expect[] = {r.ttftMs.median, r.e2eS.median, r.tpsRequest.median,
                                 r.tpsAggregate.median, static_cast<double>(*r.peakRss) / 1e9};
        for (int i = 0; i < 5; ++i) {
            const auto bars = namedBars(charts[i]);
            QCOMPARE(bars.size(), 1);
            QCOMPARE(bars.front().second, expect[i]);
            QVERIFY(charts[i]->yAxis->range().upper >= expect[i]);
        }
        QCPBars* load = qobject_cast<QCPBars*>(charts[5]->plottable(0));
        QVERIFY(load);
        QCOMPARE(load->data()->size(), 1);
        QCOMPARE(load->data()->constBegin()->value, r.loadS);

        // HF asked for without a usable Python: said, not silently dropped.
        QVERIFY2(panel.hfNotice().contains("not measured"), qPrintable(panel.hfNotice()));

        // The JSON file under the workspace, the same result.
        const QString path = panel.lastJsonPath();
        QVERIFY(path.startsWith(ws_ + "/results/benchmarks/infer_"));
        QVERIFY(QFileInfo::exists(path));
        std::ifstream in(path.toStdString());
        const json file = json::parse(in);
        QCOMPARE(file["engines"][0]["batches"][0]["ttft_ms"]["median"].get<double>(),
                 r.ttftMs.median);
        QCOMPARE(file["config"]["max_new_tokens"].get<int>(), 4);
        QCOMPARE(file["config"]["prompts"].get<int>(), 2);
        QVERIFY(file["hf"].contains("error"));
        QVERIFY(panel.statusText().contains(path));

        // The store: one bench run, one row pointing at it.
        auto st = tb::store::Store::open((ws_ + "/tunebench.sqlite").toStdString());
        QVERIFY(st.ok());
        auto brows = st.value()->benchmarks();
        QVERIFY(brows.ok());
        QCOMPARE(brows.value().size(), size_t(1));
        const auto& row = brows.value().front();
        QCOMPARE(row.engine, std::string("tunebench eager"));
        QCOMPARE(row.model, std::string("tiny"));
        QVERIFY(row.run_id && *row.run_id == panel.lastRunId());
        QCOMPARE(row.tokens_per_s, r.tpsAggregate.median);
        QCOMPARE(row.latency_s, r.e2eS.median);
        auto run = st.value()->get_run(panel.lastRunId());
        QVERIFY(run.ok() && run.value());
        QCOMPARE(run.value()->kind, std::string("bench"));
        QCOMPARE(run.value()->status, std::string("completed"));
        QCOMPARE(panel.runsModel()->rowCount(), 1);
        QCOMPARE(panel.runsModel()->entries().front().runId, panel.lastRunId());

        // Exports: PNG, SVG and PDF of a chart are files with content.
        for (const char* ext : {"png", "svg", "pdf"}) {
            const QString out = ws_ + "/chart." + ext;
            QCOMPARE(tbui::exportChartByExtension(charts[1], out), QString());
            QVERIFY(QFileInfo(out).size() > 100);
        }
    }

    // A new panel (the app restarted) lists the run from the store and shows the same numbers.
    void earlierRunsSurviveARestart() {
        tbui::BenchmarkPanel panel;
        panel.setWorkspace(ws_, QString());
        QCOMPARE(panel.runsModel()->rowCount(), 1);
        QVERIFY(panel.table()->rows().empty());
        panel.showStoredRun(0);
        const auto& rows = panel.table()->rows();
        QCOMPARE(rows.size(), size_t(1));
        std::ifstream in(
            jsonFiles(ws_).isEmpty()
                ? std::string()
                : (ws_ + "/results/benchmarks/" + jsonFiles(ws_).front()).toStdString());
        const json file = json::parse(in);
        const json& b = file["engines"][0]["batches"][0];
        QCOMPARE(rows.front().ttftMs.median, b["ttft_ms"]["median"].get<double>());
        QCOMPARE(rows.front().tpsAggregate.max, b["tokens_per_s_aggregate"]["max"].get<double>());
        QCOMPARE(rows.front().loadS, file["engines"][0]["load"]["seconds"].get<double>());
        QVERIFY(panel.hfNotice().contains("not measured"));
        QCOMPARE(namedBars(panel.charts()[0]).size(), 1);
    }

    void badInputIsRefused() {
        tbui::JobQueue jobs;
        tbui::BenchmarkPanel panel(&jobs);
        tbui::BenchmarkPanel::Settings s = tinySettings();
        s.engines.clear();
        panel.setSettings(s);
        QVERIFY(!panel.run().isEmpty());
        s = tinySettings();
        s.batches = "0";
        panel.setSettings(s);
        QVERIFY(panel.run().contains("batch", Qt::CaseInsensitive));
        s = tinySettings();
        s.randomShape = false;
        s.modelDir = ws_ + "/no-such-model";
        panel.setSettings(s);
        QVERIFY(panel.run().contains("config.json"));
        QVERIFY(!panel.running());
    }

    void cancelRecordsNothing() {
        tbui::JobQueue jobs;
        tbui::BenchmarkPanel panel(&jobs);
        panel.setWorkspace(ws_, QString());
        tbui::BenchmarkPanel::Settings s = tinySettings();
        s.maxNewTokens = 200;
        s.repeats = 1000;  // minutes if not cancelled
        panel.setSettings(s);
        QSignalSpy done(&panel, &tbui::BenchmarkPanel::benchmarkDone);
        QSignalSpy progress(jobs.worker(), &tbui::Worker::inferBenchProgress);
        const int filesBefore = jobsFilesCount();
        QCOMPARE(panel.run(), QString());
        QVERIFY(guitest::waitForSignal(progress, 30000, 1));  // loading has started
        panel.cancel();
        QVERIFY(guitest::waitForSignal(done, 30000));
        QCOMPARE(done.front().front().toLongLong(), 0LL);
        QVERIFY2(panel.statusText().contains("cancelled"), qPrintable(panel.statusText()));
        QVERIFY(!panel.running());
        QCOMPARE(jobsFilesCount(), filesBefore);
        auto st = tb::store::Store::open((ws_ + "/tunebench.sqlite").toStdString());
        QVERIFY(st.ok());
        QCOMPARE(st.value()->benchmarks().value().size(), size_t(1));
        QCOMPARE(panel.runsModel()->rowCount(), 1);
    }

  private:
    int jobsFilesCount() const { return static_cast<int>(jsonFiles(ws_).size()); }
};

QTEST_MAIN(TestGuiBenchmark)
#include "test_gui_benchmark.moc"
