// Results panel: help instead of numbers without an evaluation; the table and the per-category
// chart show exactly the stored aggregates; table and chart exports are valid files; the legend
// sits below the plot (never over the bars); the evaluation combo is wide enough for its
// entries; "Run evaluation" runs core/eval on the worker, then shows the new evaluation.
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>
#include <map>

#include "core/eval/eval_fingerprint.h"
#include "core/eval/evaluation.h"
#include "tests/widgets/gui_test_util.h"
#include "tests/widgets/store_fixture.h"
#include "widgets/export.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/qcp.h"
#include "widgets/results_panel.h"
#include "widgets/worker.h"

using tb::store::Store;

namespace {

// A recorded fingerprint like the evaluation runner writes.
tb::eval::EvalFingerprint fingerprint(bool stratify, int64_t batch) {
    tb::eval::EvalFingerprint fp;
    fp.split.seed = 42;
    fp.split.train_ratio = 0.9;
    fp.split.val_ratio = 0.05;
    fp.split.test_ratio = 0.05;
    fp.split.stratify = stratify;
    fp.split.format = "dolly";
    fp.split.data_hash = "fnv1a64:00000000000000aa";
    fp.split.rows = 300;
    fp.split.test_items = 9;
    fp.generation.max_new_tokens = 64;
    fp.generation.batch_size = batch;
    fp.generation.dtype = "float32";
    fp.generation.device = "cpu";
    fp.generation.max_length = 256;
    fp.generation.prompt_template = "chat";
    return fp;
}

// A copy of evaluation `from`'s aggregates as a new evaluation run with `fp` recorded.
qint64 addRecordedEval(Store& st, qint64 from, const tb::eval::EvalFingerprint& fp) {
    tb::store::RunRecord run;
    run.kind = "eval";
    run.name = "recorded";
    run.status = "completed";
    run.config_yaml = tb::eval::eval_run_config_yaml(tb::app_config_to_yaml({}), fp);
    auto id = st.add_run(run);
    if (!id.ok()) return -1;
    auto agg = st.metric_aggregates(from).value();
    for (auto& r : agg) r.eval_id = id.value();
    return st.replace_metric_aggregates(id.value(), agg).ok() ? id.value() : -1;
}

}  // namespace

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

    // Issue 10: evaluations on different splits sat side by side. Only comparable ones are
    // put in one table/chart, on request; the notice names the others and what differs.
    void incomparableEvaluationsFlagged() {
        const QString path = dir_.filePath("compare.sqlite");
        std::string err;
        const qint64 legacy = guitest::make_eval_store(path.toStdString(), 9, err);
        QVERIFY2(legacy > 0, err.c_str());
        qint64 a = 0, b = 0, c = 0;
        {
            auto st = Store::open(path.toStdString());
            QVERIFY(st.ok());
            a = addRecordedEval(*st.value(), legacy, fingerprint(false, 8));
            b = addRecordedEval(*st.value(), legacy, fingerprint(false, 2));  // rounding only
            c = addRecordedEval(*st.value(), legacy, fingerprint(true, 8));   // other split
            QVERIFY(a > 0 && b > 0 && c > 0);
        }
        tbui::ResultsPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        auto* notice = panel.findChild<QLabel*>("comparisonNotice");
        QVERIFY(notice);

        // One evaluation shown; the notice says which others are (not) comparable and why.
        QCOMPARE(panel.showEvaluation(a), QString());
        QCOMPARE(panel.shownEvaluations(), QList<qint64>{a});
        QCOMPARE(panel.table()->rowCount(), 4);
        QString text = panel.comparisonNotice();
        QVERIFY(!notice->isHidden());
        QCOMPARE(notice->text(), text);
        QVERIFY2(text.contains(QString("Comparable with this evaluation: #%1").arg(b)),
                 qPrintable(text));
        QVERIFY2(text.contains(QString("#%1 (split stratify: false vs true)").arg(c)),
                 qPrintable(text));
        QVERIFY2(text.contains(QString("#%1 (").arg(legacy)) && text.contains("not recorded"),
                 qPrintable(text));

        // Comparable ones together: rows labelled by evaluation, incomparable ones left out.
        panel.setIncludeComparable(true);
        QCOMPARE(panel.shownEvaluations(), (QList<qint64>{a, b}));
        QCOMPARE(panel.table()->rowCount(), 8);
        QSet<QString> models;
        for (int row = 0; row < panel.table()->rowCount(); ++row)
            models << panel.table()->index(row, tbui::ResultsTableModel::Model).data().toString();
        QCOMPARE(models,
                 (QSet<QString>{QString("#%1 base").arg(a), QString("#%1 adapter-r16").arg(a),
                                QString("#%1 base").arg(b), QString("#%1 adapter-r16").arg(b)}));
        panel.setChartMetric("bleu");
        int series = 0;
        for (int p = 0; p < panel.chart()->plottableCount(); ++p)
            series += qobject_cast<QCPBars*>(panel.chart()->plottable(p)) != nullptr;
        QCOMPARE(series, 4);
        text = panel.comparisonNotice();
        QVERIFY2(text.contains(QString("Showing evaluations #%1, #%2 together").arg(a).arg(b)),
                 qPrintable(text));
        QVERIFY2(text.contains("generation batch size: 8 vs 2"), qPrintable(text));
        QVERIFY2(text.contains(QString("#%1 (split stratify").arg(c)), qPrintable(text));

        // From the stratified one, nothing else is comparable.
        QCOMPARE(panel.showEvaluation(c), QString());
        QCOMPARE(panel.shownEvaluations(), QList<qint64>{c});
        QCOMPARE(panel.table()->rowCount(), 4);
        text = panel.comparisonNotice();
        QVERIFY2(text.contains(QString("#%1 (split stratify: true vs false)").arg(a)),
                 qPrintable(text));
        // An evaluation recorded without its settings is never put beside another.
        QCOMPARE(panel.showEvaluation(legacy), QString());
        QCOMPARE(panel.shownEvaluations(), QList<qint64>{legacy});
        QVERIFY(panel.comparisonNotice().contains("recorded without its split"));
    }

    // Issue 10: invalid fields block Run evaluation as they block Start training.
    // The Items and Metrics fields follow the config's eval section when it changes and keep
    // the user's own edits otherwise.
    void itemsAndMetricsFollowTheConfig() {
        tbui::JobQueue jobs;
        tbui::HyperparamPanel hyper;
        tbui::ResultsPanel panel(&jobs, [&hyper] { return hyper.snapshot(); });
        QObject::connect(&hyper, &tbui::HyperparamPanel::stateChanged, &panel,
                         &tbui::ResultsPanel::updateConfigState);
        QCOMPARE(panel.evaluationMetrics(), QString("bleu,rouge_l,bertscore"));  // defaults
        QCOMPARE(panel.evaluationLimit(), 0);                                    // all
        QCOMPARE(hyper.editField("eval.limit", "12"), QString());
        QCOMPARE(hyper.editField("eval.metrics", "[bleu, chrf]"), QString());
        QCOMPARE(panel.evaluationLimit(), 12);
        QCOMPARE(panel.evaluationMetrics(), QString("bleu,chrf"));
        panel.setEvaluationLimit(5);  // the user's choice stays until the config's changes
        QCOMPARE(hyper.editField("training.epochs", "2"), QString());
        QCOMPARE(panel.evaluationLimit(), 5);
    }

    void invalidFieldBlocksRunEvaluation() {
        tbui::JobQueue jobs;
        tbui::HyperparamPanel hyper;
        tbui::ResultsPanel panel(&jobs, [&hyper] { return hyper.snapshot(); });
        QObject::connect(&hyper, &tbui::HyperparamPanel::stateChanged, &panel,
                         &tbui::ResultsPanel::updateConfigState);
        panel.setWorkspaceDir(QString::fromStdString(tbtest::scratch_dir("results_blocked_ws")));
        QVERIFY(panel.runEnabled());
        QVERIFY(!hyper.editField("training.learning_rate", "-1").isEmpty());
        QVERIFY(!panel.runEnabled());
        QVERIFY(panel.configProblem().contains("training.learning_rate"));
        const QString err = panel.runEvaluation();
        QVERIFY2(err.contains("training.learning_rate"), qPrintable(err));
        QVERIFY(!panel.evaluating());
        QVERIFY(!jobs.busy());
        QCOMPARE(hyper.editField("training.learning_rate", "2e-4"), QString());
        QVERIFY(panel.runEnabled());
    }

    // Issue 10: the GUI evaluated on the default unstratified split while the CLI used the
    // config's. The GUI now runs the workspace's config.yaml as loaded, so a GUI evaluation and
    // the CLI's (load_app_config + run_evaluation, as cmd_evaluate does) on that file measure
    // the same thing.
    void guiAndCliEvaluateTheSameSplit() {
        const std::string model = tbtest::scratch_dir("results_same_split_model");
        const std::string merr = guitest::make_tiny_model_dir(model);
        QVERIFY2(merr.empty(), merr.c_str());
        const QString ws = QString::fromStdString(tbtest::scratch_dir("results_same_split_ws"));
        const QString config = ws + "/config.yaml";
        {
            QFile f(config);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QString("model:\n  name: %1\n  device: cpu\n  max_length: 64\n"
                            "data:\n  path: %2\n  stratify: true\n  split_seed: 7\n"
                            "eval:\n  max_new_tokens: 4\n  batch_size: 2\n  limit: 3\n"
                            "  metrics: [bleu]\n")
                        .arg(QString::fromStdString(model),
                             QString::fromStdString(guitest::dolly_path()))
                        .toUtf8());
        }
        tbui::HyperparamPanel hyper;
        QCOMPARE(hyper.openWorkspaceConfig(config, QString::fromStdString(model),
                                           QString::fromStdString(guitest::dolly_path()),
                                           ws + "/outputs", false),
                 QString());
        QVERIFY(!hyper.isModified());
        tbui::JobQueue jobs;
        tbui::ResultsPanel panel(&jobs, [&hyper] { return hyper.snapshot(); });
        panel.setWorkspaceDir(ws);
        // Items and metrics on screen are the config's: nothing to set by hand.
        QCOMPARE(panel.evaluationMetrics(), QString("bleu"));
        QCOMPARE(panel.evaluationLimit(), 3);
        QSignalSpy done(&panel, &tbui::ResultsPanel::evaluationDone);
        QCOMPARE(panel.runEvaluation(), QString());
        QVERIFY(done.wait(240000));
        const qint64 gui = done.first().at(0).value<qint64>();
        QVERIFY(gui > 0);

        tb::eval::EvaluationParams p;
        auto cfg = tb::load_app_config(config.toStdString());
        QVERIFY(cfg.ok());
        p.config = cfg.value();
        p.metrics = {"bleu"};
        p.store_path = (ws + "/tunebench.sqlite").toStdString();
        auto cli = tb::eval::run_evaluation(p);
        QVERIFY2(cli.ok(), cli.ok() ? "" : cli.error().message.c_str());

        auto st = Store::open(p.store_path);
        QVERIFY(st.ok());
        auto run = st.value()->get_run(gui);
        QVERIFY(run.ok() && run.value());
        const auto fp = tb::eval::stored_fingerprint(*run.value());
        QVERIFY(fp.recorded);
        QVERIFY(fp.split.stratify);
        QCOMPARE(fp.split.seed, int64_t(7));
        QCOMPARE(fp.split.test_items, int64_t(3));
        auto others = tb::eval::compare_with_stored(*st.value(), gui);
        QVERIFY(others.ok());
        QCOMPARE(others.value().size(), size_t(1));
        QCOMPARE(others.value()[0].eval_id, cli.value().eval_id);
        QVERIFY2(others.value()[0].comparability.comparable,
                 tb::eval::describe_differences(others.value()[0].comparability).c_str());
        // Same items generated by both.
        auto ids = [&](qint64 id) {
            QStringList out;
            const auto gens = st.value()->generations(id);
            if (!gens.ok()) return out;
            for (const auto& g : gens.value()) out << QString::fromStdString(g.item_id);
            return out;
        };
        QCOMPARE(ids(gui), ids(cli.value().eval_id));
        QCOMPARE(panel.openStore(ws + "/tunebench.sqlite"), QString());
        QCOMPARE(panel.showEvaluation(gui), QString());
        QVERIFY2(panel.comparisonNotice().contains(
                     QString("Comparable with this evaluation: #%1").arg(cli.value().eval_id)),
                 qPrintable(panel.comparisonNotice()));
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
