// Results panel: the automatic metrics of one evaluation as stored by the evaluation runner
// (Store::metric_aggregates): a metric x model table with the 95% CI and the paired p-value
// against the base model, and a per-category bar chart of one metric. Tables export as
// CSV/JSON/Markdown, the chart as PNG/PDF/SVG (widgets/export). Numbers only ever come from the
// store: without an evaluation the panel says how to run one, and "Run evaluation" runs
// core/eval's run_evaluation on the worker (progress, cancel) with the Hyperparameters tab's
// config, recording into the workspace's store, then shows the new evaluation.
//
// Several evaluations share the table and chart only when core/eval's comparability rule says
// they measured the same thing (same split and generation settings); a notice names the
// store's other evaluations that are not comparable with the one shown and what differs.
#pragma once

#include <QAbstractTableModel>
#include <QVector>
#include <QWidget>
#include <functional>
#include <memory>
#include <vector>

#include "core/config/app_config.h"
#include "core/eval/evaluation.h"
#include "core/store/store.h"
#include "widgets/config_source.h"
#include "widgets/run_names.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableView;

namespace tbui {

class JobQueue;

// Whole-test-set aggregates (category = none), one row per (metric, model).
class ResultsTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Metric, Model, Value, CiLow, CiHigh, PValue, Items, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<tb::store::MetricAggregateRow> rows);
    // Model labels: run names (path in the tooltip); a run's adapter is renamed in place.
    void setNames(const RunNames* names) { names_ = names; }
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    const std::vector<tb::store::MetricAggregateRow>& rows() const { return rows_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  Q_SIGNALS:
    void renameRequested(qint64 runId, const QString& name);

  private:
    std::vector<tb::store::MetricAggregateRow> rows_;
    const RunNames* names_ = nullptr;
};

class ResultsPanel : public QWidget {
    Q_OBJECT
  public:
    // The Hyperparameters tab's snapshot: evaluations run exactly that config (its split and
    // generation settings) and do not start while it has problems.
    using ConfigSource = tbui::ConfigSource;
    // Without a job queue (tests of the views) the panel cannot run evaluations.
    explicit ResultsPanel(JobQueue* jobs = nullptr, ConfigSource config = {},
                          QWidget* parent = nullptr);
    ~ResultsPanel() override;

    // Opens <dir>/tunebench.sqlite when it exists (evaluations run here are recorded there).
    void setWorkspaceDir(const QString& dir);
    // The models an evaluation compares ("base" and adapter folders, comma-separated); filled
    // with base + the newest completed training run's adapter when a workspace opens.
    void setEvaluationModels(const QString& models);
    QString evaluationModels() const;
    // Metrics and items start from the config's eval.metrics and eval.limit.
    void setEvaluationMetrics(const QString& metrics);
    QString evaluationMetrics() const;
    void setEvaluationLimit(int items);  // 0: the whole test split
    int evaluationLimit() const;
    // Queues an evaluation with the current settings. Returns an error message or "".
    QString runEvaluation();
    void cancelEvaluation();
    bool evaluating() const { return evaluating_; }
    QComboBox* evaluationCombo() const { return evalCombo_; }
    QString openStore(const QString& path);
    QList<qint64> evaluations() const;
    // Shows `evalId` (one of evaluations()). Returns an error message or "".
    QString showEvaluation(qint64 evalId);
    void setChartMetric(const QString& metric);
    // Logarithmic value axis (perplexity and loss span orders of magnitude).
    void setLogScale(bool on);
    bool logScale() const;
    // The label shown for a model ("base", a run name, else the folder's last components).
    QString modelLabel(const QString& model) const { return names_.display(model); }
    // Renames the training run whose adapter `model` is (store label). Error or "".
    QString renameModel(const QString& model, const QString& name);
    // Also show the store's evaluations comparable with the selected one (models labelled
    // "#<id> <model>"); incomparable ones are never added, only named in the notice.
    void setIncludeComparable(bool on);
    QList<qint64> shownEvaluations() const { return shown_; }
    // What the comparison notice says ("" when the store has no other evaluation).
    QString comparisonNotice() const;
    // Why Run evaluation is disabled by the config ("" when it can run).
    QString configProblem() const { return configProblem_; }
    bool runEnabled() const;

    ResultsTableModel* table() const { return table_; }
    QCustomPlot* chart() const { return chart_; }
    bool showingHelp() const;
    QString helpText() const;
    // The categories and bar values of the current chart, per model (for tests).
    QStringList chartCategories() const { return categories_; }

  public Q_SLOTS:
    // Re-reads the config source: enables Run evaluation or shows what blocks it.
    void updateConfigState();

  Q_SIGNALS:
    // A run of "Run evaluation" ended (finished, cancelled or failed); ratings can use it.
    void evaluationDone(qint64 evalId);

  private:
    void refreshChart();
    void addComparableEvaluations(qint64 evalId);
    void showHelp(const QString& reason);
    void setEvaluating(bool on);
    void onEvalProgress(const tb::eval::EvalProgress& p);
    void onEvalFinished(const tb::eval::EvaluationResult& r);
    void onFailed(const QString& message);
    QString defaultModels() const;

    JobQueue* jobs_;
    ConfigSource configSource_;
    QString storePath_;
    bool evaluating_ = false;
    std::shared_ptr<tb::CancelToken> evalCancel_;
    std::unique_ptr<tb::store::Store> store_;
    std::vector<tb::store::MetricAggregateRow> all_;
    QList<qint64> shown_;  // evaluations whose rows are in all_, the selected one first
    QString configProblem_;
    // The config's eval.metrics / eval.limit last put into the Metrics and Items fields: the
    // fields follow the config when it changes, and keep the user's edits otherwise.
    QString configMetrics_;
    int configLimit_ = -2;
    QStringList categories_;
    QLabel* storeLabel_;
    QComboBox* evalCombo_;
    QComboBox* metricCombo_;
    QCheckBox* includeComparable_;
    QCheckBox* logScale_;
    RunNames names_;
    QLabel* comparisonNotice_;
    QLineEdit* modelsEdit_;
    QLineEdit* metricsEdit_;
    QSpinBox* limitSpin_;
    QPushButton* runButton_;
    QPushButton* cancelButton_;
    QProgressBar* evalProgress_;
    QLabel* evalStatus_;
    QStackedWidget* stack_;
    QLabel* help_;
    QTableView* view_;
    ResultsTableModel* table_;
    QCustomPlot* chart_;
};

}  // namespace tbui
