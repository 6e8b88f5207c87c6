// Dataset browser: every row in a QAbstractTableModel (15k Dolly rows scroll instantly: the
// model converts each row to QString once), split/category/full-text filters through a
// QSortFilterProxyModel, a detail view, length histogram and category chart, bad rows.
// Lengths are in tokens of the config's model as training tokenizes the rows (TokenLengthCounter,
// off the GUI thread), or in characters; in tokens the histogram marks max_length and counts the
// rows shown that training would truncate.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <memory>

#include "core/config/app_config.h"
#include "widgets/token_lengths.h"
#include "widgets/worker_types.h"

class QComboBox;
class QLineEdit;
class QTableView;
class QTextBrowser;
class QListWidget;
class QLabel;
class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;

namespace tbui {

class JobQueue;

class DatasetTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column {
        ColIndex,
        ColSplit,
        ColCategory,
        ColInstruction,
        ColContext,
        ColResponse,
        ColLine,
        ColCount
    };
    enum Roles { SplitRole = Qt::UserRole + 1, SearchTextRole };

    explicit DatasetTableModel(QObject* parent = nullptr);
    void setBundle(std::shared_ptr<const DatasetBundle> bundle);
    std::shared_ptr<const DatasetBundle> bundle() const { return bundle_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

    static QString splitName(int split);

  private:
    struct Row {
        QString instruction, context, response, category;
        int split = 0;
        int line = 0;
    };
    std::shared_ptr<const DatasetBundle> bundle_;
    QVector<Row> rows_;
};

class DatasetFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setCategory(const QString& category);  // empty: all categories
    void setSplit(int split);                   // -1: all splits
    void setSearch(const QString& text);        // case-insensitive, all text fields

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

  private:
    QString category_;
    bool anyCategory_ = true;
    int split_ = -1;
    QString search_;
};

class DatasetPanel : public QWidget {
    Q_OBJECT
  public:
    DatasetPanel(JobQueue* jobs, QWidget* parent = nullptr);

    DatasetTableModel* model() const { return model_; }
    DatasetFilterProxy* proxy() const { return proxy_; }
    QCustomPlot* lengthChart() const { return lengthPlot_; }
    QCustomPlot* categoryChart() const { return categoryPlot_; }
    // "n of N rows shown" under the filters; the no-match message; the Bad rows list.
    QString shownText() const;
    bool noMatchVisible() const;
    QListWidget* badRowsList() const { return badRows_; }
    QTextBrowser* detailView() const { return detail_; }
    QTableView* tableView() const { return table_; }
    // Rows counted by the length histogram (the rows the filters let through).
    qint64 histogramRows() const { return histogramRows_; }
    // Length unit of the histogram: tokens (the default once counted) or characters.
    enum class LengthUnit { Tokens, Characters };
    void setLengthUnit(LengthUnit unit);
    LengthUnit lengthUnit() const;
    QComboBox* lengthUnitCombo() const { return lengthUnit_; }
    // True while the histogram shows token lengths (counted and the unit is Tokens).
    bool showingTokens() const;
    bool countingTokens() const { return counter_->running(); }
    // Tokens per example (bos/eos included, before truncation); empty until counted.
    const QVector<int>& tokenLengths() const { return tokenLength_; }
    qint64 maxLength() const { return maxLength_; }
    // Rows shown (filters) longer than max_length: what training would truncate.
    qint64 truncatedRows() const { return truncatedRows_; }
    // The line above the histogram: counting progress, truncation count or why no tokens.
    QString lengthStatusText() const;

  public Q_SLOTS:
    // Default reader options and split (a file opened on its own).
    void loadFile(const QString& path);
    // The config's dataset (data.path against the config's folder) read with its options and
    // split with its seed, ratios and stratification: the rows' split column is the split that
    // training and evaluation use. Nothing is reloaded when those settings are unchanged.
    void loadFromConfig(const tb::AppConfig& cfg);
    void setBundle(std::shared_ptr<tbui::DatasetBundle> bundle);

  Q_SIGNALS:
    void datasetReady();
    void tokenLengthsReady();  // token counting finished (or failed: see lengthStatusText)

  protected:
    void changeEvent(QEvent* event) override;

  private:
    void showDetail(const QModelIndex& proxyIndex);
    void drawCharts();
    void filterChanged();
    void startTokenCount();  // when a dataset and a model are known and not yet counted
    void updateLengthStatus();
    void updateSummary();

    JobQueue* jobs_;
    DatasetTableModel* model_;
    DatasetFilterProxy* proxy_;
    QComboBox* categoryCombo_;
    QComboBox* splitCombo_;
    QLineEdit* searchEdit_;
    QTableView* table_;
    QTextBrowser* detail_;
    QListWidget* badRows_;
    QLabel* summary_;
    QLabel* shown_;
    QLabel* noMatch_;
    QVector<int> rowLength_;  // prompt + response characters per example
    QComboBox* lengthUnit_;
    QLabel* lengthStatus_;
    TokenLengthCounter* counter_;
    QVector<int> tokenLength_;       // tokens per example (TokenLengthCounter); empty: not counted
    bool haveTokenRequest_ = false;  // a config named a model (loadFromConfig)
    TokenLengthRequest tokenRequest_;
    QString tokenKey_;    // model folder + template the counted / counting lengths are for
    QString tokenError_;  // why no token lengths (tokenizer not loadable, template error)
    int tokenDone_ = 0, tokenTotal_ = 0;
    qint64 maxLength_ = 0;  // model.max_length of the config; 0: no config
    qint64 truncatedRows_ = 0;
    QCPItemStraightLine* maxLine_ = nullptr;  // the max_length marker (tokens only)
    QCPItemText* maxText_ = nullptr;
    qint64 histogramRows_ = 0;
    QCustomPlot* lengthPlot_;
    QCustomPlot* categoryPlot_;
    QString pendingPath_;
    QString configKey_;  // the data settings of the last loadFromConfig
};

}  // namespace tbui
