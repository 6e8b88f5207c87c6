#include "widgets/dataset_panel.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMap>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/data/data_config.h"
#include "core/data/prompt.h"
#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/qcp.h"
#include "widgets/worker.h"

namespace tbui {

DatasetTableModel::DatasetTableModel(QObject* parent) : QAbstractTableModel(parent) {}

QString DatasetTableModel::splitName(int split) {
    switch (split) {
        case 0:
            return tr("train");
        case 1:
            return tr("validation");
        case 2:
            return tr("test");
    }
    return {};
}

void DatasetTableModel::setBundle(std::shared_ptr<const DatasetBundle> bundle) {
    beginResetModel();
    bundle_ = std::move(bundle);
    rows_.clear();
    if (bundle_) {
        const auto& ex = bundle_->dataset.examples;
        rows_.reserve(static_cast<int>(ex.size()));
        for (size_t i = 0; i < ex.size(); ++i) {
            Row r;
            r.instruction = QString::fromStdString(ex[i].instruction);
            r.context = QString::fromStdString(ex[i].context);
            r.response = QString::fromStdString(ex[i].response);
            r.category = QString::fromStdString(ex[i].category);
            r.split = i < bundle_->split_of_row.size() ? bundle_->split_of_row[i] : 0;
            r.line = static_cast<int>(ex[i].source_line);
            rows_.append(std::move(r));
        }
    }
    endResetModel();
}

int DatasetTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : rows_.size();
}

int DatasetTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColCount;
}

QVariant DatasetTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rows_.size()) return {};
    const Row& r = rows_[index.row()];
    if (role == SplitRole) return r.split;
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        // The table shows one line per field; the detail view shows the full text.
        auto oneLine = [role](const QString& s) {
            if (role == Qt::ToolTipRole) return s.left(2000);
            QString t = s.left(200);
            t.replace('\n', ' ');
            return t;
        };
        switch (index.column()) {
            case ColIndex:
                return index.row() + 1;
            case ColSplit:
                return splitName(r.split);
            case ColCategory:
                return r.category;
            case ColInstruction:
                return oneLine(r.instruction);
            case ColContext:
                return oneLine(r.context);
            case ColResponse:
                return oneLine(r.response);
            case ColLine:
                return r.line;
        }
    }
    return {};
}

QVariant DatasetTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case ColIndex:
            return tr("#");
        case ColSplit:
            return tr("Split");
        case ColCategory:
            return tr("Category");
        case ColInstruction:
            return tr("Instruction");
        case ColContext:
            return tr("Context");
        case ColResponse:
            return tr("Response");
        case ColLine:
            return tr("Line");
    }
    return {};
}

// ---------------------------------------------------------------------------------------------

void DatasetFilterProxy::setCategory(const QString& category) {
    anyCategory_ = category.isNull();
    category_ = category;
    invalidateRowsFilter();
}

void DatasetFilterProxy::setSplit(int split) {
    split_ = split;
    invalidateRowsFilter();
}

void DatasetFilterProxy::setSearch(const QString& text) {
    search_ = text.trimmed();
    invalidateRowsFilter();
}

bool DatasetFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex&) const {
    const auto* m = static_cast<const DatasetTableModel*>(sourceModel());
    const QModelIndex idx = m->index(sourceRow, 0);
    if (split_ >= 0 && m->data(idx, DatasetTableModel::SplitRole).toInt() != split_) return false;
    if (!anyCategory_ &&
        m->data(m->index(sourceRow, DatasetTableModel::ColCategory)).toString() != category_)
        return false;
    if (search_.isEmpty()) return true;
    const auto& ex = m->bundle()->dataset.examples[sourceRow];
    for (const std::string* s : {&ex.instruction, &ex.context, &ex.response}) {
        if (QString::fromStdString(*s).contains(search_, Qt::CaseInsensitive)) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------

DatasetPanel::DatasetPanel(JobQueue* jobs, QWidget* parent) : QWidget(parent), jobs_(jobs) {
    model_ = new DatasetTableModel(this);
    proxy_ = new DatasetFilterProxy(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(Qt::DisplayRole);

    auto* layout = new QVBoxLayout(this);
    auto* filters = new QHBoxLayout;
    categoryCombo_ = new QComboBox(this);
    categoryCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    splitCombo_ = new QComboBox(this);
    splitCombo_->addItem(tr("All splits"), -1);
    for (int s = 0; s < 3; ++s) splitCombo_->addItem(DatasetTableModel::splitName(s), s);
    searchEdit_ = new QLineEdit(this);
    searchEdit_->setPlaceholderText(tr("Search instruction, context and response…"));
    searchEdit_->setClearButtonEnabled(true);
    auto* exportButton = new QPushButton(tr("Export table…"), this);
    filters->addWidget(new QLabel(tr("Category:"), this));
    filters->addWidget(categoryCombo_);
    filters->addWidget(new QLabel(tr("Split:"), this));
    filters->addWidget(splitCombo_);
    filters->addWidget(searchEdit_, 1);
    filters->addWidget(exportButton);
    layout->addLayout(filters);
    summary_ = new QLabel(tr("No dataset loaded. Choose a workspace first."), this);
    // The dataset's absolute path is in it: wrapped, it never sets the window's width.
    summary_->setWordWrap(true);
    summary_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(summary_);
    shown_ = new QLabel(this);
    shown_->setObjectName("rowsShown");
    noMatch_ = new QLabel(tr("No row matches the filters: change the category, split or search "
                             "text."),
                          this);
    noMatch_->setObjectName("noMatch");
    noMatch_->setStyleSheet("color: #9c6500;");
    noMatch_->setVisible(false);
    auto* shownRow = new QHBoxLayout;
    shownRow->addWidget(shown_);
    shownRow->addWidget(noMatch_, 1);
    layout->addLayout(shownRow);

    auto* split = new QSplitter(Qt::Vertical, this);
    table_ = new QTableView(split);
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(DatasetTableModel::ColIndex, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->verticalHeader()->setVisible(false);
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->horizontalHeader()->setStretchLastSection(false);
    // The response column takes the width left over (the others keep theirs and stay
    // resizable): without it a wide window shows an empty strip right of the columns.
    table_->horizontalHeader()->setSectionResizeMode(DatasetTableModel::ColResponse,
                                                     QHeaderView::Stretch);
    table_->setWordWrap(false);
    auto* tabs = new QTabWidget(split);
    detail_ = new QTextBrowser(tabs);
    tabs->addTab(detail_, tr("Row"));
    // The histogram tab: the unit, then what the lengths say about max_length, then the chart.
    auto* lengthTab = new QWidget(tabs);
    auto* lengthLayout = new QVBoxLayout(lengthTab);
    lengthLayout->setContentsMargins(4, 4, 4, 0);
    auto* unitRow = new QHBoxLayout;
    lengthUnit_ = new QComboBox(lengthTab);
    lengthUnit_->setObjectName("lengthUnit");
    lengthUnit_->addItem(tr("tokens"), static_cast<int>(LengthUnit::Tokens));
    lengthUnit_->addItem(tr("characters"), static_cast<int>(LengthUnit::Characters));
    lengthUnit_->setToolTip(
        tr("Tokens: the config's model tokenizes every row as training does "
           "(prompt template, bos and eos). Characters: the instruction "
           "template's text."));
    auto* unitLabel = new QLabel(tr("&Lengths in:"), lengthTab);
    unitLabel->setBuddy(lengthUnit_);
    lengthStatus_ = new QLabel(lengthTab);
    lengthStatus_->setObjectName("lengthStatus");
    lengthStatus_->setWordWrap(true);
    lengthStatus_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Wrapped: a long model path or error never widens the window.
    lengthStatus_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    unitRow->addWidget(unitLabel);
    unitRow->addWidget(lengthUnit_);
    unitRow->addWidget(lengthStatus_, 1);
    lengthLayout->addLayout(unitRow);
    lengthPlot_ = new QCustomPlot(lengthTab);
    lengthLayout->addWidget(lengthPlot_, 1);
    counter_ = new TokenLengthCounter(this);
    categoryPlot_ = new QCustomPlot(tabs);
    tabs->addTab(lengthTab, tr("Length histogram"));
    tabs->addTab(categoryPlot_, tr("Categories"));
    badRows_ = new QListWidget(tabs);
    tabs->addTab(badRows_, tr("Bad rows"));
    split->addWidget(table_);
    split->addWidget(tabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    lengthPlot_->setMinimumHeight(200);
    categoryPlot_->setMinimumHeight(200);
    chart::setup(lengthPlot_, {tr("Length of the rows shown"), tr("prompt + response (characters)"),
                               tr("rows"), "length-histogram", true, tr("No rows to measure.")});
    chart::setup(categoryPlot_, {tr("Rows per category (whole dataset)"), tr("category"),
                                 tr("rows"), "categories", false, tr("No dataset loaded.")});
    // The filters change the proxy's rows: the counts, the histogram and the detail follow
    // (coalesced: a typed search refilters once per keystroke).
    auto* filterTimer = new QTimer(this);
    filterTimer->setSingleShot(true);
    filterTimer->setInterval(60);
    connect(filterTimer, &QTimer::timeout, this, &DatasetPanel::filterChanged);
    for (auto sig : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(proxy_, sig, filterTimer, [filterTimer] { filterTimer->start(); });
    connect(proxy_, &QAbstractItemModel::modelReset, filterTimer,
            [filterTimer] { filterTimer->start(); });
    connect(proxy_, &QAbstractItemModel::layoutChanged, filterTimer,
            [filterTimer] { filterTimer->start(); });

    connect(categoryCombo_, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QVariant v = categoryCombo_->itemData(i);
        proxy_->setCategory(v.isValid() ? v.toString() : QString());
    });
    connect(splitCombo_, &QComboBox::currentIndexChanged, this,
            [this](int i) { proxy_->setSplit(splitCombo_->itemData(i).toInt()); });
    connect(searchEdit_, &QLineEdit::textChanged, proxy_, &DatasetFilterProxy::setSearch);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& cur) { showDetail(cur); });
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const auto rows = table_->selectionModel()->selectedRows();
        if (!rows.isEmpty()) showDetail(rows.first());
    });
    connect(lengthUnit_, &QComboBox::currentIndexChanged, this, [this] {
        filterChanged();
        updateLengthStatus();
    });
    connect(counter_, &TokenLengthCounter::progress, this, [this](int done, int total) {
        tokenDone_ = done;
        tokenTotal_ = total;
        updateLengthStatus();
    });
    connect(counter_, &TokenLengthCounter::finished, this, [this](const QVector<int>& lengths) {
        tokenLength_ = lengths;
        tokenError_.clear();
        filterChanged();
        updateLengthStatus();
        Q_EMIT tokenLengthsReady();
    });
    connect(counter_, &TokenLengthCounter::failed, this, [this](const QString& message) {
        tokenLength_.clear();
        tokenError_ = message;
        filterChanged();
        updateLengthStatus();
        Q_EMIT tokenLengthsReady();
    });
    connect(exportButton, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, proxy_, "dataset"); });
    connect(jobs_->worker(), &Worker::datasetLoaded, this, &DatasetPanel::setBundle);
    connect(jobs_->worker(), &Worker::failed, this, [this](const QString& message) {
        if (jobs_->currentKind() != JobKind::Dataset) return;
        configKey_.clear();  // the same settings are tried again next time
        summary_->setText(tr("Could not load %1: %2").arg(pendingPath_, message));
    });
}

void DatasetPanel::loadFile(const QString& path) {
    configKey_.clear();
    // A file opened on its own has no model: characters only, no max_length.
    haveTokenRequest_ = false;
    maxLength_ = 0;
    pendingPath_ = path;
    summary_->setText(tr("Loading %1…").arg(path));
    DatasetJob job;
    job.path = path.toStdString();
    jobs_->submitDataset(job);
}

void DatasetPanel::loadFromConfig(const tb::AppConfig& cfg) {
    if (cfg.data.path.empty()) return;  // no workspace yet
    // Token lengths: the model and template training would use; a max_length change only
    // moves the marker.
    const qint64 oldMax = maxLength_;
    maxLength_ = cfg.model.max_length;
    auto tmpl = tb::parse_prompt_template(cfg.data.prompt_template);
    haveTokenRequest_ = true;
    tokenRequest_.modelDir = QString::fromStdString(tb::resolve_model_path(cfg));
    tokenRequest_.promptTemplate = tmpl.ok() ? tmpl.value() : tb::PromptTemplate::Chat;
    if (!tmpl.ok()) haveTokenRequest_ = false;
    startTokenCount();
    if (oldMax != maxLength_ && model_->bundle()) {
        filterChanged();
        updateLengthStatus();
    }
    const std::string path = tb::resolve_path(cfg, cfg.data.path);
    // Every data.* value that changes which rows are read or where they go.
    std::string key = path;
    for (const auto& f : tb::config_schema()) {
        if (f.section != "data") continue;
        auto v = tb::config_field_value(cfg, f.key);
        key += "\n" + f.key + "=" + (v.ok() ? v.value() : "");
    }
    if (QString::fromStdString(key) == configKey_) return;
    auto read = tb::read_options_from_config(cfg.data);
    if (!read.ok()) {
        summary_->setText(QString::fromStdString(read.error().message));
        return;
    }
    configKey_ = QString::fromStdString(key);
    pendingPath_ = QString::fromStdString(path);
    summary_->setText(tr("Loading %1…").arg(pendingPath_));
    DatasetJob job;
    job.path = path;
    job.read = read.value();
    job.split = tb::split_options_from_config(cfg.data);
    jobs_->submitDataset(job);
}

void DatasetPanel::setBundle(std::shared_ptr<DatasetBundle> bundle) {
    model_->setBundle(bundle);
    const auto& ds = bundle->dataset;
    categoryCombo_->blockSignals(true);
    categoryCombo_->clear();
    categoryCombo_->addItem(tr("All categories"));
    for (const auto& c : bundle->stats.categories) {
        const QString q = QString::fromStdString(c);
        categoryCombo_->addItem(q.isEmpty() ? tr("(none)") : q, q);
    }
    categoryCombo_->blockSignals(false);
    proxy_->setCategory(QString());
    updateSummary();
    badRows_->clear();
    for (const auto& b : ds.bad_rows)
        badRows_->addItem(QString::fromStdString(tb::format_bad_row(ds.path, b)));
    for (const auto& w : ds.warnings)
        badRows_->addItem(tr("Warning: %1").arg(QString::fromStdString(w)));
    if (badRows_->count() == 0)
        badRows_->addItem(
            tr("None: every row of %1 was read.").arg(QString::fromStdString(ds.path)));
    rowLength_.clear();
    rowLength_.reserve(static_cast<int>(ds.examples.size()));
    for (const auto& ex : ds.examples) {
        const tb::PromptParts parts = tb::build_instruction_prompt(ex);
        rowLength_ << QString::fromStdString(parts.prompt + parts.response).size();
    }
    // New rows: the token lengths of the old ones no longer apply.
    tokenLength_.clear();
    tokenKey_.clear();
    tokenError_.clear();
    startTokenCount();
    table_->resizeColumnToContents(DatasetTableModel::ColIndex);
    table_->setColumnWidth(DatasetTableModel::ColInstruction, 320);
    table_->setColumnWidth(DatasetTableModel::ColContext, 200);
    drawCharts();
    filterChanged();
    Q_EMIT datasetReady();
}

void DatasetPanel::showDetail(const QModelIndex& proxyIndex) {
    if (!proxyIndex.isValid() || !model_->bundle()) return;
    const int row = proxy_->mapToSource(proxyIndex).row();
    const auto& ex = model_->bundle()->dataset.examples[row];
    auto block = [](const QString& title, const std::string& text) {
        return QString("<h4>%1</h4><p style='white-space:pre-wrap'>%2</p>")
            .arg(title.toHtmlEscaped(), QString::fromStdString(text).toHtmlEscaped());
    };
    QString html = block(tr("Instruction"), ex.instruction);
    if (!ex.context.empty()) html += block(tr("Context"), ex.context);
    html += block(tr("Response"), ex.response);
    QString where =
        tr("Category: %1 · line %2").arg(QString::fromStdString(ex.category)).arg(ex.source_line);
    if (row < tokenLength_.size())
        where += " · " + tr("%1 tokens").arg(QLocale().toString(tokenLength_[row]));
    html += QString("<p><i>%1</i></p>").arg(where.toHtmlEscaped());
    detail_->setHtml(html);
}

void DatasetPanel::drawCharts() {
    const auto& stats = model_->bundle()->stats;
    categoryPlot_->clearPlottables();
    auto* bars = new QCPBars(categoryPlot_->xAxis, categoryPlot_->yAxis);
    bars->setBrush(QColor(52, 101, 164));
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    QVector<double> x, y;
    int i = 0;
    for (const auto& [cat, n] : stats.all.categories) {
        ++i;
        x << i;
        y << static_cast<double>(n);
        ticker->addTick(i, cat.empty() ? tr("(none)") : QString::fromStdString(cat));
    }
    bars->setData(x, y);
    categoryPlot_->xAxis->setTicker(ticker);
    categoryPlot_->xAxis->setTickLabelRotation(35);
    categoryPlot_->xAxis->setRange(0.3, i + 0.7);
    chart::Scale sc;
    sc.keepX = true;
    sc.zeroBasedY = true;
    chart::autoscale(categoryPlot_, sc);
    chart::refresh(categoryPlot_);
}

QString DatasetPanel::shownText() const { return shown_->text(); }
bool DatasetPanel::noMatchVisible() const { return !noMatch_->isHidden(); }

DatasetPanel::LengthUnit DatasetPanel::lengthUnit() const {
    return static_cast<LengthUnit>(lengthUnit_->currentData().toInt());
}

void DatasetPanel::setLengthUnit(LengthUnit unit) {
    lengthUnit_->setCurrentIndex(lengthUnit_->findData(static_cast<int>(unit)));
}

bool DatasetPanel::showingTokens() const {
    return lengthUnit() == LengthUnit::Tokens && model_->bundle() &&
           tokenLength_.size() == rowLength_.size() && !tokenLength_.isEmpty();
}

QString DatasetPanel::lengthStatusText() const { return lengthStatus_->text(); }

// Counts again when the rows, the model folder or the template changed (not for max_length).
void DatasetPanel::startTokenCount() {
    const auto bundle = model_->bundle();
    if (!bundle || !haveTokenRequest_) {
        updateLengthStatus();
        return;
    }
    const QString key = tokenRequest_.modelDir + '\n' +
                        QString::number(static_cast<int>(tokenRequest_.promptTemplate));
    if (key == tokenKey_) return;
    tokenKey_ = key;
    tokenLength_.clear();
    tokenError_.clear();
    tokenDone_ = 0;
    tokenTotal_ = static_cast<int>(bundle->dataset.examples.size());
    counter_->start(bundle, tokenRequest_);
    filterChanged();
    updateLengthStatus();
}

void DatasetPanel::updateLengthStatus() {
    QString text;
    const bool tokens = lengthUnit() == LengthUnit::Tokens;
    if (!model_->bundle()) {
        text.clear();
    } else if (!haveTokenRequest_) {
        text = tokens ? tr("Token lengths need a model: open a workspace (showing characters).")
                      : QString();
    } else if (counter_->running()) {
        text = tr("Counting tokens with the model's tokenizer: %1 of %2 rows…")
                   .arg(QLocale().toString(tokenDone_), QLocale().toString(tokenTotal_));
        if (tokens) text += ' ' + tr("(characters shown until then)");
    } else if (!tokenError_.isEmpty()) {
        text = tr("No token lengths: %1").arg(tokenError_);
    } else if (showingTokens() && maxLength_ > 0) {
        text = tr("max_length %1: %2 of %3 rows shown are longer and would be truncated in "
                  "training.")
                   .arg(QLocale().toString(maxLength_), QLocale().toString(truncatedRows_),
                        QLocale().toString(histogramRows_));
    } else if (!tokens && maxLength_ > 0) {
        text = tr("max_length (%1) counts tokens: choose tokens to see which rows are truncated.")
                   .arg(QLocale().toString(maxLength_));
    }
    lengthStatus_->setText(text);
    lengthStatus_->setToolTip(text);
}

void DatasetPanel::updateSummary() {
    const auto bundle = model_->bundle();
    if (!bundle) return;
    const auto& ds = bundle->dataset;
    summary_->setText(tr("%1: %2 rows (train %3, validation %4, test %5), %6 bad rows skipped")
                          .arg(QString::fromStdString(ds.path))
                          .arg(ds.examples.size())
                          .arg(bundle->split.train.size())
                          .arg(bundle->split.val.size())
                          .arg(bundle->split.test.size())
                          .arg(ds.bad_rows.size()));
    summary_->setToolTip(summary_->text());
}

// Texts with arguments and combo items (language.h leaves them to the panel).
void DatasetPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) {
        lengthUnit_->setItemText(0, tr("tokens"));
        lengthUnit_->setItemText(1, tr("characters"));
        splitCombo_->setItemText(0, tr("All splits"));
        for (int sp = 0; sp < 3; ++sp)
            splitCombo_->setItemText(sp + 1, DatasetTableModel::splitName(sp));
        if (categoryCombo_->count() > 0) categoryCombo_->setItemText(0, tr("All categories"));
        if (model_->bundle()) {
            updateSummary();
            filterChanged();
            drawCharts();
        }
        updateLengthStatus();
    }
    QWidget::changeEvent(event);
}

// Counts, no-match message, length histogram of the rows the filters let through (stacked per
// split, bins fixed by the whole dataset so that filtering never moves them), the max_length
// marker and truncation count (tokens), detail pane.
void DatasetPanel::filterChanged() {
    const auto bundle = model_->bundle();
    const int total = bundle ? static_cast<int>(bundle->dataset.examples.size()) : 0;
    const int shown = bundle ? proxy_->rowCount() : 0;
    shown_->setText(
        bundle ? tr("%1 of %2 rows shown").arg(QLocale().toString(shown), QLocale().toString(total))
               : QString());
    noMatch_->setVisible(bundle && shown == 0 && total > 0);
    if (shown == 0) detail_->clear();

    const bool tokens = showingTokens();
    const QVector<int>& length = tokens ? tokenLength_ : rowLength_;
    lengthPlot_->clearPlottables();
    histogramRows_ = 0;
    truncatedRows_ = 0;
    if (bundle && !length.isEmpty()) {
        const int maxLen = *std::max_element(length.begin(), length.end());
        // About 40 bins, on a 1-2-5 step.
        const double raw = std::max(1.0, maxLen / 40.0);
        const double p10 = std::pow(10.0, std::floor(std::log10(raw)));
        double width = 10 * p10;
        for (double m : {1.0, 2.0, 5.0})
            if (m * p10 >= raw) {
                width = m * p10;
                break;
            }
        const int bins = static_cast<int>(maxLen / width) + 1;
        QVector<double> counts[3];
        for (auto& c : counts) c.fill(0.0, bins);
        for (int r = 0; r < shown; ++r) {
            const int src = proxy_->mapToSource(proxy_->index(r, 0)).row();
            const int split = model_->index(src, 0).data(DatasetTableModel::SplitRole).toInt();
            if (split < 0 || split > 2) continue;
            counts[split][static_cast<int>(length[src] / width)] += 1;
            ++histogramRows_;
            if (tokens && maxLength_ > 0 && length[src] > maxLength_) ++truncatedRows_;
        }
        QCPBars* below = nullptr;
        for (int sp = 0; sp < 3; ++sp) {
            auto* bars = new QCPBars(lengthPlot_->xAxis, lengthPlot_->yAxis);
            bars->setName(DatasetTableModel::splitName(sp));
            bars->setBrush(chart::paletteColor(sp));
            bars->setPen(Qt::NoPen);
            bars->setWidth(width);
            QVector<double> x, y;
            for (int i = 0; i < bins; ++i) {
                if (counts[sp][i] == 0) continue;
                x << (i + 0.5) * width;
                y << counts[sp][i];
            }
            bars->setData(x, y);
            if (below) bars->moveAbove(below);
            below = bars;
        }
    }
    lengthPlot_->xAxis->setLabel(tokens ? tr("prompt + response (tokens, as training sees them)")
                                        : tr("prompt + response (characters)"));
    chart::setEmptyMessage(lengthPlot_, bundle && total > 0 ? tr("No row matches the filters.")
                                                            : tr("No dataset loaded."));
    chart::Scale sc;
    sc.xMin = 0.0;
    sc.zeroBasedY = true;
    const bool marker = tokens && maxLength_ > 0 && histogramRows_ > 0;
    if (marker) sc.xMax = maxLength_ * 1.1;  // the marker stays in view
    chart::autoscale(lengthPlot_, sc);
    // Stacked bars: the tallest stack, not the tallest single bar, sets the y range.
    if (histogramRows_ > 0) {
        double top = 0;
        QMap<double, double> stack;
        for (int k = 0; k < lengthPlot_->plottableCount(); ++k)
            if (auto* b = qobject_cast<QCPBars*>(lengthPlot_->plottable(k)))
                for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
                    top = std::max(top, stack[it->key] += it->value);
        // Room above the bars for the marker's label.
        lengthPlot_->yAxis->setRange(0, top * (marker ? 1.22 : 1.08));
    }
    // The max_length marker: a dashed vertical line, labelled with the truncation count.
    if (!maxLine_) {
        maxLine_ = new QCPItemStraightLine(lengthPlot_);
        maxLine_->setPen(QPen(QColor(192, 57, 43), 1.5, Qt::DashLine));
        maxText_ = new QCPItemText(lengthPlot_);
        maxText_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        maxText_->setColor(QColor(192, 57, 43));
        maxText_->setClipToAxisRect(false);
        maxText_->position->setTypeX(QCPItemPosition::ptPlotCoords);
        maxText_->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    maxLine_->setVisible(marker);
    maxText_->setVisible(marker);
    if (marker) {
        maxLine_->point1->setCoords(maxLength_, 0);
        maxLine_->point2->setCoords(maxLength_, 1);
        maxText_->setText(
            tr("max_length %1\n%2 truncated")
                .arg(QLocale().toString(maxLength_), QLocale().toString(truncatedRows_)));
        // Label right of the line unless that runs off the plot: then left of it.
        const bool right = maxLength_ < lengthPlot_->xAxis->range().center();
        maxText_->setPositionAlignment((right ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignTop);
        maxText_->setPadding(QMargins(4, 2, 4, 2));
        maxText_->position->setCoords(maxLength_, 0.02);
    }
    updateLengthStatus();
    chart::refresh(lengthPlot_);
}

}  // namespace tbui
