// Benchmark panel: the GUI of `tunebench-cli bench infer` (core/infer/infer_bench.h). The
// user picks engines (tb::infer::available_engines(), asked at run time), batch sizes, prompts,
// new tokens, device and dtype, the workspace's model or a random-weight shape, and optionally
// HF transformers' generate beside; the job runs on the worker (progress, cancel) and its
// result is kept as the CLI keeps it (core/infer/infer_bench_record.h): a
// results/benchmarks/infer_*.json file under the workspace and rows of the store's benchmarks
// table. The panel shows a result -- fresh, or one of the store's earlier runs rebuilt from its
// rows -- as a table (one row per engine and batch size) and the study's charts: time to first
// token, end-to-end latency, tokens/s per request and aggregate (median, bars from min to max
// over the timed runs), peak memory (CUDA allocated and reserved, or process RSS) and load
// time, each exportable as PNG/PDF/SVG (widgets/export).
#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/common/cancel_token.h"
#include "widgets/benchmark_job.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableView;

namespace tbui {

class JobQueue;

// One figure over the timed runs.
struct BenchFigure {
    double median = 0, min = 0, max = 0;
};

// One (engine, batch size) of a result, as the table and charts show it.
struct BenchRow {
    QString engine;  // "eager", ..., "transformers" for HF
    bool hf = false;
    qint64 batch = 0;
    BenchFigure ttftMs, itlP50Ms, itlP99Ms, e2eS, tpsRequest, tpsAggregate;
    std::optional<qint64> peakAllocated, peakReserved, peakRss;  // bytes
    double loadS = 0;
    std::optional<double> aggregateVsHf;  // tokens/s aggregate, ours / HF's
    std::optional<double> agreement;      // greedy tokens equal to HF's (share)
};

// The rows of a run_infer_bench result (HF first when measured).
std::vector<BenchRow> benchRowsOf(const nlohmann::json& result);

class BenchmarkTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        Engine,
        Batch,
        Ttft,
        Itl,  // p50 / p99
        E2e,
        TpsRequest,
        TpsAggregate,
        VsHf,
        PeakMemory,
        Load,
        ColumnCount
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<BenchRow> rows);
    const std::vector<BenchRow>& rows() const { return rows_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  private:
    std::vector<BenchRow> rows_;
};

// The store's inference benchmarks (tb::infer::stored_infer_benches), newest first.
class BenchmarkRunsModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Run, Date, Model, Device, Engines, Batches, ColumnCount };
    struct Entry {
        qint64 runId = 0;
        QString createdAt, model, device, engines, batches;
        nlohmann::json result;
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setEntries(QList<Entry> entries);
    const QList<Entry>& entries() const { return entries_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  private:
    QList<Entry> entries_;
};

class BenchmarkPanel : public QWidget {
    Q_OBJECT
  public:
    // What the form holds (the fields of InferBenchParams the panel sets).
    struct Settings {
        QStringList engines;
        bool randomShape = false;  // random weights of `shape` instead of modelDir
        QString modelDir;
        QString shape = QStringLiteral("tinyllama");
        QString batches = QStringLiteral("1,8");
        int prompts = 0;  // 0: the largest batch
        int promptLen = 128;
        int maxNewTokens = 256;
        int warmup = 1;
        int repeats = 3;
        QString device = QStringLiteral("auto");
        QString dtype = QStringLiteral("auto");
        bool hf = false;
        QString python = QStringLiteral("python3");
    };

    // Without a job queue (tests of the views) the panel cannot run benchmarks.
    explicit BenchmarkPanel(JobQueue* jobs = nullptr, QWidget* parent = nullptr);
    ~BenchmarkPanel() override;

    // Results go to <dir>/results/benchmarks/ and <dir>/tunebench.sqlite; earlier runs are
    // read from that store. The model folder field follows the workspace's model.
    void setWorkspace(const QString& dir, const QString& modelDir);

    Settings settings() const;
    void setSettings(const Settings& s);
    // Queues a benchmark with the form's settings. Returns an error message or "".
    QString run();
    void cancel();
    bool running() const { return running_; }

    // Reads the store's inference benchmarks into the runs list. Returns an error or "".
    QString refreshRuns();
    // Shows a result (run_infer_bench's shape); `what` heads it.
    void showResult(const nlohmann::json& result, const QString& what);
    // Shows row `row` of runsModel().
    void showStoredRun(int row);

    BenchmarkTableModel* table() const { return table_; }
    BenchmarkRunsModel* runsModel() const { return runs_; }
    // Charts in order: TTFT, end-to-end latency, tokens/s per request, tokens/s aggregate,
    // peak memory, load time.
    QList<QCustomPlot*> charts() const { return charts_; }
    QString statusText() const;
    // Why HF was not measured ("" when it was, or was not asked for).
    QString hfNotice() const;
    QString lastJsonPath() const { return lastJsonPath_; }
    qint64 lastRunId() const { return lastRunId_; }
    const nlohmann::json& shownResult() const { return shown_; }
    // The HF script the panel found ("" when none: the HF box is then disabled).
    QString hfScript() const { return hfScript_; }
    // True while the charts are shown (a result with measured rows), false while the help is.
    bool chartsShown() const;

  Q_SIGNALS:
    // A benchmark ended: finished (runId > 0 when recorded), cancelled or failed (runId 0).
    void benchmarkDone(qint64 runId);

  private:
    void setRunning(bool on);
    void onProgress(const InferBenchProgress& p);
    void onFinished(const InferBenchOutcome& r);
    void onFailed(const QString& message);
    void redrawCharts();
    void updateModelFields();

    JobQueue* jobs_;
    QString workspaceDir_;
    QString hfScript_;
    bool running_ = false;
    std::shared_ptr<tb::CancelToken> cancel_;
    nlohmann::json shown_;
    QString lastJsonPath_;
    qint64 lastRunId_ = 0;

    QListWidget* engines_;
    QRadioButton* useModel_;
    QRadioButton* useShape_;
    QLineEdit* modelEdit_;
    QPushButton* browseModel_;
    QComboBox* shapeCombo_;
    QLineEdit* batchesEdit_;
    QSpinBox* promptsSpin_;
    QSpinBox* promptLenSpin_;
    QSpinBox* newTokensSpin_;
    QSpinBox* warmupSpin_;
    QSpinBox* repeatsSpin_;
    QComboBox* deviceCombo_;
    QComboBox* dtypeCombo_;
    QCheckBox* hfCheck_;
    QLineEdit* pythonEdit_;
    QPushButton* runButton_;
    QPushButton* cancelButton_;
    QProgressBar* progress_;
    QLabel* status_;
    QTableView* runsView_;
    BenchmarkRunsModel* runs_;
    QLabel* header_;
    QLabel* hfNotice_;
    QTableView* view_;
    BenchmarkTableModel* table_;
    QList<QCustomPlot*> charts_;
    QStackedWidget* charts_stack_;
    QLabel* chartsHelp_;
    QSplitter* vsplit_;
};

}  // namespace tbui
