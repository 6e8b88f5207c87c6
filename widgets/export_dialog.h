// Export dialog (File > Export model…, and the Training tab's Export model… for the run chosen
// there): a model folder, an optional LoRA adapter, a format (merged Hugging Face folder, GGUF
// for llama.cpp / Ollama, GGUF base + GGUF LoRA adapter), a GGUF type (F16, BF16, Q8_0,
// Q4_K_M) and an output folder (the study's outputs/ollama/ by default) go to core/gguf's
// run_export on the worker (JobQueue), never on the GUI thread.
//
// Progress arrives as queued signals, already coalesced by the worker; the bar is redrawn by a
// 40 ms timer only when something new arrived (the panels' redraw pattern). Cancel sets the
// job's tb::CancelToken, which the core polls between tensors: a cancelled export leaves none
// of its files behind (core/gguf/export.h). When done the dialog lists the written files (a
// table over ExportedFilesModel) and the `ollama create` command, with a Copy button; errors
// show the core's message (it names the file or field).
#pragma once

#include <QAbstractTableModel>
#include <QDialog>
#include <memory>
#include <vector>

#include "widgets/model_export_job.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableView;
class QTimer;

namespace tbui {

class JobQueue;

// The files one export wrote: path and size (MiB in the current locale's digits).
class ExportedFilesModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    using QAbstractTableModel::QAbstractTableModel;
    void setFiles(std::vector<tb::gguf::ExportedFile> files);
    QStringList paths() const;
    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // After a language change: the headers and the sizes' digits.
    void retranslate();

  private:
    std::vector<tb::gguf::ExportedFile> files_;
};

// What the dialog starts with (each caller fills what it knows).
struct ExportDefaults {
    QString modelDir;
    QString adapterDir;  // "" none
    // The config's outputs folder: GGUF goes to <it>/ollama (the study's layout), the merged
    // HF folder to <it>/merged_model, as `tunebench-cli export` does under outputs/.
    QString outputsDir;
};

class ExportDialog : public QDialog {
    Q_OBJECT
  public:
    enum class State { Idle, Queued, Running, Done, Failed, Cancelled };
    Q_ENUM(State)

    explicit ExportDialog(JobQueue* jobs, QWidget* parent = nullptr);
    ~ExportDialog() override;

    // Fills the form; ignored while an export runs (its form stays as it was started).
    void setDefaults(const ExportDefaults& defaults);
    // The core's names of the current choice: hf | gguf | gguf-lora, f16 | bf16 | q8_0 | q4_k_m.
    QString format() const;
    QString quant() const;
    void setFormat(const QString& format);
    void setQuant(const QString& quant);

    State state() const { return state_; }
    bool running() const { return state_ == State::Queued || state_ == State::Running; }
    QString statusText() const;
    QString ollamaCommand() const;
    const ExportedFilesModel* filesModel() const { return files_; }

    QLineEdit* modelEdit() const { return modelEdit_; }
    QLineEdit* adapterEdit() const { return adapterEdit_; }
    QLineEdit* nameEdit() const { return nameEdit_; }
    QLineEdit* outputEdit() const { return outputEdit_; }
    QComboBox* formatCombo() const { return formatCombo_; }
    QComboBox* quantCombo() const { return quantCombo_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* exportButton() const { return exportButton_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    QPushButton* copyButton() const { return copyButton_; }
    // The running job's token (tests stop an export at a chosen point with it).
    std::shared_ptr<tb::CancelToken> cancelToken() const { return cancel_; }

    // Where in [0, 1] run_export's `p` is for `format` (with or without an adapter): its stages
    // get fixed shares of the bar, tensors fill the writing share. -1: no measure (hf's steps).
    static double progressFraction(const QString& format, bool withAdapter,
                                   const tb::gguf::ExportProgress& p);

  public Q_SLOTS:
    // Checks the form, queues the export on the worker; returns the problem ("" when queued),
    // which the dialog shows too.
    QString startExport();
    // Stops the running (or queued) export through the core's cancel token.
    void cancelExport();

  Q_SIGNALS:
    // The export ended: finished (state Done), failed or cancelled.
    void exportEnded(tbui::ExportDialog::State state);

  protected:
    void changeEvent(QEvent* event) override;

  private:
    void retranslate();
    void onProgress(const tbui::ModelExportProgress& p);
    void onFinished(const tbui::ModelExportOutcome& r);
    void onFailed(const QString& message);
    void setState(State s);
    void updateFormState();
    void refreshStatus();
    QString stageText(const tb::gguf::ExportProgress& p) const;
    QString defaultOutputDir(const QString& format) const;

    JobQueue* jobs_;
    State state_ = State::Idle;
    qint64 jobId_ = 0;
    std::shared_ptr<tb::CancelToken> cancel_;
    QString runningFormat_;
    bool runningWithAdapter_ = false;
    tb::gguf::ExportProgress latest_;
    bool haveProgress_ = false;
    bool dirty_ = false;
    QString error_;
    tb::gguf::ExportResult result_;
    QString outputsDir_;
    bool outputEdited_ = false;  // the user chose a folder: a format change keeps it

    QLineEdit* modelEdit_;
    QLineEdit* adapterEdit_;
    QLineEdit* nameEdit_;
    QLineEdit* outputEdit_;
    QComboBox* formatCombo_;
    QComboBox* quantCombo_;
    QPushButton* modelBrowse_;
    QPushButton* adapterBrowse_;
    QPushButton* outputBrowse_;
    QProgressBar* progress_;
    QLabel* status_;
    QLabel* filesLabel_;
    QTableView* filesView_;
    ExportedFilesModel* files_;
    QLabel* commandLabel_;
    QPlainTextEdit* command_;
    QPushButton* copyButton_;
    QLabel* notes_;
    QPushButton* exportButton_;
    QPushButton* cancelButton_;
    QPushButton* closeButton_;
    QTimer* redrawTimer_;
};

}  // namespace tbui
