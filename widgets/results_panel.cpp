#include "widgets/results_panel.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/export.h"
#include "widgets/qcp.h"

namespace tbui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

// --- ResultsTableModel -------------------------------------------------------------------------

void ResultsTableModel::setRows(std::vector<tb::store::MetricAggregateRow> rows) {
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
}

int ResultsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ResultsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResultsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const auto& r = rows_[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && index.column() >= Value)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Metric:
            return q(r.metric);
        case Model:
            return q(r.model);
        case Value:
            return QString::number(r.value, 'f', 4);
        case CiLow:
            return QString::number(r.ci_lo, 'f', 4);
        case CiHigh:
            return QString::number(r.ci_hi, 'f', 4);
        case PValue:
            // The base model has no paired test against itself: an empty cell, not a number.
            return r.p_value ? QString::number(*r.p_value, 'g', 4) : QString();
        case Items:
            return QString::number(r.n_items);
        default:
            return {};
    }
}

QVariant ResultsTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Metric:
            return tr("Metric");
        case Model:
            return tr("Model");
        case Value:
            return tr("Value");
        case CiLow:
            return tr("95% CI low");
        case CiHigh:
            return tr("95% CI high");
        case PValue:
            return tr("p vs base");
        case Items:
            return tr("Items");
        default:
            return {};
    }
}

// --- ResultsPanel ------------------------------------------------------------------------------

ResultsPanel::ResultsPanel(QWidget* parent) : QWidget(parent) {
    auto* top = new QVBoxLayout(this);
    storeLabel_ = new QLabel(tr("No store open: choose a workspace."), this);
    top->addWidget(storeLabel_);

    auto* bar = new QHBoxLayout;
    evalCombo_ = new QComboBox(this);
    metricCombo_ = new QComboBox(this);
    auto* exportTable = new QPushButton(tr("Export ta&ble…"), this);
    auto* exportChart = new QPushButton(tr("Ex&port chart…"), this);
    bar->addWidget(new QLabel(tr("Evaluation:"), this));
    bar->addWidget(evalCombo_);
    bar->addWidget(new QLabel(tr("Chart metric:"), this));
    bar->addWidget(metricCombo_);
    bar->addStretch();
    bar->addWidget(exportTable);
    bar->addWidget(exportChart);
    top->addLayout(bar);

    stack_ = new QStackedWidget(this);
    help_ = new QLabel(stack_);
    help_->setWordWrap(true);
    help_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    help_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto* split = new QSplitter(Qt::Vertical, stack_);
    table_ = new ResultsTableModel(this);
    view_ = new QTableView(split);
    view_->setModel(table_);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    chart_ = new QCustomPlot(split);
    chart_->setMinimumHeight(220);
    chart_->legend->setVisible(true);
    installChartExportMenu(chart_, "results_by_category");
    stack_->addWidget(help_);
    stack_->addWidget(split);
    top->addWidget(stack_, 1);

    connect(evalCombo_, &QComboBox::activated, this,
            [this](int k) { showEvaluation(evalCombo_->itemData(k).value<qint64>()); });
    connect(metricCombo_, &QComboBox::currentIndexChanged, this, [this] { refreshChart(); });
    connect(exportTable, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, table_, "results"); });
    connect(exportChart, &QPushButton::clicked, this,
            [this] { exportChartInteractive(this, chart_, "results_by_category"); });
    showHelp(tr("No store is open."));
}

ResultsPanel::~ResultsPanel() = default;

bool ResultsPanel::showingHelp() const { return stack_->currentWidget() == help_; }
QString ResultsPanel::helpText() const { return help_->text(); }

void ResultsPanel::showHelp(const QString& reason) {
    table_->setRows({});
    all_.clear();
    categories_.clear();
    chart_->clearPlottables();
    chart_->replot();
    help_->setText(tr("%1\n\nRun an evaluation to see results here, for example:\n\n"
                      "  tunebench-cli evaluate --config <workspace>/config.yaml --models "
                      "base,<workspace>/outputs/<adapter> --store <workspace>/tunebench.sqlite\n\n"
                      "then choose the workspace again (or reopen this tab).")
                       .arg(reason));
    stack_->setCurrentWidget(help_);
}

void ResultsPanel::setWorkspaceDir(const QString& dir) {
    const QString path = dir + "/tunebench.sqlite";
    if (QFileInfo::exists(path)) {
        const QString err = openStore(path);
        if (!err.isEmpty()) showHelp(err);
    } else {
        store_.reset();
        evalCombo_->clear();
        storeLabel_->setText(tr("No store in %1 yet.").arg(dir));
        showHelp(tr("The workspace has no store yet."));
    }
}

QString ResultsPanel::openStore(const QString& path) {
    evalCombo_->clear();
    auto st = tb::store::Store::open(path.toStdString());
    if (!st.ok()) {
        store_.reset();
        showHelp(q(st.error().message));
        return q(st.error().message);
    }
    store_ = std::move(st.value());
    storeLabel_->setText(tr("Store: %1").arg(path));
    auto runs = store_->list_runs();
    if (!runs.ok()) return q(runs.error().message);
    for (const auto& r : runs.value()) {
        auto agg = store_->metric_aggregates(r.id);
        if (!agg.ok() || agg.value().empty()) continue;
        evalCombo_->addItem(tr("#%1 %2").arg(r.id).arg(q(r.name)).trimmed(),
                            QVariant::fromValue<qint64>(r.id));
    }
    if (evalCombo_->count() == 0) {
        showHelp(tr("The store has no evaluation results yet."));
        return {};
    }
    return showEvaluation(evalCombo_->itemData(evalCombo_->count() - 1).value<qint64>());
}

QList<qint64> ResultsPanel::evaluations() const {
    QList<qint64> ids;
    for (int k = 0; k < evalCombo_->count(); ++k) ids << evalCombo_->itemData(k).value<qint64>();
    return ids;
}

QString ResultsPanel::showEvaluation(qint64 evalId) {
    if (!store_) return tr("No store is open.");
    auto agg = store_->metric_aggregates(evalId);
    if (!agg.ok()) {
        showHelp(q(agg.error().message));
        return q(agg.error().message);
    }
    if (agg.value().empty()) {
        showHelp(tr("Evaluation %1 has no metric results.").arg(evalId));
        return {};
    }
    const int k = evalCombo_->findData(QVariant::fromValue<qint64>(evalId));
    if (k >= 0) evalCombo_->setCurrentIndex(k);
    all_ = agg.value();
    std::vector<tb::store::MetricAggregateRow> overall;
    QStringList metrics;
    for (const auto& r : all_) {
        if (r.category) continue;
        overall.push_back(r);
        if (!metrics.contains(q(r.metric))) metrics << q(r.metric);
    }
    std::stable_sort(overall.begin(), overall.end(), [](const auto& a, const auto& b) {
        return a.metric != b.metric ? a.metric < b.metric : a.model < b.model;
    });
    table_->setRows(overall);
    view_->resizeColumnsToContents();
    const QString keep = metricCombo_->currentText();
    metricCombo_->blockSignals(true);
    metricCombo_->clear();
    metricCombo_->addItems(metrics);
    if (metrics.contains(keep)) metricCombo_->setCurrentText(keep);
    metricCombo_->blockSignals(false);
    stack_->setCurrentIndex(1);
    refreshChart();
    return {};
}

void ResultsPanel::setChartMetric(const QString& metric) { metricCombo_->setCurrentText(metric); }

void ResultsPanel::refreshChart() {
    chart_->clearPlottables();
    categories_.clear();
    const std::string metric = metricCombo_->currentText().toStdString();
    QStringList models;
    for (const auto& r : all_) {
        if (r.metric != metric || !r.category) continue;
        if (!categories_.contains(q(*r.category))) categories_ << q(*r.category);
        if (!models.contains(q(r.model))) models << q(r.model);
    }
    categories_.sort();
    models.sort();
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int c = 0; c < categories_.size(); ++c) ticker->addTick(c + 1, categories_[c]);
    chart_->xAxis->setTicker(ticker);
    chart_->xAxis->setTickLabelRotation(categories_.size() > 4 ? 30 : 0);
    chart_->xAxis->setRange(0.4, categories_.size() + 0.6);
    chart_->yAxis->setLabel(tr("%1 by category (95% CI)").arg(metricCombo_->currentText()));
    const double width = models.isEmpty() ? 0.8 : 0.8 / models.size();
    double ymax = 0;
    double ymin = 0;
    for (int m = 0; m < models.size(); ++m) {
        auto* bars = new QCPBars(chart_->xAxis, chart_->yAxis);
        bars->setName(models[m]);
        bars->setWidth(width);
        const QColor color = QColor::fromHsv((m * 360 / models.size() + 210) % 360, 140, 210);
        bars->setBrush(color);
        bars->setPen(color.darker());
        auto* err = new QCPErrorBars(chart_->xAxis, chart_->yAxis);
        err->removeFromLegend();
        QVector<double> x, y, lo, hi;
        // In category order, so the error bars line up with the bars' (sorted) data.
        for (int c = 0; c < categories_.size(); ++c) {
            auto it = std::find_if(all_.begin(), all_.end(), [&](const auto& r) {
                return r.metric == metric && r.category && q(*r.category) == categories_[c] &&
                       q(r.model) == models[m];
            });
            if (it == all_.end()) continue;
            const auto& r = *it;
            x << (c + 1) - 0.4 + width * (m + 0.5);
            y << r.value;
            lo << std::max(0.0, r.value - r.ci_lo);
            hi << std::max(0.0, r.ci_hi - r.value);
            ymax = std::max({ymax, r.value, r.ci_hi});
            ymin = std::min({ymin, r.value, r.ci_lo});
        }
        bars->setData(x, y, true);
        err->setDataPlottable(bars);
        err->setData(lo, hi);
    }
    chart_->yAxis->setRange(ymin, ymax > ymin ? ymax + 0.1 * (ymax - ymin) : ymin + 1.0);
    chart_->replot();
}

}  // namespace tbui
