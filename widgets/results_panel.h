// Results panel: the automatic metrics of one evaluation as stored by the evaluation runner
// (Store::metric_aggregates): a metric x model table with the 95% CI and the paired p-value
// against the base model, and a per-category bar chart of one metric. Tables export as
// CSV/JSON/Markdown, the chart as PNG/PDF/SVG (widgets/export). Numbers only ever come from the
// store: without an evaluation the panel says how to run one.
#pragma once

#include <QAbstractTableModel>
#include <QVector>
#include <QWidget>
#include <memory>
#include <vector>

#include "core/store/store.h"

class QComboBox;
class QCustomPlot;
class QLabel;
class QStackedWidget;
class QTableView;

namespace tbui {

// Whole-test-set aggregates (category = none), one row per (metric, model).
class ResultsTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Metric, Model, Value, CiLow, CiHigh, PValue, Items, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<tb::store::MetricAggregateRow> rows);
    const std::vector<tb::store::MetricAggregateRow>& rows() const { return rows_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  private:
    std::vector<tb::store::MetricAggregateRow> rows_;
};

class ResultsPanel : public QWidget {
    Q_OBJECT
  public:
    explicit ResultsPanel(QWidget* parent = nullptr);
    ~ResultsPanel() override;

    // Opens <dir>/tunebench.sqlite when it exists.
    void setWorkspaceDir(const QString& dir);
    QString openStore(const QString& path);
    QList<qint64> evaluations() const;
    // Shows `evalId` (one of evaluations()). Returns an error message or "".
    QString showEvaluation(qint64 evalId);
    void setChartMetric(const QString& metric);

    ResultsTableModel* table() const { return table_; }
    QCustomPlot* chart() const { return chart_; }
    bool showingHelp() const;
    QString helpText() const;
    // The categories and bar values of the current chart, per model (for tests).
    QStringList chartCategories() const { return categories_; }

  private:
    void refreshChart();
    void showHelp(const QString& reason);

    std::unique_ptr<tb::store::Store> store_;
    std::vector<tb::store::MetricAggregateRow> all_;
    QStringList categories_;
    QLabel* storeLabel_;
    QComboBox* evalCombo_;
    QComboBox* metricCombo_;
    QStackedWidget* stack_;
    QLabel* help_;
    QTableView* view_;
    ResultsTableModel* table_;
    QCustomPlot* chart_;
};

}  // namespace tbui
