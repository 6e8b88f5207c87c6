// The GUI's multi-rank training (issue 15: "training.nproc_per_node in YAML and a GPUs field in
// the hyperparameter panel; the GUI's run shows every rank's progress merged"): the
// hyperparameter form's GPUs field sets training.nproc_per_node, and the training panel,
// started on that configuration, runs 2 Gloo ranks (tunebench-cli started by the worker's
// run_training_ranks) and shows one report per update: rank 0's loss in the curves and every
// rank's phase and step in the log, to the last step of each.
#include <QLabel>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QtTest>

#include "core/config/app_config.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/training_panel.h"
#include "widgets/worker.h"

class TestTrainingRanks : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void gpusFieldSetsNprocPerNode() {
        tbui::HyperparamPanel panel;
        auto* gpus = panel.findChild<QSpinBox*>("training.nproc_per_node");
        QVERIFY(gpus);
        QCOMPARE(gpus->minimum(), 1);
        gpus->setValue(2);
        QCOMPARE(panel.config().training.nproc_per_node, int64_t(2));
        QVERIFY(QString::fromStdString(tb::app_config_to_yaml(panel.config()))
                    .contains("nproc_per_node: 2"));
    }

    void twoRanksShowMergedProgress() {
        qputenv("TUNEBENCH_CLI", TB_CLI_PATH);
        qputenv("TUNEBENCH_DIST_TIMEOUT", "30");
        const std::string model = tbtest::scratch_dir("gui_ranks_model");
        const std::string err = guitest::make_tiny_model_dir(model);
        QVERIFY2(err.empty(), err.c_str());
        const std::string out = tbtest::scratch_dir("gui_ranks_out");
        const std::string yaml = "model:\n  name: " + model +
                                 "\n  max_length: 64\n  dtype: float32\n  device: cpu\n"
                                 "lora:\n  r: 4\n  alpha: 8\n"
                                 "training:\n  batch_size: 2\n  nproc_per_node: 2\n"
                                 "  max_steps: 4\n  eval_steps: 2\n  save_steps: 2\n"
                                 "  logging_steps: 1\n  learning_rate: 0.005\n  output_dir: " +
                                 out + "\ndata:\n  path: " + guitest::dolly_path() +
                                 "\n  format: dolly\n";
        auto cfg = tb::parse_app_config(yaml, "gui_ranks.yaml");
        QVERIFY2(cfg.ok(), cfg.ok() ? "" : cfg.error().message.c_str());
        tbui::JobQueue jobs;
        const tb::AppConfig c = cfg.value();
        tbui::TrainingPanel panel(&jobs, [c] { return tbui::ConfigSnapshot(c); });
        panel.start();
        QVERIFY(panel.running());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.running(), 180000);
        const QString log = panel.logView()->toPlainText();
        // Every rank's progress, merged into each report...
        QVERIFY2(log.contains(QRegularExpression("rank 0: training \\d+, rank 1: training \\d+")),
                 qPrintable(log));
        // ... to the end of both.
        QVERIFY2(log.contains("rank 0: finished 4, rank 1: finished 4"), qPrintable(log));
        QVERIFY2(!log.contains("Failed"), qPrintable(log));
        // The curves are the run's (rank 0's all-reduced loss), one point per step.
        QCOMPARE(panel.curves().step.size(), 4);
        QVERIFY(panel.curves().evalLoss.size() >= 2);  // eval_steps 2 of 4
    }
};

QTEST_MAIN(TestTrainingRanks)
#include "test_training_ranks.moc"
