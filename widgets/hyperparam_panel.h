// Hyperparameter form generated from tb::config_schema(): one editor per field with the
// schema's range and description, inline messages from set_config_field/validate_app_config,
// presets (defaults, the study's config, the demo config), YAML load/save, a diff against the
// defaults and a rough memory/time estimate.
#pragma once

#include <QAbstractTableModel>
#include <QMap>
#include <QWidget>
#include <optional>

#include "core/config/app_config.h"
#include "core/model/model_config.h"

class QLabel;
class QComboBox;
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

// Rough resource estimate (order of magnitude, not a promise): weights + LoRA weights, grads
// and AdamW moments + activations of one micro-batch; time from 4*N FLOPs per token (frozen
// base: forward + activation gradients) at an assumed throughput.
struct ResourceEstimate {
    double base_params = 0;
    double lora_params = 0;
    double weight_bytes = 0;
    double train_state_bytes = 0;
    double activation_bytes = 0;
    double total_bytes = 0;
    double steps = 0;          // 0 when the train rows are unknown
    double seconds = 0;        // 0 when steps are unknown
    double assumed_flops = 0;  // FLOP/s used for the time
};
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
    // Message of validate_app_config ("" when the whole config is valid).
    QString validationMessage() const { return validation_; }
    ConfigDiffModel* diffModel() const { return diff_; }
    QStringList presetNames() const;
    bool applyPreset(const QString& name);

  public Q_SLOTS:
    // Model folder and dataset of the workspace (absolute paths) and its folder for outputs.
    void setWorkspacePaths(const QString& modelDir, const QString& dataPath,
                           const QString& outputDir, bool demo);
    void setTrainRows(qint64 rows);
    void loadYaml();
    void saveYaml();

  Q_SIGNALS:
    void configChanged();

  private:
    void buildForm();
    void refreshEditors();
    void refreshDerived();

    tb::AppConfig cfg_;
    QString validation_;
    QMap<QString, QWidget*> editors_;
    QMap<QString, QLabel*> messages_;
    QLabel* validationLabel_;
    QLabel* estimateLabel_;
    QComboBox* presetCombo_;
    ConfigDiffModel* diff_;
    qint64 trainRows_ = 0;
    bool updating_ = false;
};

}  // namespace tbui
