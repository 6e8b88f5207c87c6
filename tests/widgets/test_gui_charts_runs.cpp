// Issue 14's chart policy and runs view: empty-state message instead of dummy axes, autoscale
// with headroom (the newest point drawn whole), titled exports, one colour per run across
// views; the training panel's six labelled charts, memory owner, export choice apart from the
// overlay, log following; the runs table (store summaries, sort, overlay over full length,
// config diff, rename, delete with its folder, checkpoints); results by run name with log
// scale; rating summary usable before data; dataset counts, no-match message, histogram of the
// filtered rows, Bad rows "none".
#include <sqlite3.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "core/store/store.h"
#include "tests/widgets/store_fixture.h"
#include "widgets/chart_style.h"
#include "widgets/compare_panel.h"
#include "widgets/dataset_panel.h"
#include "widgets/export.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/qcp.h"
#include "widgets/rating_panel.h"
#include "widgets/results_panel.h"
#include "widgets/run_names.h"
#include "widgets/runs_panel.h"
#include "widgets/training_panel.h"
#include "widgets/worker.h"

using tb::store::Store;

namespace {

// A training run with `steps` logged steps, loss = start / step, eval every 2 steps.
int64_t addTrainRun(Store& s, const QString& dir, const std::string& name,
                    const std::string& status, int steps, double start, double lr) {
    tb::AppConfig cfg;
    cfg.training.learning_rate = lr;
    tb::store::RunRecord r;
    r.kind = "train";
    r.name = name;
    r.status = status;
    r.output_dir = dir.toStdString();
    r.config_yaml = tb::app_config_to_yaml(cfg);
    const int64_t id = s.add_run(r).value();
    std::vector<tb::store::TrainingLogRow> rows;
    for (int i = 1; i <= steps; ++i) {
        tb::store::TrainingLogRow t;
        t.run_id = id;
        t.step = i;
        t.loss = start / i;
        t.learning_rate = lr;
        t.tokens_per_s = 100;
        t.memory_bytes = int64_t{1} << 20;
        t.elapsed_s = i;
        if (i % 2 == 0) t.eval_loss = start / i + 0.1;
        rows.push_back(t);
    }
    const tb::Status st = s.append_training_log(rows);
    if (!st.ok()) qFatal("%s", st.error().message.c_str());
    return id;
}

tb::TrainProgress step(int64_t s, double loss, int64_t total) {
    tb::TrainProgress p;
    p.phase = tb::TrainPhase::Training;
    p.step = s;
    p.total_steps = total;
    p.loss = loss;
    p.lr = 1e-3;
    p.grad_norm = 0.5;
    p.tokens_per_s = 50 + s;
    p.memory_bytes = (100 + s) << 20;
    return p;
}

}  // namespace

class ChartsRunsTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void chartPolicy() {
        tbui::chart::resetColors();
        // One colour per key, the same on every call; base first; new keys differ.
        const QColor a = tbui::chart::colorFor("run:1");
        const QColor b = tbui::chart::colorFor("run:2");
        QCOMPARE(tbui::chart::colorFor("run:1"), a);
        QVERIFY(a != b);
        QCOMPARE(tbui::chart::colorFor("base"), tbui::chart::paletteColor(0));
        QVERIFY(a != tbui::chart::paletteColor(0));

        QCustomPlot plot;
        plot.resize(600, 400);
        tbui::chart::setup(&plot,
                           {"Loss title", "optimizer step", "nats/token", "", true, "Nothing yet"});
        QCOMPARE(tbui::chart::title(&plot), QString("Loss title"));
        QVERIFY(tbui::chart::showingEmpty(&plot));
        QVERIFY(!plot.xAxis->visible());  // no dummy 0-5 axes
        auto* g = plot.addGraph();
        g->setName("train");
        QVector<double> x{1, 2, 3, 4}, y{4, 2, 1.5, 1};
        g->setData(x, y);
        tbui::chart::Scale sc;
        sc.xMin = 0.0;
        sc.xMax = 4.0;
        tbui::chart::autoscale(&plot, sc);
        tbui::chart::refresh(&plot);
        QVERIFY(!tbui::chart::showingEmpty(&plot));
        QVERIFY(plot.xAxis->visible() && plot.legend->visible());
        // Headroom: 8% of the span (3) above and below; the last point (x = 4, the run's
        // end) is inside the axis, not on its edge.
        QCOMPARE(plot.yAxis->range().lower, 1.0 - 0.08 * 3);
        QCOMPARE(plot.yAxis->range().upper, 4.0 + 0.08 * 3);
        QCOMPARE(plot.xAxis->range().lower, 0.0);
        QVERIFY(plot.xAxis->range().upper > 4.0);
        // Log axis: a factor of headroom, strictly outside the data.
        tbui::chart::setLogY(&plot, true);
        tbui::chart::autoscale(&plot, sc);
        QVERIFY(plot.yAxis->range().lower < 1.0 && plot.yAxis->range().lower > 0);
        QVERIFY(plot.yAxis->range().upper > 4.0);
        // The legend has its own row: it is not inside the axis rect.
        QVERIFY(plot.axisRect()->insetLayout()->elementCount() == 0 ||
                plot.legend->layout() != plot.axisRect()->insetLayout());
        // Exports carry the title.
        QTemporaryDir tmp;
        const QString svg = tmp.filePath("c.svg");
        QCOMPARE(tbui::exportChartByExtension(&plot, svg), QString());
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("Loss title"));
    }

    void trainingCharts() {
        tbui::JobQueue jobs;
        tb::AppConfig cfg;
        cfg.model.device = "cpu";
        tbui::TrainingPanel panel(&jobs, [cfg] { return tbui::ConfigSnapshot(cfg); });
        panel.resize(1280, 800);
        QCOMPARE(panel.charts().size(), 6);
        for (auto* c : panel.charts()) {
            QVERIFY(tbui::chart::showingEmpty(c));
            QVERIFY(!tbui::chart::title(c).isEmpty());
            QVERIFY(!c->yAxis->label().isEmpty());
        }
        // CPU: the trainer reports the resident set.
        QVERIFY(tbui::chart::title(panel.memoryChart()).contains("Host"));
        for (int s = 1; s <= 10; ++s) {
            auto p = step(s, 10.0 / s, 10);
            if (s == 10) p.eval_loss = 0.5;
            panel.onProgress(p);
        }
        QTRY_VERIFY_WITH_TIMEOUT(!tbui::chart::showingEmpty(panel.lossChart()), 2000);
        auto* loss = panel.lossChart();
        QVERIFY(loss->yAxis->range().upper > 10.0);  // the first loss is not cut off
        QVERIFY(loss->yAxis->range().lower < 0.5);   // nor the eval point
        QVERIFY(loss->xAxis->range().upper > 10.0);  // the last eval point drawn whole
        auto* mem = panel.memoryChart();
        QVERIFY(mem->yAxis->range().upper > 110.0);  // 110 MiB at step 10
        QCOMPARE(panel.charts()[5]->graph(0)->dataCount(), 1);
        QCOMPARE(panel.charts()[5]->graph(0)->data()->at(0)->value, std::exp(0.5));
        // The log keeps following the newest line.
        auto* bar = panel.logView()->verticalScrollBar();
        QVERIFY(bar->maximum() > 0);
        QCOMPARE(bar->value(), bar->maximum());
        // Scrolled up by the user: not dragged down.
        bar->setValue(0);
        panel.onProgress(step(11, 0.9, 12));
        QCOMPARE(bar->value(), 0);
        bar->setValue(bar->maximum());
        panel.onProgress(step(12, 0.8, 12));
        QCOMPARE(bar->value(), bar->maximum());
    }

    void trainingExportChoiceIsItsOwn() {
        QTemporaryDir ws;
        {
            auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
            QVERIFY(s.ok());
            addTrainRun(*s.value(), ws.filePath("a"), "done", "completed", 4, 2.0, 1e-4);
            addTrainRun(*s.value(), ws.filePath("b"), "broken", "failed", 2, 2.0, 1e-4);
        }
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [] { return tbui::ConfigSnapshot{}; });
        panel.setWorkspaceDir(ws.path());
        QCOMPARE(panel.overlayRunCombo()->count(), 3);  // (none) + 2 runs
        QCOMPARE(panel.exportRunCombo()->count(), 1);   // completed only
        const qint64 exportId = panel.exportRunCombo()->currentData().value<qint64>();
        QCOMPARE(panel.loadOverlay(2), QString());
        QCOMPARE(panel.exportRunCombo()->currentData().value<qint64>(), exportId);
        QCOMPARE(exportId, qint64(1));
        // The overlay is drawn over its full length, not cut at the live run's.
        QCOMPARE(panel.lossChart()->graph(3)->dataCount(), 2);
    }

    void runsView() {
        QTemporaryDir ws;
        QDir(ws.path()).mkpath("a/checkpoints/step-2");
        QDir(ws.path()).mkpath("a/checkpoints/step-10");
        QDir(ws.path()).mkpath("b");
        QDir(ws.path()).mkpath("c");
        QFile(ws.filePath("a/run.json")).open(QIODevice::WriteOnly);
        QFile(ws.filePath("b/run.json")).open(QIODevice::WriteOnly);
        int64_t a = 0, b = 0, c = 0;
        {
            auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
            QVERIFY(s.ok());
            a = addTrainRun(*s.value(), ws.filePath("a"), "lr small", "cancelled", 10, 3.0, 1e-4);
            b = addTrainRun(*s.value(), ws.filePath("b"), "lr big", "completed", 20, 2.0, 3e-4);
            c = addTrainRun(*s.value(), ws.filePath("c"), "", "completed", 4, 5.0, 1e-4);
        }
        tbui::RunsPanel panel;
        panel.resize(1280, 800);
        QString resumed;
        panel.setActions({[&](qint64 id, const QString& cp) {
                              resumed = QString("%1 %2").arg(id).arg(cp);
                              return QString();
                          },
                          nullptr, [] { return false; }});
        panel.setWorkspaceDir(ws.path());
        QCOMPARE(panel.model()->rows().size(), size_t(3));
        const auto* ra = panel.model()->rowById(a);
        QVERIFY(ra && ra->summary.final_loss);
        QCOMPARE(*ra->summary.final_loss, 0.3);
        QCOMPARE(*ra->summary.best_eval_loss, 0.4);
        // Sorting by final loss puts b (2/20 = 0.1) first, numerically.
        panel.view()->sortByColumn(tbui::RunsTableModel::FinalLoss, Qt::AscendingOrder);
        const auto* proxy = panel.view()->model();
        QCOMPARE(proxy->index(0, tbui::RunsTableModel::Id).data().toString(), QString::number(b));
        QCOMPARE(proxy->index(2, tbui::RunsTableModel::Id).data().toString(), QString::number(c));

        // No selection: an empty-state message, not axes.
        QVERIFY(tbui::chart::showingEmpty(panel.chart()));
        panel.selectRuns({a, b});
        QCOMPARE(panel.selectedRuns(), (QList<qint64>{a, b}));
        QCOMPARE(panel.chart()->graphCount(), 2);
        QCOMPARE(panel.chart()->graph(1)->dataCount(), 20);  // the longer run, whole
        QVERIFY(panel.chart()->xAxis->range().upper > 20.0);
        QVERIFY(!tbui::chart::showingEmpty(panel.chart()));
        // Same colour as the results/rating views give this run's adapter.
        QCOMPARE(panel.chart()->graph(0)->pen().color(),
                 tbui::chart::colorFor(QString("run:%1").arg(a)));
        panel.metricCombo()->setCurrentIndex(1);  // eval loss
        QCOMPARE(panel.chart()->graph(0)->dataCount(), 5);
        // Config diff: only the learning rate differs.
        QCOMPARE(panel.diffTable()->rowCount(), 1);
        QCOMPARE(panel.diffTable()->item(0, 0)->text(), QString("training.learning_rate"));
        tb::AppConfig x, y;
        y.lora.r = 8;
        QCOMPARE(tbui::RunsPanel::configDiff(x, y).size(), 1);
        QVERIFY(tbui::RunsPanel::configDiff(x, y, false).size() > 10);

        // Checkpoints newest first (numerically), then the run folder; resume passes the choice.
        QCOMPARE(tbui::RunsPanel::checkpointsOf(ws.filePath("a")),
                 (QStringList{ws.filePath("a/checkpoints/step-10"),
                              ws.filePath("a/checkpoints/step-2")}));
        panel.selectRuns({a});
        QCOMPARE(panel.checkpointCombo()->count(), 3);
        panel.checkpointCombo()->setCurrentIndex(1);
        panel.resumeSelected();
        QCOMPARE(resumed, QString("%1 %2").arg(a).arg(ws.filePath("a/checkpoints/step-2")));

        // Rename goes to the store.
        QCOMPARE(panel.renameRun(c, "renamed"), QString());
        {
            auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
            QCOMPARE(QString::fromStdString(s.value()->get_run(c).value()->name),
                     QString("renamed"));
        }
        // Delete: rows and the run folder; a folder that is not a run folder stays.
        QCOMPARE(panel.deleteRun(b, true), QString());
        QVERIFY(!QFileInfo::exists(ws.filePath("b")));
        QCOMPARE(panel.deleteRun(c, true), QString());
        QVERIFY(QFileInfo::exists(ws.filePath("c")));
        QCOMPARE(panel.model()->rows().size(), size_t(1));
        auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
        QVERIFY(s.value()->training_log(b).value().empty());

        // A run written by another connection (the trainer) appears on refresh.
        addTrainRun(*s.value(), ws.filePath("d"), "new", "running", 1, 1.0, 1e-4);
        QCOMPARE(panel.refresh(), QString());
        QCOMPARE(panel.model()->rows().size(), size_t(2));
    }

    void resultsByRunName() {
        QTemporaryDir ws;
        const QString db = ws.filePath("tunebench.sqlite");
        std::string err;
        const int64_t evalId = guitest::make_eval_store(db.toStdString(), 6, err);
        QVERIFY2(evalId > 0, err.c_str());
        // The fixture's second model is "adapter-r16": make it a run's adapter folder.
        {
            auto s = Store::open(db.toStdString());
            tb::store::RunRecord r;
            r.kind = "train";
            r.name = "r16 run";
            r.output_dir = ws.filePath("out").toStdString();
            const int64_t id = s.value()->add_run(r).value();
            QVERIFY(id > 0);
            sqlite3* h = s.value()->handle();
            const std::string adapter = ws.filePath("out/adapter").toStdString();
            for (const char* t : {"metrics_aggregate", "generations", "metrics_item"}) {
                const std::string sql = std::string("UPDATE ") + t + " SET model = '" + adapter +
                                        "' WHERE model = 'adapter-r16'";
                QCOMPARE(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
            }
        }
        tbui::ResultsPanel panel;
        panel.resize(1280, 800);
        QCOMPARE(panel.openStore(db), QString());
        auto* t = panel.table();
        QStringList shown;
        int adapterRow = -1;
        for (int r = 0; r < t->rowCount(); ++r) {
            shown << t->index(r, tbui::ResultsTableModel::Model).data().toString();
            if (shown.last() == "r16 run") adapterRow = r;
        }
        QVERIFY2(adapterRow >= 0, qPrintable(shown.join(", ")));
        QCOMPARE(t->index(adapterRow, tbui::ResultsTableModel::Model)
                     .data(Qt::ToolTipRole)
                     .toString()
                     .section('\n', 0, 0),
                 ws.filePath("out/adapter"));
        QVERIFY(t->flags(t->index(adapterRow, tbui::ResultsTableModel::Model)) &
                Qt::ItemIsEditable);
        // Renamed in place: written to the store, shown at once.
        QCOMPARE(panel.renameModel(ws.filePath("out/adapter"), "better name"), QString());
        QCOMPARE(t->index(adapterRow, tbui::ResultsTableModel::Model).data().toString(),
                 QString("better name"));
        // The chart's legend uses the name; log scale toggles the value axis.
        panel.setChartMetric("bleu");
        bool named = false;
        for (int i = 0; i < panel.chart()->plottableCount(); ++i)
            named |= panel.chart()->plottable(i)->name() == "better name";
        QVERIFY(named);
        QVERIFY(tbui::chart::title(panel.chart()).contains("bleu"));
        panel.setLogScale(true);
        QCOMPARE(panel.chart()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        // Items takes only what its numbers need; the model column the rest.
        auto* view = panel.findChild<QTableView*>();
        QVERIFY(view);
        QCOMPARE(view->horizontalHeader()->sectionResizeMode(tbui::ResultsTableModel::Items),
                 QHeaderView::ResizeToContents);
        tbui::RunNames names;
        QCOMPARE(names.display("/x/y/z/adapter"), QString("z/adapter"));
        QCOMPARE(names.display("base"), QString("base"));
    }

    // Evaluations run from the command line name adapters by relative paths (seen in the
    // screenshot matrix: "20261203_125426/adapter" instead of the run's name): the one run
    // folder ending with the path gives the name; an ambiguous suffix gives none.
    void runNamesOfRelativeAdapterPaths() {
        QTemporaryDir ws;
        auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
        QVERIFY(s.ok());
        addTrainRun(*s.value(), ws.filePath("demo/outputs/reference/r1"), "lr big", "completed", 2,
                    2.0, 1e-4);
        addTrainRun(*s.value(), ws.filePath("x/outputs/fused/r2"), "fused one", "completed", 2, 2.0,
                    1e-4);
        addTrainRun(*s.value(), ws.filePath("y/outputs/fused/r2"), "other", "completed", 2, 2.0,
                    1e-4);
        tbui::RunNames names;
        names.load(*s.value());
        QCOMPARE(names.display("outputs/reference/r1/adapter"), QString("lr big"));
        QCOMPARE(names.display("demo/outputs/reference/r1/adapter"), QString("lr big"));
        QCOMPARE(names.display("#4 outputs/reference/r1/adapter"), QString("#4 lr big"));
        QVERIFY(names.runOf("outputs/reference/r1/adapter").has_value());
        QCOMPARE(names.display("outputs/fused/r2/adapter"), QString("r2/adapter"));  // two runs
        QCOMPARE(names.display("ence/r1/adapter"), QString("r1/adapter"));           // not a folder
    }

    void ratingSummaryBeforeData() {
        tbui::RatingPanel panel;
        panel.resize(1280, 800);
        panel.show();
        auto* chart = panel.findChild<QCustomPlot*>();
        QVERIFY(chart);
        QVERIFY(chart->minimumHeight() >= 240);
        QVERIFY(tbui::chart::showingEmpty(chart));
        QVERIFY(!tbui::chart::title(chart).isEmpty());
    }

    void hyperparamChoices() {
        tbui::HyperparamPanel panel;
        auto* device = panel.findChild<QComboBox*>("model.device");
        auto* dtype = panel.findChild<QComboBox*>("model.dtype");
        QVERIFY(device && dtype);
        QVERIFY(device->findText("cpu") >= 0 && dtype->findText("bfloat16") >= 0);
        device->setCurrentText("cpu");
        QCOMPARE(panel.config().model.device, std::string("cpu"));
        // Target modules: one checkbox per projection, the config's list checked.
        auto* modules = panel.findChild<QWidget*>("lora.target_modules");
        QVERIFY(modules);
        auto* gate = modules->findChild<QCheckBox*>("gate_proj");
        auto* q = modules->findChild<QCheckBox*>("q_proj");
        QVERIFY(gate && q);
        QCOMPARE(q->isChecked(), true);  // default [q_proj, k_proj, v_proj, o_proj]
        QCOMPARE(gate->isChecked(), false);
        gate->setChecked(true);
        const auto& tm = panel.config().lora.target_modules;
        QVERIFY(std::find(tm.begin(), tm.end(), "gate_proj") != tm.end());
        // Human labels, the YAML key in the tooltip.
        QVERIFY(device->toolTip().contains("model.device"));
        bool human = false;
        for (auto* l : panel.findChildren<QLabel*>()) human |= l->text() == "Learning rate:";
        QVERIFY(human);
        // The preset counts as applied only after Apply preset.
        auto* state = panel.findChild<QLabel*>("presetState");
        QVERIFY(state && !state->text().startsWith("Applied"));
        QVERIFY(panel.applyPreset(panel.presetNames().first()));
        QVERIFY(state->text().startsWith("Applied"));
        device->setCurrentText(device->currentText() == "cpu" ? "auto" : "cpu");
        QVERIFY(!state->text().startsWith("Applied"));
    }

    void compareRemembersAdapters() {
        QTemporaryDir ws;
        QDir(ws.path()).mkpath("outputs/run1/adapter");
        QFile(ws.filePath("outputs/run1/adapter/adapter_config.json")).open(QIODevice::WriteOnly);
        {
            auto s = Store::open(ws.filePath("tunebench.sqlite").toStdString());
            tb::store::RunRecord r;
            r.kind = "train";
            r.name = "my run";
            r.output_dir = ws.filePath("outputs/run1").toStdString();
            QVERIFY(s.value()->add_run(r).ok());
        }
        QCoreApplication::setOrganizationName("tunebench-test");
        QCoreApplication::setApplicationName("test_gui_charts_runs");
        QSettings().remove(tbui::ComparePanel::settingsKey(ws.path()));
        const QString adapter = ws.filePath("outputs/run1/adapter");
        {
            tbui::JobQueue jobs;
            tbui::ComparePanel panel(&jobs);
            panel.setWorkspaceDir(ws.path());
            panel.addAdapter(adapter);
            auto* list = panel.findChild<QListWidget*>();
            QCOMPARE(list->item(0)->text(), QString("my run"));
            QCOMPARE(list->item(0)->toolTip(), adapter);
        }
        tbui::JobQueue jobs;
        tbui::ComparePanel again(&jobs);
        again.setWorkspaceDir(ws.path());
        QCOMPARE(again.adapters(), QStringList{adapter});
        QSettings().remove(tbui::ComparePanel::settingsKey(ws.path()));
    }

    void datasetFilterFollows() {
        tbui::JobQueue jobs;
        tbui::DatasetPanel panel(&jobs);
        panel.resize(1280, 800);
        auto bundle = std::make_shared<tbui::DatasetBundle>();
        bundle->dataset.path = "mem.jsonl";
        for (int i = 0; i < 30; ++i) {
            tb::Example ex;
            ex.instruction = std::string(static_cast<size_t>(10 + 10 * i), 'x');
            ex.response = i % 3 == 0 ? "apple" : "pear";
            ex.category = i % 2 ? "odd" : "even";
            ex.source_line = static_cast<size_t>(i + 1);
            bundle->dataset.examples.push_back(ex);
            bundle->split_of_row.push_back(i % 3);
        }
        panel.setBundle(bundle);
        QCOMPARE(panel.shownText(), QString("30 of 30 rows shown"));
        QCOMPARE(panel.histogramRows(), qint64(30));
        QVERIFY(!panel.noMatchVisible());
        QVERIFY(panel.badRowsList()->count() == 1 &&
                panel.badRowsList()->item(0)->text().startsWith("None"));
        panel.proxy()->setSearch("apple");
        QTRY_COMPARE(panel.shownText(), QString("10 of 30 rows shown"));
        QCOMPARE(panel.histogramRows(), qint64(10));
        panel.proxy()->setSearch("no such text");
        QTRY_VERIFY(panel.noMatchVisible());
        QVERIFY(tbui::chart::showingEmpty(panel.lengthChart()));
        panel.proxy()->setSearch("");
        QTRY_COMPARE(panel.histogramRows(), qint64(30));
        // The detail pane follows the selection.
        panel.tableView()->selectRow(3);
        QVERIFY(panel.detailView()->toPlainText().contains("line"));
    }
};

QTEST_MAIN(ChartsRunsTest)
#include "test_gui_charts_runs.moc"
