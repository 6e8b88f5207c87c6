// Runs panel: every training run of the workspace's store in one sortable table (status, key
// settings, final and best losses, throughput, memory), read through core/store
// (list_runs + train_run_summaries). Selecting runs overlays one metric of all of them over
// their full length; two selected runs show their config diff (config_schema keys whose values
// differ). Rename edits the store's label; Delete removes the run's rows and, confirmed, its
// run folder; Resume continues a run from a chosen checkpoint through the training panel (the
// worker and the core's run_training); Export writes the table or a run's adapter / merged
// model. The table is re-read on a timer while a run is going and when the training panel
// says the runs changed.
#pragma once

#include <QAbstractTableModel>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/config/app_config.h"
#include "core/store/store.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;
class QTimer;

namespace tbui {

struct RunRow {
    tb::store::RunRecord run;
    tb::store::TrainRunSummary summary;
    std::optional<tb::AppConfig> config;  // nullopt when the stored YAML does not parse
};

// Display role: text; Qt::UserRole: the sort key (numbers as numbers); Qt::ToolTipRole: detail.
class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        Id,
        Name,
        Status,
        Started,
        Steps,
        FinalLoss,
        LastEval,
        BestEval,
        BestPpl,
        TokensPerS,
        Elapsed,
        PeakMemory,
        LearningRate,
        Rank,
        Alpha,
        Epochs,
        BatchSize,
        Backend,
        ColumnCount
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<RunRow> rows);
    const std::vector<RunRow>& rows() const { return rows_; }
    const RunRow* rowById(qint64 id) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    // Editing the Name cell asks for a rename (the panel writes it to the store).
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

  Q_SIGNALS:
    void renameRequested(qint64 runId, const QString& name);

  private:
    std::vector<RunRow> rows_;
};

class RunsPanel : public QWidget {
    Q_OBJECT
  public:
    // What the panel asks the training panel to do (main window wires them; tests too).
    struct Actions {
        // Resume run id from a checkpoint folder (empty: the run's newest). Error or "".
        std::function<QString(qint64, const QString&)> resume;
        // Export run id's adapter (merged = false) or merged model into a folder. Error or "".
        std::function<QString(qint64, const QString&, bool)> exportRun;
        // True while a training job is running (its run cannot be deleted).
        std::function<bool()> training;
    };
    explicit RunsPanel(QWidget* parent = nullptr);
    ~RunsPanel() override;

    void setActions(Actions actions) { actions_ = std::move(actions); }
    // Opens <dir>/tunebench.sqlite (when it exists) and lists its runs.
    void setWorkspaceDir(const QString& dir);
    // Re-reads the store. Keeps the selection and sort. Returns an error or "".
    QString refresh();

    RunsTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }
    QCustomPlot* chart() const { return chart_; }
    QTableWidget* diffTable() const { return diff_; }
    QComboBox* metricCombo() const { return metricCombo_; }
    QComboBox* checkpointCombo() const { return checkpointCombo_; }
    QString status() const;

    // Selects runs by id (the table's selection; the chart and diff follow).
    void selectRuns(const QList<qint64>& ids);
    QList<qint64> selectedRuns() const;
    QString renameRun(qint64 runId, const QString& name);
    // Deletes the run's store rows and, when deleteFiles, its run folder (only a folder that
    // holds run.json or training_stats.json: never an arbitrary directory). No question asked
    // here (deleteSelectedInteractive asks). Error or "".
    QString deleteRun(qint64 runId, bool deleteFiles);
    // Checkpoint folders of a run, newest first (<output_dir>/checkpoints/step-N).
    static QStringList checkpointsOf(const QString& outputDir);
    // Rows of the config diff: (key, value of A, value of B), schema order; only the keys whose
    // values differ unless onlyDifferent is false.
    static QList<QStringList> configDiff(const tb::AppConfig& a, const tb::AppConfig& b,
                                         bool onlyDifferent = true);

  public Q_SLOTS:
    void deleteSelectedInteractive();
    void resumeSelected();
    void exportSelectedInteractive(bool merged);

  private:
    void selectionChanged();
    void redrawChart();
    void updateDiff();
    void updateCheckpoints();
    void say(const QString& text);

    Actions actions_;
    QString storePath_;
    std::unique_ptr<tb::store::Store> store_;
    RunsTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* view_;
    QCustomPlot* chart_;
    QComboBox* metricCombo_;
    QTableWidget* diff_;
    QCheckBox* diffOnly_;
    QComboBox* checkpointCombo_;
    QPushButton* resumeButton_;
    QPushButton* deleteButton_;
    QPushButton* exportAdapterButton_;
    QPushButton* exportMergedButton_;
    QLabel* status_;
    QTimer* timer_;
};

}  // namespace tbui
