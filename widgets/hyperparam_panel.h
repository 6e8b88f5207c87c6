// Hyperparameter form generated from tb::config_schema(): one editor per field with the
// schema's range and description, inline messages from set_config_field/validate_app_config,
// presets (defaults, the study's config, the demo config), YAML load/save, a diff against the
// defaults and a rough memory/time estimate.
//
// The form is tied to one file: the workspace's config.yaml when a workspace opens (loaded
// as is, so the GUI runs what the CLI runs on that file), or the file last loaded or saved.
// The panel shows which file and whether the form differs from it ("config.yaml — modified"),
// and Save writes back to it. Fields whose text was refused, cross-field errors and an
// unreadable config file are the form's problems: the summary lists them and snapshot() hands
// them to the training and results panels, which do not start while there are any.
#pragma once

#include <QAbstractTableModel>
#include <QMap>
#include <QWidget>
#include <optional>

#include "core/config/app_config.h"
#include "core/model/model_config.h"
#include "core/train/resource_estimate.h"
#include "widgets/config_source.h"

class QLabel;
class QComboBox;
class QPushButton;
class QTableView;

namespace tbui {

// Rows: every field whose value differs from the default (key, default, current).
class ConfigDiffModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    using QAbstractTableModel::QAbstractTableModel;
    void setConfig(const tb::AppConfig& cfg);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

  private:
    struct Row {
        QString key, def, cur;
    };
    QVector<Row> rows_;
};

// Rough resource estimate (order of magnitude, not a promise), per rank for
// training.nproc_per_node ranks: the core's (core/train/resource_estimate.h), which
// `tunebench-cli train --dry-run` prints too.
using ResourceEstimate = tb::ResourceEstimate;
ResourceEstimate estimateResources(const tb::AppConfig& cfg, const tb::LlamaConfig& model,
                                   int64_t trainRows, bool cuda);

class HyperparamPanel : public QWidget {
    Q_OBJECT
  public:
    explicit HyperparamPanel(QWidget* parent = nullptr);

    const tb::AppConfig& config() const { return cfg_; }
    // Sets every editor from `cfg` (and the diff/estimate).
    void setConfig(const tb::AppConfig& cfg);
    // Applies one edit as the form would; returns the inline message ("" when accepted).
    QString editField(const QString& key, const QString& yamlValue);
    // Every problem of the form, one per line ("" when the config can run): refused field
    // values, validate_app_config's message, an unreadable config file.
    QString validationMessage() const { return validation_; }
    QStringList problems() const;
    // The config on screen with its problems and file: what training and evaluation run.
    ConfigSnapshot snapshot() const;

    // The workspace's configuration: loads `configPath` when it exists (else starts from the
    // defaults, or the demo preset, to be saved there), then makes the workspace's model folder
    // and dataset the config's when it names others (shown as modified). Returns "" or the
    // load error (also listed among the problems).
    QString openWorkspaceConfig(const QString& configPath, const QString& modelDir,
                                const QString& dataPath, const QString& outputDir, bool demo);
    // Loads a YAML file and ties the form to it. Returns "" or the error (form unchanged).
    QString loadFile(const QString& path);
    // Writes the form to `path` and ties the form to it; refused while there are problems
    // (the file would not load back). Relative paths are rewritten when the folder changes.
    QString saveToFile(const QString& path);
    QString activeConfigPath() const { return configPath_; }
    bool isModified() const;
    // "config.yaml — modified", "config.yaml — not saved yet", ... (as shown above the form).
    QString fileStateText() const;
    ConfigDiffModel* diffModel() const { return diff_; }
    QStringList presetNames() const;
    bool applyPreset(const QString& name);

  public Q_SLOTS:
    // Model folder and dataset of the workspace (absolute paths) and its folder for outputs.
    void setWorkspacePaths(const QString& modelDir, const QString& dataPath,
                           const QString& outputDir, bool demo);
    void setTrainRows(qint64 rows);
    void loadYaml();
    // Save: to the active file (asks for one when there is none); Save as: asks.
    void saveYaml();
    void saveYamlAs();

  Q_SIGNALS:
    void configChanged();
    // The problems, the active file or its modified state changed (also after refused edits,
    // which leave the config itself unchanged).
    void stateChanged();

  protected:
    void changeEvent(QEvent* event) override;

  private:
    static QString fieldToolTip(const tb::ConfigFieldInfo& f);
    void buildForm();
    void refreshEditors();
    void refreshDerived();
    void refreshState();

    tb::AppConfig cfg_;
    QString validation_;
    QString configPath_;     // the file the form is tied to ("" when none)
    QString savedYaml_;      // app_config_to_yaml of what the file holds ("" when not written)
    QString loadError_;      // the file exists but could not be loaded
    QString workspaceNote_;  // what the workspace changed after loading the file
    QMap<QString, QString> fieldErrors_;  // key -> message of a refused edit still on screen
    QLabel* fileLabel_;
    QPushButton* saveButton_;
    QMap<QString, QWidget*> editors_;
    QMap<QString, QLabel*> labels_;
    QMap<QString, QLabel*> messages_;
    QLabel* validationLabel_;
    QLabel* estimateLabel_;
    QComboBox* presetCombo_;
    ConfigDiffModel* diff_;
    qint64 trainRows_ = 0;
    bool updating_ = false;
};

}  // namespace tbui
