#include "widgets/runs_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/qcp.h"
#include "widgets/qstring_of.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

namespace {

QString label(const tb::store::RunRecord& r) {
    return r.name.empty() ? QStringLiteral("#%1").arg(r.id)
                          : QStringLiteral("#%1 %2").arg(r.id).arg(q(r.name));
}

QString num(std::optional<double> v, int prec = 4) {
    return v ? QLocale().toString(*v, 'f', prec) : QString();
}

// Metrics the overlay can draw: the training log's columns.
enum Metric { TrainLoss, EvalLoss, LearningRate, GradNorm, TokensPerS, Memory, MetricCount };

}  // namespace

// --- RunsTableModel ----------------------------------------------------------------------------

void RunsTableModel::setRows(std::vector<RunRow> rows) {
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
}

const RunRow* RunsTableModel::rowById(qint64 id) const {
    for (const auto& r : rows_)
        if (r.run.id == id) return &r;
    return nullptr;
}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

Qt::ItemFlags RunsTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Name) f |= Qt::ItemIsEditable;
    return f;
}

bool RunsTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || role != Qt::EditRole || index.column() != Name) return false;
    Q_EMIT renameRequested(rows_[static_cast<size_t>(index.row())].run.id,
                           value.toString().trimmed());
    return true;
}

// The store's status word ("completed") in the interface language; unknown words as stored.
static QString statusText(const std::string& status) {
    if (status == "running") return RunsTableModel::tr("running");
    if (status == "completed") return RunsTableModel::tr("completed");
    if (status == "failed") return RunsTableModel::tr("failed");
    if (status == "cancelled") return RunsTableModel::tr("cancelled");
    return QString::fromStdString(status);
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const RunRow& r = rows_[static_cast<size_t>(index.row())];
    const auto& s = r.summary;
    const auto* c = r.config ? &*r.config : nullptr;
    const int col = index.column();
    if (role == Qt::TextAlignmentRole)
        return col == Name || col == Status || col == Started || col == Backend
                   ? int(Qt::AlignLeft | Qt::AlignVCenter)
                   : int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (col == Name || col == Id)
            return tr("Run folder: %1\nDouble-click the name to rename").arg(q(r.run.output_dir));
        if (col == BestPpl) return tr("exp(best eval loss)");
        if (col == PeakMemory) return tr("Highest memory logged (GPU allocated or host RSS)");
        return {};
    }
    if (role == Qt::EditRole && col == Name) return q(r.run.name);
    if (role == Qt::UserRole) {  // sort keys
        switch (col) {
            case Id:
                return QVariant::fromValue<qint64>(r.run.id);
            case Name:
                return q(r.run.name).toLower();
            case Status:
                return q(r.run.status);
            case Started:
                return q(r.run.started_at);
            case Steps:
                return QVariant::fromValue<qint64>(s.last_step);
            case FinalLoss:
                return s.final_loss.value_or(1e300);
            case LastEval:
                return s.last_eval_loss.value_or(1e300);
            case BestEval:
            case BestPpl:
                return s.best_eval_loss.value_or(1e300);
            case TokensPerS:
                return s.tokens_per_s;
            case Elapsed:
                return s.elapsed_s;
            case PeakMemory:
                return QVariant::fromValue<qint64>(s.peak_memory_bytes);
            case LearningRate:
                return c ? c->training.learning_rate : 0.0;
            case Rank:
                return c ? QVariant::fromValue<qint64>(c->lora.r) : QVariant(0);
            case Alpha:
                return c ? c->lora.alpha : 0.0;
            case Epochs:
                return c ? QVariant::fromValue<qint64>(c->training.epochs) : QVariant(0);
            case BatchSize:
                return c ? QVariant::fromValue<qint64>(c->training.batch_size) : QVariant(0);
            case Backend:
                return c ? q(c->training.backend) : QString();
            default:
                return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    const QLocale loc;
    switch (col) {
        case Id:
            return QString::number(r.run.id);
        case Name:
            return q(r.run.name);
        case Status:
            return statusText(r.run.status);
        case Started: {
            const QDateTime t = QDateTime::fromString(q(r.run.started_at), Qt::ISODate);
            return t.isValid() ? loc.toString(t.toLocalTime(), QLocale::ShortFormat)
                               : q(r.run.started_at);
        }
        case Steps:
            return s.last_step > 0 ? loc.toString(s.last_step) : QString();
        case FinalLoss:
            return num(s.final_loss);
        case LastEval:
            return num(s.last_eval_loss);
        case BestEval:
            return num(s.best_eval_loss);
        case BestPpl:
            return s.best_eval_loss ? loc.toString(std::exp(*s.best_eval_loss), 'f', 2) : QString();
        case TokensPerS:
            return s.last_step > 0 ? loc.toString(s.tokens_per_s, 'f', 0) : QString();
        case Elapsed:
            return s.last_step > 0 ? tr("%1 s").arg(loc.toString(s.elapsed_s, 'f', 1)) : QString();
        case PeakMemory:
            return s.peak_memory_bytes > 0
                       ? loc.toString(static_cast<double>(s.peak_memory_bytes) / 1048576.0, 'f', 0)
                       : QString();
        case LearningRate:
            return c ? loc.toString(c->training.learning_rate, 'g', 3) : QString();
        case Rank:
            return c ? loc.toString(c->lora.r) : QString();
        case Alpha:
            return c ? loc.toString(c->lora.alpha, 'g', 4) : QString();
        case Epochs:
            return c ? loc.toString(c->training.epochs) : QString();
        case BatchSize:
            return c ? loc.toString(c->training.batch_size) : QString();
        case Backend:
            return c ? q(c->training.backend) : QString();
        default:
            return {};
    }
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal) return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case Steps:
                return tr("Last logged optimizer step");
            case FinalLoss:
                return tr("Training loss at the last logged step");
            case LastEval:
                return tr("Validation loss of the last evaluation");
            case BestEval:
                return tr("Lowest validation loss");
            case LearningRate:
                return QStringLiteral("training.learning_rate");
            case Rank:
                return QStringLiteral("lora.r");
            case Alpha:
                return QStringLiteral("lora.alpha");
            case Epochs:
                return QStringLiteral("training.epochs");
            case BatchSize:
                return QStringLiteral("training.batch_size");
            case Backend:
                return QStringLiteral("training.backend");
            default:
                return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
        case Id:
            return tr("ID");
        case Name:
            return tr("Name");
        case Status:
            return tr("Status");
        case Started:
            return tr("Started");
        case Steps:
            return tr("Steps");
        case FinalLoss:
            return tr("Final loss");
        case LastEval:
            return tr("Eval loss");
        case BestEval:
            return tr("Best eval loss");
        case BestPpl:
            return tr("Best perplexity");
        case TokensPerS:
            return tr("Tokens/s");
        case Elapsed:
            return tr("Train time");
        case PeakMemory:
            return tr("Peak memory (MiB)");
        case LearningRate:
            return tr("Learning rate");
        case Rank:
            return tr("LoRA r");
        case Alpha:
            return tr("LoRA alpha");
        case Epochs:
            return tr("Epochs");
        case BatchSize:
            return tr("Batch size");
        case Backend:
            return tr("Backend");
        default:
            return {};
    }
}

// --- RunsPanel ---------------------------------------------------------------------------------

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
    auto* top = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    auto* refreshButton = new QPushButton(tr("Re&fresh"), this);
    auto* renameButton = new QPushButton(tr("Re&name…"), this);
    deleteButton_ = new QPushButton(tr("&Delete…"), this);
    deleteButton_->setToolTip(tr("Delete the selected runs from the store and their run folders"));
    checkpointCombo_ = new QComboBox(this);
    checkpointCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    checkpointCombo_->setMinimumContentsLength(12);
    checkpointCombo_->setToolTip(tr("Checkpoint to resume the selected run from"));
    resumeButton_ = new QPushButton(tr("Res&ume"), this);
    resumeButton_->setToolTip(
        tr("Continue the selected run from the chosen checkpoint (shown in the Training tab)"));
    exportAdapterButton_ = new QPushButton(tr("Export &adapter…"), this);
    exportMergedButton_ = new QPushButton(tr("Export &merged model…"), this);
    auto* exportTable = new QPushButton(tr("Export ta&ble…"), this);
    bar->addWidget(refreshButton);
    bar->addWidget(renameButton);
    bar->addWidget(deleteButton_);
    bar->addSpacing(12);
    auto* cpLabel = new QLabel(tr("&Checkpoint:"), this);
    cpLabel->setBuddy(checkpointCombo_);
    bar->addWidget(cpLabel);
    bar->addWidget(checkpointCombo_);
    bar->addWidget(resumeButton_);
    bar->addSpacing(12);
    bar->addWidget(exportAdapterButton_);
    bar->addWidget(exportMergedButton_);
    bar->addWidget(exportTable);
    bar->addStretch(1);
    top->addLayout(bar);
    status_ = new QLabel(tr("No store open: choose a workspace."), this);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(status_);

    auto* split = new QSplitter(Qt::Vertical, this);
    model_ = new RunsTableModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(Qt::UserRole);
    view_ = new QTableView(split);
    view_->setModel(proxy_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(RunsTableModel::Id, Qt::DescendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    view_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->verticalHeader()->hide();
    split->addWidget(view_);

    auto* lower = new QSplitter(Qt::Horizontal, split);
    auto* chartBox = new QWidget(lower);
    auto* chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    auto* metricRow = new QHBoxLayout;
    metricCombo_ = new QComboBox(chartBox);
    metricCombo_->addItems({tr("Train loss"), tr("Eval loss"), tr("Learning rate"),
                            tr("Gradient norm"), tr("Tokens/s"), tr("Memory (MiB)")});
    auto* logScale = new QCheckBox(tr("&Log scale"), chartBox);
    auto* metricLabel = new QLabel(tr("&Overlay:"), chartBox);
    metricLabel->setBuddy(metricCombo_);
    metricRow->addWidget(metricLabel);
    metricRow->addWidget(metricCombo_);
    metricRow->addWidget(logScale);
    metricRow->addStretch(1);
    chartLayout->addLayout(metricRow);
    chart_ = new QCustomPlot(chartBox);
    chart_->setMinimumHeight(220);
    chart::setup(chart_, {tr("Train loss of the selected runs"), tr("optimizer step"),
                          tr("cross-entropy (nats/token)"), "runs_overlay", true,
                          tr("Select one or more runs in the table to draw them here.")});
    chartLayout->addWidget(chart_, 1);
    lower->addWidget(chartBox);

    auto* diffBox = new QWidget(lower);
    auto* diffLayout = new QVBoxLayout(diffBox);
    diffLayout->setContentsMargins(0, 0, 0, 0);
    diffOnly_ = new QCheckBox(tr("Only &differences"), diffBox);
    diffOnly_->setChecked(true);
    diffLayout->addWidget(diffOnly_);
    diff_ = new QTableWidget(0, 3, diffBox);
    diff_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    diff_->verticalHeader()->hide();
    diff_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    diff_->setHorizontalHeaderLabels({tr("Setting"), tr("Run A"), tr("Run B")});
    diffLayout->addWidget(diff_, 1);
    lower->addWidget(diffBox);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    split->addWidget(lower);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    top->addWidget(split, 1);

    timer_ = new QTimer(this);
    timer_->setInterval(2000);
    connect(timer_, &QTimer::timeout, this, [this] {
        // Only while something is going: a running run in the table or a training job.
        const bool going = (actions_.training && actions_.training()) ||
                           std::any_of(model_->rows().begin(), model_->rows().end(),
                                       [](const RunRow& r) { return r.run.status == "running"; });
        if (going && isVisible()) refresh();
    });
    timer_->start();

    connect(refreshButton, &QPushButton::clicked, this, [this] {
        const QString err = refresh();
        if (!err.isEmpty()) say(err);
    });
    connect(renameButton, &QPushButton::clicked, this, [this] {
        const auto ids = selectedRuns();
        if (ids.size() != 1) {
            say(tr("Select one run to rename."));
            return;
        }
        const RunRow* r = model_->rowById(ids.first());
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Rename run"), tr("Name:"),
                                                   QLineEdit::Normal, q(r->run.name), &ok);
        if (!ok) return;
        const QString err = renameRun(ids.first(), name.trimmed());
        if (!err.isEmpty()) say(err);
    });
    connect(model_, &RunsTableModel::renameRequested, this, [this](qint64 id, const QString& n) {
        // Queued: the view is still inside its editor's commit when this arrives.
        QTimer::singleShot(0, this, [this, id, n] {
            const QString err = renameRun(id, n);
            if (!err.isEmpty()) say(err);
        });
    });
    connect(deleteButton_, &QPushButton::clicked, this, &RunsPanel::deleteSelectedInteractive);
    connect(resumeButton_, &QPushButton::clicked, this, &RunsPanel::resumeSelected);
    connect(exportAdapterButton_, &QPushButton::clicked, this,
            [this] { exportSelectedInteractive(false); });
    connect(exportMergedButton_, &QPushButton::clicked, this,
            [this] { exportSelectedInteractive(true); });
    connect(exportTable, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, proxy_, "runs"); });
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RunsPanel::selectionChanged);
    connect(metricCombo_, &QComboBox::currentIndexChanged, this, &RunsPanel::redrawChart);
    connect(logScale, &QCheckBox::toggled, this, [this](bool on) {
        chart::setLogY(chart_, on);
        redrawChart();
    });
    connect(diffOnly_, &QCheckBox::toggled, this, &RunsPanel::updateDiff);
    selectionChanged();
}

RunsPanel::~RunsPanel() = default;

QString RunsPanel::status() const { return status_->text(); }

void RunsPanel::say(const QString& text) { status_->setText(text); }

void RunsPanel::setWorkspaceDir(const QString& dir) {
    store_.reset();
    storePath_ = dir.isEmpty() ? QString() : QDir(dir).filePath("tunebench.sqlite");
    const QString err = refresh();
    if (!err.isEmpty()) say(err);
}

QString RunsPanel::refresh() {
    if (!store_ && !storePath_.isEmpty() && QFileInfo::exists(storePath_)) {
        auto st = tb::store::Store::open(storePath_.toStdString());
        if (!st.ok()) return q(st.error().message);
        store_ = std::move(st.value());
    }
    if (!store_) {
        model_->setRows({});
        say(storePath_.isEmpty() ? tr("No store open: choose a workspace.")
                                 : tr("No runs yet: the store is created by the first training "
                                      "run (Training tab)."));
        selectionChanged();
        return {};
    }
    auto runs = store_->list_runs("train");
    if (!runs.ok()) return q(runs.error().message);
    auto sums = store_->train_run_summaries();
    if (!sums.ok()) return q(sums.error().message);
    std::vector<RunRow> rows;
    for (const auto& r : runs.value()) {
        RunRow row;
        row.run = r;
        row.summary.run_id = r.id;
        for (const auto& s : sums.value())
            if (s.run_id == r.id) row.summary = s;
        auto cfg = tb::parse_app_config(r.config_yaml, "run " + std::to_string(r.id));
        if (cfg.ok()) row.config = cfg.value();
        rows.push_back(std::move(row));
    }
    const QList<qint64> keep = selectedRuns();
    const int sortCol = view_->horizontalHeader()->sortIndicatorSection();
    const Qt::SortOrder order = view_->horizontalHeader()->sortIndicatorOrder();
    model_->setRows(std::move(rows));
    view_->sortByColumn(sortCol, order);
    view_->resizeColumnsToContents();
    // A name or a folder path must not take the whole width.
    view_->setColumnWidth(RunsTableModel::Name,
                          std::min(view_->columnWidth(RunsTableModel::Name), 220));
    selectRuns(keep);
    say(model_->rows().empty()
            ? tr("The store has no training runs yet: start one in the Training tab.")
            : tr("%n training run(s) in %1. Select several to overlay them; two to compare their "
                 "configs. Double-click a name to rename.",
                 nullptr, static_cast<int>(model_->rows().size()))
                  .arg(storePath_));
    redrawChart();
    return {};
}

void RunsPanel::selectRuns(const QList<qint64>& ids) {
    auto* sel = view_->selectionModel();
    QSignalBlocker block(sel);
    sel->clearSelection();
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const QModelIndex idx = proxy_->index(row, RunsTableModel::Id);
        const qint64 id =
            model_->rows()[static_cast<size_t>(proxy_->mapToSource(idx).row())].run.id;
        if (ids.contains(id))
            sel->select(idx, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    block.unblock();
    selectionChanged();
}

QList<qint64> RunsPanel::selectedRuns() const {
    QList<qint64> ids;
    for (const QModelIndex& idx : view_->selectionModel()->selectedRows()) {
        const int row = proxy_->mapToSource(idx).row();
        if (row >= 0 && row < static_cast<int>(model_->rows().size()))
            ids << model_->rows()[static_cast<size_t>(row)].run.id;
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void RunsPanel::selectionChanged() {
    const auto ids = selectedRuns();
    deleteButton_->setEnabled(!ids.isEmpty());
    exportAdapterButton_->setEnabled(ids.size() == 1);
    exportMergedButton_->setEnabled(ids.size() == 1);
    updateCheckpoints();
    redrawChart();
    updateDiff();
}

void RunsPanel::updateCheckpoints() {
    checkpointCombo_->clear();
    const auto ids = selectedRuns();
    const RunRow* r = ids.size() == 1 ? model_->rowById(ids.first()) : nullptr;
    if (r) {
        const QString dir = q(r->run.output_dir);
        for (const QString& cp : checkpointsOf(dir))
            checkpointCombo_->addItem(QFileInfo(cp).fileName(), cp);
        // The run folder: the trainer picks its newest usable checkpoint (or step 0).
        if (!dir.isEmpty()) checkpointCombo_->addItem(tr("newest usable"), dir);
    }
    const bool canResume = r && r->run.status != "completed" && checkpointCombo_->count() > 0;
    resumeButton_->setEnabled(canResume);
    checkpointCombo_->setEnabled(canResume);
}

QStringList RunsPanel::checkpointsOf(const QString& outputDir) {
    if (outputDir.isEmpty()) return {};
    QDir dir(QDir(outputDir).filePath("checkpoints"));
    QList<QPair<qint64, QString>> found;
    for (const QString& name : dir.entryList({"step-*"}, QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const qint64 step = name.mid(5).toLongLong(&ok);
        if (ok) found << qMakePair(step, dir.filePath(name));
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    QStringList out;
    for (const auto& f : found) out << f.second;
    return out;
}

void RunsPanel::redrawChart() {
    chart_->clearPlottables();
    const int metric = metricCombo_->currentIndex();
    const QString yLabels[] = {tr("cross-entropy (nats/token)"),
                               tr("cross-entropy (nats/token)"),
                               tr("learning rate"),
                               tr("L2 norm before clipping"),
                               tr("tokens/s"),
                               tr("MiB (GPU allocated or host RSS)")};
    chart::setTitle(chart_, tr("%1 of the selected runs").arg(metricCombo_->currentText()));
    chart_->yAxis->setLabel(yLabels[std::clamp(metric, 0, MetricCount - 1)]);
    if (store_) {
        for (qint64 id : selectedRuns()) {
            const RunRow* r = model_->rowById(id);
            if (!r) continue;
            auto rows = store_->training_log(id);
            if (!rows.ok()) continue;
            QVector<double> x, y;
            for (const auto& t : rows.value()) {
                double v = 0;
                switch (metric) {
                    case TrainLoss:
                        v = t.loss;
                        break;
                    case EvalLoss:
                        if (!t.eval_loss) continue;
                        v = *t.eval_loss;
                        break;
                    case LearningRate:
                        v = t.learning_rate;
                        break;
                    case GradNorm:
                        v = t.grad_norm;
                        break;
                    case TokensPerS:
                        v = t.tokens_per_s;
                        break;
                    case Memory:
                        v = static_cast<double>(t.memory_bytes) / 1048576.0;
                        break;
                }
                x << static_cast<double>(t.step);
                y << v;
            }
            auto* g = chart_->addGraph();
            const QString name = label(r->run);
            g->setName(name);
            // Keyed by run: the results and rating charts colour this run's adapter the same.
            const QColor color = chart::colorFor(QStringLiteral("run:%1").arg(id));
            g->setPen(QPen(color, 1.8));
            if (metric == EvalLoss)
                g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, 6));
            g->setData(x, y, true);
        }
    }
    chart::Scale sc;
    sc.xMin = 0.0;
    sc.zeroBasedY = metric == LearningRate || metric == TokensPerS || metric == Memory;
    chart::autoscale(chart_, sc);
    chart::refresh(chart_);
}

QList<QStringList> RunsPanel::configDiff(const tb::AppConfig& a, const tb::AppConfig& b,
                                         bool onlyDifferent) {
    QList<QStringList> out;
    for (const auto& f : tb::config_schema()) {
        auto va = tb::config_field_value(a, f.key);
        auto vb = tb::config_field_value(b, f.key);
        const QString sa = va.ok() ? q(va.value()) : QString();
        const QString sb = vb.ok() ? q(vb.value()) : QString();
        if (onlyDifferent && sa == sb) continue;
        out << QStringList{q(f.key), sa, sb};
    }
    return out;
}

void RunsPanel::updateDiff() {
    const auto ids = selectedRuns();
    diff_->setRowCount(0);
    diff_->clearSpans();
    if (ids.size() != 2) {
        diff_->setHorizontalHeaderLabels({tr("Setting"), tr("Run A"), tr("Run B")});
        diff_->setRowCount(1);
        auto* item = new QTableWidgetItem(tr("Select two runs to compare their settings."));
        diff_->setItem(0, 0, item);
        diff_->setSpan(0, 0, 1, 3);
        return;
    }
    diff_->clearSpans();
    const RunRow* a = model_->rowById(ids[0]);
    const RunRow* b = model_->rowById(ids[1]);
    // Ids in the header (names can be long); the full label as the header's tooltip.
    diff_->setHorizontalHeaderLabels(
        {tr("Setting"), tr("#%1").arg(a->run.id), tr("#%1").arg(b->run.id)});
    diff_->horizontalHeaderItem(1)->setToolTip(label(a->run));
    diff_->horizontalHeaderItem(2)->setToolTip(label(b->run));
    if (!a->config || !b->config) {
        diff_->setRowCount(1);
        diff_->setItem(0, 0, new QTableWidgetItem(tr("A run's stored config does not parse.")));
        diff_->setSpan(0, 0, 1, 3);
        return;
    }
    const auto rows = configDiff(*a->config, *b->config, diffOnly_->isChecked());
    if (rows.isEmpty()) {
        diff_->setRowCount(1);
        diff_->setItem(0, 0, new QTableWidgetItem(tr("Same settings.")));
        diff_->setSpan(0, 0, 1, 3);
        return;
    }
    diff_->setRowCount(static_cast<int>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        for (int c = 0; c < 3; ++c) {
            auto* item = new QTableWidgetItem(rows[i][c]);
            if (c > 0 && rows[i][1] != rows[i][2]) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            item->setToolTip(rows[i][c]);
            diff_->setItem(i, c, item);
        }
    }
}

QString RunsPanel::renameRun(qint64 runId, const QString& name) {
    if (!store_) return tr("No store is open.");
    auto st = store_->rename_run(runId, name.toStdString());
    if (!st.ok()) return q(st.error().message);
    return refresh();
}

QString RunsPanel::deleteRun(qint64 runId, bool deleteFiles) {
    if (!store_) return tr("No store is open.");
    const RunRow* r = model_->rowById(runId);
    if (!r) return tr("The store has no training run #%1.").arg(runId);
    if (r->run.status == "running" && actions_.training && actions_.training())
        return tr("Run #%1 is training: cancel it first.").arg(runId);
    const QString dir = q(r->run.output_dir);
    auto st = store_->delete_run(runId);
    if (!st.ok()) return q(st.error().message);
    QString note;
    if (deleteFiles && !dir.isEmpty() && QFileInfo(dir).isDir()) {
        // Only a run folder the trainer wrote: never an arbitrary directory named in the store.
        const QDir d(dir);
        if (d.exists("run.json") || d.exists("training_stats.json") ||
            d.exists("training_log.jsonl")) {
            if (!QDir(dir).removeRecursively()) note = tr("Could not remove all of %1.").arg(dir);
        } else {
            note = tr("%1 does not look like a run folder; left in place.").arg(dir);
        }
    }
    const QString err = refresh();
    if (!note.isEmpty()) say(note);
    return err;
}

void RunsPanel::deleteSelectedInteractive() {
    const auto ids = selectedRuns();
    if (ids.isEmpty()) return;
    QStringList names;
    for (qint64 id : ids)
        if (const RunRow* r = model_->rowById(id))
            names << tr("%1 (%2)").arg(label(r->run), q(r->run.output_dir));
    const auto answer = QMessageBox::question(
        this, tr("Delete runs"),
        tr("Delete %n run(s) from the store together with their run folders (adapter, "
           "checkpoints, merged model)? This cannot be undone.\n\n%1",
           nullptr, static_cast<int>(ids.size()))
            .arg(names.join('\n')),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes) return;
    for (qint64 id : ids) {
        const QString err = deleteRun(id, true);
        if (!err.isEmpty()) {
            say(err);
            return;
        }
    }
}

void RunsPanel::resumeSelected() {
    const auto ids = selectedRuns();
    if (ids.size() != 1 || !actions_.resume) return;
    const QString err = actions_.resume(ids.first(), checkpointCombo_->currentData().toString());
    say(err.isEmpty() ? tr("Resuming run #%1: progress in the Training tab.").arg(ids.first())
                      : err);
    refresh();
}

void RunsPanel::exportSelectedInteractive(bool merged) {
    const auto ids = selectedRuns();
    if (ids.size() != 1 || !actions_.exportRun) return;
    const QString dest = tbui::getExistingDirectory(
        this, merged ? tr("Folder for the merged model") : tr("Folder for the adapter"),
        QFileInfo(storePath_).absolutePath() + "/outputs");
    if (dest.isEmpty()) return;
    const QString err = actions_.exportRun(ids.first(), dest, merged);
    say(err.isEmpty() ? tr("Exporting run #%1 to %2 (progress in the Training tab's log).")
                            .arg(ids.first())
                            .arg(dest)
                      : err);
}

}  // namespace tbui
