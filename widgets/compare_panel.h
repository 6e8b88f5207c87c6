// Compare panel: one prompt (typed, or a dataset row with its reference answer) sent to the
// base model and to each chosen adapter, streamed side by side by the worker with the same
// sampling settings and seed; tokens/s under each column; optional word-level diff against the
// base column. The engine combo lists every engine of the inference core; those this build or
// machine cannot run (tb::infer::available_engines()) are disabled, their tooltip says why.
#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>
#include <memory>

#include "widgets/run_names.h"
#include "widgets/worker_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QHBoxLayout;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTextBrowser;
class QTimer;

namespace tbui {

class AdapterMenuButton;
class JobQueue;

// Word-level diff: for each word of `other`, true when it is not part of a longest common
// subsequence with `base` (i.e. inserted or changed).
QVector<bool> changedWords(const QStringList& base, const QStringList& other);
// `other` as HTML with changed words highlighted (whitespace split, newlines kept).
QString diffHtml(const QString& base, const QString& other);

class ComparePanel : public QWidget {
    Q_OBJECT
  public:
    explicit ComparePanel(JobQueue* jobs, QWidget* parent = nullptr);

    QStringList adapters() const;
    QStringList outputs() const { return texts_; }
    QString prompt() const;
    QString reference() const { return reference_; }
    bool running() const { return running_; }
    QString engine() const;
    // The label an adapter is listed under: its training run's name when the workspace's
    // store knows the folder, else the folder's last components.
    QString adapterLabel(const QString& dir) const;
    // The QSettings key the workspace's adapter list is kept under.
    static QString settingsKey(const QString& workspaceDir);

  public Q_SLOTS:
    void setModelDir(const QString& dir) { modelDir_ = dir; }
    // Adapters are named from <dir>/tunebench.sqlite, file dialogs open in <dir>/outputs, and
    // the adapter list of this workspace comes back from the last session (QSettings).
    void setWorkspaceDir(const QString& dir);
    void setDataset(std::shared_ptr<const tbui::DatasetBundle> bundle);
    void addAdapter(const QString& dir);
    // Selects the inference engine (the config's inference.engine) when this build has it;
    // an unavailable one leaves the choice as it is.
    void setEngine(const QString& name);
    // The quant engine's weight format (the config's inference.quant: q8_0 | nf4).
    void setQuantFormat(const QString& format) { quant_ = format; }
    void useDatasetItem(int testIndex);  // index into the test split
    void run();
    void stop();

  private:
    QString quant_ = QStringLiteral("q8_0");
    void onChunk(const tbui::GenChunk& c);
    void onColumnDone(const tbui::GenColumnDone& d);
    void rebuildColumns();
    void saveAdapters() const;
    void refreshTexts();

    JobQueue* jobs_;
    QString modelDir_;
    QString workspaceDir_;
    AdapterMenuButton* addButton_ = nullptr;
    RunNames names_;
    std::shared_ptr<const DatasetBundle> bundle_;
    std::shared_ptr<tb::CancelToken> cancel_;
    bool running_ = false;
    bool dirty_ = false;
    QString reference_;
    QStringList titles_;
    QStringList texts_;
    QPlainTextEdit* prompt_;
    QSpinBox* itemSpin_;
    QTextBrowser* referenceView_;
    QListWidget* adapterList_;
    QCheckBox* greedy_;
    QDoubleSpinBox* temperature_;
    QSpinBox* topK_;
    QDoubleSpinBox* topP_;
    QSpinBox* seed_;
    QSpinBox* maxTokens_;
    QComboBox* engine_;
    QCheckBox* diff_;
    QPushButton* runButton_;
    QPushButton* stopButton_;
    QHBoxLayout* columnsLayout_;
    QVector<QTextBrowser*> columnViews_;
    QVector<QLabel*> columnStats_;
    QTimer* timer_;
};

}  // namespace tbui
