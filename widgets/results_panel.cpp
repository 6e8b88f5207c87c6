#include "widgets/results_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

#include "core/eval/eval_fingerprint.h"
#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/language.h"
#include "widgets/qcp.h"
#include "widgets/qstring_of.h"
#include "widgets/worker.h"

namespace tbui {

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
    if (index.column() == Model && role == Qt::ToolTipRole)
        return names_ && names_->runOf(q(r.model))
                   ? tr("%1\nDouble-click to rename the run").arg(q(r.model))
                   : q(r.model);
    if (index.column() == Model && role == Qt::EditRole)
        return names_ ? names_->display(q(r.model)) : q(r.model);
    if (index.column() == Model && role == Qt::DecorationRole && names_)
        return chart::colorFor(names_->colorKey(q(r.model)));
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Metric:
            return q(r.metric);
        case Model:
            return names_ ? names_->display(q(r.model)) : q(r.model);
        case Value:
            return localNumber(r.value, 'f', 4);
        case CiLow:
            return localNumber(r.ci_lo, 'f', 4);
        case CiHigh:
            return localNumber(r.ci_hi, 'f', 4);
        case PValue:
            // The base model has no paired test against itself: an empty cell, not a number.
            return r.p_value ? localNumber(*r.p_value, 'g', 4) : QString();
        case Items:
            return QString::number(r.n_items);
        default:
            return {};
    }
}

Qt::ItemFlags ResultsTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Model && names_ &&
        names_->runOf(q(rows_[static_cast<size_t>(index.row())].model)))
        f |= Qt::ItemIsEditable;
    return f;
}

bool ResultsTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || role != Qt::EditRole || index.column() != Model || !names_)
        return false;
    const auto run = names_->runOf(q(rows_[static_cast<size_t>(index.row())].model));
    if (!run) return false;
    Q_EMIT renameRequested(*run, value.toString().trimmed());
    return true;
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

ResultsPanel::ResultsPanel(JobQueue* jobs, ConfigSource config, QWidget* parent)
    : QWidget(parent), jobs_(jobs), configSource_(std::move(config)) {
    auto* top = new QVBoxLayout(this);
    storeLabel_ = new QLabel(tr("No store open: choose a workspace."), this);
    top->addWidget(storeLabel_);

    auto* run = new QHBoxLayout;
    modelsEdit_ = new QLineEdit(this);
    modelsEdit_->setPlaceholderText(tr("base,<adapter folder>,…"));
    modelsEdit_->setToolTip(
        tr("Models to evaluate, comma-separated: \"base\" (the configured model) and adapter "
           "folders; p-values are computed against base"));
    metricsEdit_ = new QLineEdit(QStringLiteral("bleu,rouge,ppl"), this);
    metricsEdit_->setToolTip(
        tr("Metrics, comma-separated: bleu, rouge, chrf, chrfpp, ter, bertscore, ppl (ter and ppl: "
           "lower is better)"));
    metricsEdit_->setMaximumWidth(180);
    limitSpin_ = new QSpinBox(this);
    limitSpin_->setRange(0, 1000000);
    limitSpin_->setValue(20);
    limitSpin_->setSpecialValueText(tr("all"));
    limitSpin_->setToolTip(tr("Test items to evaluate (all: the whole test split)"));
    runButton_ = new QPushButton(tr("Run e&valuation"), this);
    runButton_->setToolTip(
        tr("Generate test-split answers for each model with the Hyperparameters tab's config, "
           "score them and store the results in the workspace"));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    evalProgress_ = new QProgressBar(this);
    evalProgress_->setMaximumWidth(200);
    evalStatus_ = new QLabel(this);
    run->addWidget(new QLabel(tr("Models:"), this));
    run->addWidget(modelsEdit_, 2);
    run->addWidget(new QLabel(tr("Metrics:"), this));
    run->addWidget(metricsEdit_, 1);
    run->addWidget(new QLabel(tr("Items:"), this));
    run->addWidget(limitSpin_);
    run->addWidget(runButton_);
    run->addWidget(cancelButton_);
    run->addWidget(evalProgress_);
    run->addWidget(evalStatus_, 1);
    top->addLayout(run);

    auto* bar = new QHBoxLayout;
    evalCombo_ = new QComboBox(this);
    // Entries are "#id name" with long names (models compared): the box grows to show them.
    evalCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    evalCombo_->setMinimumContentsLength(16);
    metricCombo_ = new QComboBox(this);
    metricCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto* exportTable = new QPushButton(tr("Export ta&ble…"), this);
    auto* exportChart = new QPushButton(tr("Ex&port chart…"), this);
    bar->addWidget(new QLabel(tr("Evaluation:"), this));
    bar->addWidget(evalCombo_);
    bar->addWidget(new QLabel(tr("Chart metric:"), this));
    bar->addWidget(metricCombo_);
    includeComparable_ = new QCheckBox(tr("Include &comparable evaluations"), this);
    includeComparable_->setToolTip(
        tr("Also show the store's evaluations run on the same split with the same generation "
           "settings; others are never put beside this one"));
    logScale_ = new QCheckBox(tr("&Log scale"), this);
    logScale_->setToolTip(
        tr("Logarithmic value axis (perplexity and loss span orders of "
           "magnitude)"));
    bar->addWidget(logScale_);
    bar->addStretch();
    bar->addWidget(exportTable);
    bar->addWidget(exportChart);
    top->addLayout(bar);
    comparisonNotice_ = new QLabel(this);
    comparisonNotice_->setObjectName("comparisonNotice");
    comparisonNotice_->setWordWrap(true);
    comparisonNotice_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    comparisonNotice_->setStyleSheet("color: #9c6500;");
    comparisonNotice_->setVisible(false);
    auto* comparison = new QHBoxLayout;
    comparison->addWidget(includeComparable_, 0, Qt::AlignTop);
    comparison->addWidget(comparisonNotice_, 1);
    top->addLayout(comparison);

    stack_ = new QStackedWidget(this);
    help_ = new QLabel(stack_);
    help_->setWordWrap(true);
    help_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    help_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto* split = new QSplitter(Qt::Vertical, stack_);
    table_ = new ResultsTableModel(this);
    view_ = new QTableView(split);
    view_->setModel(table_);
    table_->setNames(&names_);
    // The model label takes the spare width; numbers and Items only what they need.
    view_->horizontalHeader()->setStretchLastSection(false);
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view_->horizontalHeader()->setSectionResizeMode(ResultsTableModel::Model, QHeaderView::Stretch);
    view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    chart_ = new QCustomPlot(split);
    chart::setup(chart_,
                 {tr("Results by category"), tr("category"), tr("value"), "results_by_category",
                  true, tr("No per-category results for this metric.")});
    stack_->addWidget(help_);
    // The chart needs room for rotated category names, the title and the legend row: it gets
    // two thirds of the height, the table (a few rows per metric) the rest.
    chart_->setMinimumHeight(300);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    stack_->addWidget(split);
    top->addWidget(stack_, 1);

    connect(evalCombo_, &QComboBox::activated, this,
            [this](int k) { showEvaluation(evalCombo_->itemData(k).value<qint64>()); });
    connect(metricCombo_, &QComboBox::currentIndexChanged, this, [this] { refreshChart(); });
    connect(exportTable, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, table_, "results"); });
    connect(exportChart, &QPushButton::clicked, this,
            [this] { exportChartInteractive(this, chart_, "results_by_category"); });
    connect(runButton_, &QPushButton::clicked, this, [this] {
        const QString err = runEvaluation();
        if (!err.isEmpty()) evalStatus_->setText(err);
    });
    connect(cancelButton_, &QPushButton::clicked, this, &ResultsPanel::cancelEvaluation);
    connect(logScale_, &QCheckBox::toggled, this, [this](bool on) {
        chart::setLogY(chart_, on);
        refreshChart();
    });
    connect(table_, &ResultsTableModel::renameRequested, this, [this](qint64 id, const QString& n) {
        QTimer::singleShot(0, this, [this, id, n] {
            if (!store_) return;
            auto st = store_->rename_run(id, n.toStdString());
            if (!st.ok()) {
                evalStatus_->setText(q(st.error().message));
                return;
            }
            names_.load(*store_);
            table_->setRows(table_->rows());
            refreshChart();
        });
    });
    connect(includeComparable_, &QCheckBox::toggled, this, [this] {
        if (!shown_.isEmpty()) showEvaluation(shown_.first());
    });
    if (jobs_) {
        connect(jobs_->worker(), &Worker::evalProgress, this, &ResultsPanel::onEvalProgress);
        connect(jobs_->worker(), &Worker::evalFinished, this, &ResultsPanel::onEvalFinished);
        connect(jobs_->worker(), &Worker::failed, this, &ResultsPanel::onFailed);
    }
    setEvaluating(false);
    updateConfigState();
    showHelp(tr("No store is open."));
}

void ResultsPanel::updateConfigState() {
    configProblem_.clear();
    if (configSource_) {
        const ConfigSnapshot snap = configSource_();
        QStringList problems = snap.problems;
        if (problems.isEmpty()) {
            tb::Status valid = tb::validate_app_config(snap.config);
            if (!valid.ok()) problems << q(valid.error().message);
        }
        configProblem_ = problems.join("\n");
        // Items and metrics default to the config's (eval.limit, eval.metrics), as the CLI's
        // do: a GUI evaluation on the default settings measures what `evaluate --config` does.
        QStringList names;
        for (const auto& m : snap.config.eval.metrics) names << q(m);
        const QString metrics = names.join(',');
        const int limit =
            static_cast<int>(std::clamp<int64_t>(snap.config.eval.limit, 0, limitSpin_->maximum()));
        if (metrics != configMetrics_) metricsEdit_->setText(configMetrics_ = metrics);
        if (limit != configLimit_) limitSpin_->setValue(configLimit_ = limit);
    }
    setEvaluating(evaluating_);
    runButton_->setToolTip(
        configProblem_.isEmpty()
            ? tr("Generate test-split answers for each model with the Hyperparameters tab's "
                 "config, score them and store the results in the workspace")
            : tr("Blocked: fix the Hyperparameters tab first:\n%1").arg(configProblem_));
    const QString blocked =
        tr("Run evaluation is blocked: invalid configuration (see the Hyperparameters tab)");
    if (!evaluating_ && !configProblem_.isEmpty())
        evalStatus_->setText(blocked);
    else if (!evaluating_ && evalStatus_->text() == blocked)
        evalStatus_->clear();
}

bool ResultsPanel::runEnabled() const { return runButton_->isEnabled(); }

void ResultsPanel::setEvaluating(bool on) {
    evaluating_ = on;
    runButton_->setEnabled(!on && jobs_ && configSource_ && configProblem_.isEmpty());
    cancelButton_->setEnabled(on);
    evalProgress_->setVisible(on);
}

void ResultsPanel::setEvaluationModels(const QString& models) { modelsEdit_->setText(models); }
QString ResultsPanel::evaluationModels() const { return modelsEdit_->text(); }
void ResultsPanel::setEvaluationMetrics(const QString& metrics) { metricsEdit_->setText(metrics); }
void ResultsPanel::setEvaluationLimit(int items) { limitSpin_->setValue(items); }
QString ResultsPanel::evaluationMetrics() const { return metricsEdit_->text(); }
int ResultsPanel::evaluationLimit() const { return limitSpin_->value(); }

// "base" plus the adapter of the newest completed training run of the store.
QString ResultsPanel::defaultModels() const {
    QString models = QStringLiteral("base");
    if (!store_) return models;
    auto runs = store_->list_runs("train");
    if (!runs.ok()) return models;
    for (auto it = runs.value().rbegin(); it != runs.value().rend(); ++it) {
        const QString adapter = QString::fromStdString(it->output_dir) + "/adapter";
        if (it->status == "completed" && QFileInfo::exists(adapter + "/adapter_config.json"))
            return models + "," + adapter;
    }
    return models;
}

QString ResultsPanel::runEvaluation() {
    if (!jobs_ || !configSource_) return tr("This window cannot run evaluations.");
    if (evaluating_) return tr("An evaluation is already running.");
    if (storePath_.isEmpty()) return tr("Choose a workspace first: results go to its store.");
    const ConfigSnapshot snap = configSource_();
    updateConfigState();
    if (!configProblem_.isEmpty())
        return tr("Not run: fix the Hyperparameters tab first: %1")
            .arg(QString(configProblem_).replace('\n', "; "));
    tb::eval::EvaluationParams p;
    p.config = snap.config;
    auto split = [](const QString& s) {
        std::vector<std::string> out;
        for (const QString& part : s.split(',', Qt::SkipEmptyParts))
            if (!part.trimmed().isEmpty()) out.push_back(part.trimmed().toStdString());
        return out;
    };
    p.models = split(modelsEdit_->text());
    if (p.models.empty()) return tr("Enter at least one model (\"base\" or an adapter folder).");
    p.metrics = split(metricsEdit_->text());
    p.limit = limitSpin_->value() == 0 ? -1 : limitSpin_->value();
    p.store_path = storePath_.toStdString();
    EvalJob job;
    job.params = p;
    evalCancel_ = job.cancel;
    setEvaluating(true);
    evalProgress_->setRange(0, 0);
    evalStatus_->setText(tr("Queued"));
    jobs_->submitEvaluation(job);
    return {};
}

void ResultsPanel::cancelEvaluation() {
    if (!evaluating_ || !evalCancel_) return;
    evalCancel_->cancel();
    evalStatus_->setText(tr("Cancelling after the current batch…"));
}

void ResultsPanel::onEvalProgress(const tb::eval::EvalProgress& p) {
    if (!evaluating_) return;
    evalProgress_->setRange(0, static_cast<int>(std::max<int64_t>(p.total, 1)));
    evalProgress_->setValue(static_cast<int>(p.done));
    const QString stage = p.stage == "generate"     ? tr("generating")
                          : p.stage == "perplexity" ? tr("perplexity")
                                                    : tr("scoring");
    evalStatus_->setText(
        tr("%1 %2: %3/%4").arg(stage, QString::fromStdString(p.model)).arg(p.done).arg(p.total));
}

void ResultsPanel::onEvalFinished(const tb::eval::EvaluationResult& r) {
    if (!evaluating_) return;
    setEvaluating(false);
    evalStatus_->setText(
        r.cancelled ? tr("Evaluation #%1 cancelled; run it again to resume.").arg(r.eval_id)
                    : tr("Evaluation #%1 finished.").arg(r.eval_id));
    // Reopen: the worker wrote through its own connection.
    const QString err = openStore(storePath_);
    if (err.isEmpty() && !r.cancelled) showEvaluation(r.eval_id);
    Q_EMIT evaluationDone(r.eval_id);
}

void ResultsPanel::onFailed(const QString& message) {
    if (!evaluating_ || !jobs_ || jobs_->currentKind() != JobKind::Evaluation) return;
    setEvaluating(false);
    evalStatus_->setText(tr("Evaluation failed: %1").arg(message));
    Q_EMIT evaluationDone(0);
}

ResultsPanel::~ResultsPanel() = default;

bool ResultsPanel::showingHelp() const { return stack_->currentWidget() == help_; }
QString ResultsPanel::helpText() const { return help_->text(); }

void ResultsPanel::showHelp(const QString& reason) {
    table_->setRows({});
    all_.clear();
    shown_.clear();
    comparisonNotice_->clear();
    comparisonNotice_->setVisible(false);
    categories_.clear();
    chart_->clearPlottables();
    chart_->replot();
    help_->setText(
        tr("%1\n\nRun an evaluation to see results here (\"Run evaluation\" above), or:\n\n"
           "  tunebench-cli evaluate --config <workspace>/config.yaml --models "
           "base,<workspace>/outputs/<adapter> --store <workspace>/tunebench.sqlite\n\n"
           "then choose the workspace again (or reopen this tab).")
            .arg(reason));
    stack_->setCurrentWidget(help_);
}

void ResultsPanel::setWorkspaceDir(const QString& dir) {
    const QString path = dir + "/tunebench.sqlite";
    storePath_ = path;
    if (QFileInfo::exists(path)) {
        const QString err = openStore(path);
        if (!err.isEmpty()) showHelp(err);
        modelsEdit_->setText(defaultModels());
    } else {
        modelsEdit_->setText(QStringLiteral("base"));
        store_.reset();
        evalCombo_->clear();
        storeLabel_->setText(tr("No store in %1 yet.").arg(dir));
        showHelp(tr("The workspace has no store yet."));
    }
}

QString ResultsPanel::openStore(const QString& path) {
    evalCombo_->clear();
    storePath_ = path;
    auto st = tb::store::Store::open(path.toStdString());
    if (!st.ok()) {
        store_.reset();
        showHelp(q(st.error().message));
        return q(st.error().message);
    }
    store_ = std::move(st.value());
    names_.load(*store_);
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
    shown_ = {evalId};
    addComparableEvaluations(evalId);
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

void ResultsPanel::setLogScale(bool on) { logScale_->setChecked(on); }
bool ResultsPanel::logScale() const { return logScale_->isChecked(); }

QString ResultsPanel::renameModel(const QString& model, const QString& name) {
    if (!store_) return tr("No store is open.");
    const auto run = names_.runOf(model);
    if (!run) return tr("%1 is not the adapter of a training run in this store.").arg(model);
    auto st = store_->rename_run(*run, name.toStdString());
    if (!st.ok()) return q(st.error().message);
    names_.load(*store_);
    table_->setRows(table_->rows());
    refreshChart();
    return {};
}

void ResultsPanel::setIncludeComparable(bool on) { includeComparable_->setChecked(on); }

QString ResultsPanel::comparisonNotice() const { return comparisonNotice_->text(); }

// The comparability rule is core/eval's (compare_with_stored), shared with the CLI; this only
// decides what to show: comparable evaluations join the table when asked, incomparable ones
// never do, and the notice says which and why.
void ResultsPanel::addComparableEvaluations(qint64 evalId) {
    QStringList lines;
    auto others = tb::eval::compare_with_stored(*store_, evalId);
    if (!others.ok()) {
        lines << tr("Cannot compare with the store's other evaluations: %1")
                     .arg(q(others.error().message));
    } else {
        auto self = store_->get_run(evalId);
        if (self.ok() && self.value() && !tb::eval::stored_fingerprint(*self.value()).recorded)
            lines << tr("Evaluation #%1 was recorded without its split and generation "
                        "settings: what it ran on cannot be checked, so no other evaluation is "
                        "shown beside it.")
                         .arg(evalId);
        QStringList comparable, incomparable, notes;
        for (const auto& o : others.value()) {
            const auto& c = o.comparability;
            if (!c.comparable) {
                incomparable
                    << tr("#%1 (%2)").arg(o.eval_id).arg(q(tb::eval::describe_differences(c)));
                continue;
            }
            comparable << tr("#%1").arg(o.eval_id);
            if (!includeComparable_->isChecked()) continue;
            auto agg = store_->metric_aggregates(o.eval_id);
            if (!agg.ok()) continue;
            all_.insert(all_.end(), agg.value().begin(), agg.value().end());
            shown_ << o.eval_id;
            for (const auto& n : c.notes) notes << tr("#%1: %2").arg(o.eval_id).arg(q(n));
        }
        if (shown_.size() > 1) {
            QStringList ids;
            for (qint64 id : shown_) ids << tr("#%1").arg(id);
            lines << tr("Showing evaluations %1 together: same split and generation settings.")
                         .arg(ids.join(", "));
            if (!notes.isEmpty())
                lines << tr("Differences that change numbers by rounding only: %1")
                             .arg(notes.join("; "));
            // Same model labels in several evaluations: say which evaluation each row is from.
            for (auto& r : all_) r.model = "#" + std::to_string(r.eval_id) + " " + r.model;
        } else if (!comparable.isEmpty()) {
            lines << tr("Comparable with this evaluation: %1 (tick \"Include comparable "
                        "evaluations\" to show them together).")
                         .arg(comparable.join(", "));
        }
        if (!incomparable.isEmpty())
            lines << tr("Not comparable with #%1, so never shown beside it: %2.")
                         .arg(evalId)
                         .arg(incomparable.join("; "));
    }
    comparisonNotice_->setText(lines.join("\n"));
    comparisonNotice_->setVisible(!lines.isEmpty());
}

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
    // TER (edits per reference word) and perplexity fall as quality rises: say so on the axis.
    const bool lower_is_better = metric == "ter" || metric == "ppl";
    chart::setTitle(chart_, (lower_is_better ? tr("%1 by category (95% CI; lower is better)")
                                             : tr("%1 by category (95% CI)"))
                                .arg(metricCombo_->currentText()));
    const QString unit = metric == "ppl"         ? tr("perplexity")
                         : metric == "ter"       ? tr("TER (edits per reference word)")
                         : metric == "bertscore" ? tr("BERTScore F1")
                                                 : tr("%1 score").arg(metricCombo_->currentText());
    // On the axis too: an exported chart may be cropped to its plot.
    chart_->yAxis->setLabel(lower_is_better ? tr("%1, lower is better").arg(unit) : unit);
    const double width = models.isEmpty() ? 0.8 : 0.8 / models.size();
    for (int m = 0; m < models.size(); ++m) {
        auto* bars = new QCPBars(chart_->xAxis, chart_->yAxis);
        bars->setName(names_.display(models[m]));
        bars->setWidth(width);
        const QColor color = chart::colorFor(names_.colorKey(models[m]));
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
        }
        bars->setData(x, y, true);
        err->setDataPlottable(bars);
        err->setData(lo, hi);
    }
    chart::Scale sc;
    sc.keepX = true;
    sc.zeroBasedY = true;
    chart::autoscale(chart_, sc);
    chart::refresh(chart_);
}

}  // namespace tbui
