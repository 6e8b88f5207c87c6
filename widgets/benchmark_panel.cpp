#include "widgets/benchmark_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/infer/infer_bench_record.h"
#include "core/infer/inference.h"
#include "core/store/store.h"
#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/language.h"
#include "widgets/qcp.h"
#include "widgets/qstring_of.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

namespace {

using json = nlohmann::json;

// resources/bench/hf_generate_bench.py installed beside the binary, else in the source tree
// (a build-tree binary), as the CLI looks for it.
QString findHfScript() {
    QStringList candidates{QCoreApplication::applicationDirPath() +
                           "/../share/tunebench/bench/hf_generate_bench.py"};
#ifdef TB_SOURCE_RESOURCES
    candidates << QStringLiteral(TB_SOURCE_RESOURCES "/bench/hf_generate_bench.py");
#endif
    for (const QString& c : candidates)
        if (QFileInfo::exists(c)) return QFileInfo(c).canonicalFilePath();
    return {};
}

BenchFigure figureOf(const json& b, const char* key) {
    BenchFigure f;
    if (!b.contains(key) || !b[key].is_object()) return f;
    f.median = b[key].value("median", 0.0);
    f.min = b[key].value("min", f.median);
    f.max = b[key].value("max", f.median);
    return f;
}

std::optional<qint64> bytesOf(const json& b, const char* key) {
    if (b.contains(key) && b[key].is_number()) return b[key].get<qint64>();
    return std::nullopt;
}

// Three significant digits or so: the spread matters more than the fourth digit, and the table
// stays narrow enough to read without scrolling.
int decimalsFor(double v) {
    const double a = std::abs(v);
    return a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
}

QString figureText(const BenchFigure& f) {
    const int decimals = decimalsFor(f.median);
    return QStringLiteral("%1 [%2–%3]")
        .arg(localNumber(f.median, 'f', decimals))
        .arg(localNumber(f.min, 'f', decimals))
        .arg(localNumber(f.max, 'f', decimals));
}

// A model folder by its last two components ("demo-workspace/model"); a shape name as is.
QString shortModel(const QString& model) {
    const QStringList parts = model.split('/', Qt::SkipEmptyParts);
    if (parts.size() < 2 || !model.contains('/')) return model;
    return parts[parts.size() - 2] + "/" + parts.back();
}

QString gb(qint64 bytes) { return localNumber(static_cast<double>(bytes) / 1e9, 'f', 2); }

// Colour of a series: HF grey, an engine its session-wide colour (chart::colorFor).
QColor seriesColor(const QString& engine, bool hf) {
    if (hf) return QColor(136, 138, 133);
    return chart::colorFor(QStringLiteral("engine:") + engine);
}

}  // namespace

// --- result rows ---------------------------------------------------------------------------

std::vector<BenchRow> benchRowsOf(const json& result) {
    std::vector<BenchRow> rows;
    if (!result.is_object()) return rows;
    std::vector<json> engines;
    if (result.contains("hf") && result["hf"].is_object() && result["hf"].contains("batches")) {
        json hf = result["hf"];
        hf["engine"] = "transformers";
        engines.push_back(hf);
    }
    if (result.contains("engines") && result["engines"].is_array())
        for (const auto& e : result["engines"]) engines.push_back(e);
    for (const json& e : engines) {
        if (!e.contains("batches") || !e["batches"].is_array()) continue;
        const std::string name = e.value("engine", std::string("?"));
        const double load =
            e.contains("load") && e["load"].is_object() ? e["load"].value("seconds", 0.0) : 0.0;
        for (const json& b : e["batches"]) {
            if (!b.contains("tokens_per_s_aggregate")) continue;  // HF's per-batch errors
            BenchRow r;
            r.engine = q(name);
            r.hf = name == "transformers";
            r.batch = b.value("batch", qint64{0});
            r.ttftMs = figureOf(b, "ttft_ms");
            r.itlP50Ms = figureOf(b, "itl_p50_ms");
            r.itlP99Ms = figureOf(b, "itl_p99_ms");
            r.e2eS = figureOf(b, "e2e_s");
            r.tpsRequest = figureOf(b, "tokens_per_s_request");
            r.tpsAggregate = figureOf(b, "tokens_per_s_aggregate");
            r.peakAllocated = bytesOf(b, "peak_allocated_bytes");
            r.peakReserved = bytesOf(b, "peak_reserved_bytes");
            r.peakRss = bytesOf(b, "peak_rss_bytes");
            r.loadS = load;
            if (b.contains("vs_hf") && b["vs_hf"].contains("tokens_per_s_aggregate"))
                r.aggregateVsHf = b["vs_hf"]["tokens_per_s_aggregate"].get<double>();
            if (b.contains("token_agreement_vs_hf") && b["token_agreement_vs_hf"].is_number() &&
                b["token_agreement_vs_hf"].get<double>() >= 0)
                r.agreement = b["token_agreement_vs_hf"].get<double>();
            rows.push_back(r);
        }
    }
    return rows;
}

// --- BenchmarkTableModel -------------------------------------------------------------------

void BenchmarkTableModel::setRows(std::vector<BenchRow> rows) {
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
}

int BenchmarkTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int BenchmarkTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BenchmarkTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const BenchRow& r = rows_[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && index.column() >= Batch)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Itl)
        return tr("Inter-token latency p50 %1 ms, p99 %2 ms (median [minimum–maximum] over the "
                  "timed runs)")
            .arg(figureText(r.itlP50Ms), figureText(r.itlP99Ms));
    if (role == Qt::ToolTipRole && index.column() == VsHf && r.agreement)
        return tr("Greedy tokens equal to HF's before the first difference: %1")
            .arg(localNumber(*r.agreement, 'f', 2));
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Engine:
            return r.hf ? tr("transformers (HF)") : r.engine;
        case Batch:
            return QString::number(r.batch);
        case Ttft:
            return figureText(r.ttftMs);
        case Itl:
            // Medians only (the spreads are in the tooltip): two figures in one column.
            return QStringLiteral("%1 / %2")
                .arg(localNumber(r.itlP50Ms.median, 'f', decimalsFor(r.itlP50Ms.median)))
                .arg(localNumber(r.itlP99Ms.median, 'f', decimalsFor(r.itlP99Ms.median)));
        case E2e:
            return figureText(r.e2eS);
        case TpsRequest:
            return figureText(r.tpsRequest);
        case TpsAggregate:
            return figureText(r.tpsAggregate);
        case VsHf:
            return r.hf ? QStringLiteral("1.00x")
                        : (r.aggregateVsHf ? localNumber(*r.aggregateVsHf, 'f', 2) + "x"
                                           : QString());
        case PeakMemory:
            if (r.peakAllocated)
                return tr("%1 / %2 GB")
                    .arg(gb(*r.peakAllocated), r.peakReserved ? gb(*r.peakReserved) : "-");
            return r.peakRss ? tr("%1 GB RSS").arg(gb(*r.peakRss)) : QString();
        case Load:
            return localNumber(r.loadS, 'f', 2);
        default:
            return {};
    }
}

QVariant BenchmarkTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal) return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case Itl:
                return tr(
                    "Inter-token latency, p50 / p99 over every gap between two tokens "
                    "(medians over the timed runs)");
            case Ttft:
            case E2e:
            case TpsRequest:
            case TpsAggregate:
                return tr("Median over the timed runs [minimum–maximum]");
            case VsHf:
                return tr(
                    "Aggregate tokens/s as a ratio to HF transformers in the same run "
                    "(> 1 is faster)");
            case PeakMemory:
                return tr(
                    "CUDA: peak allocated / reserved over the timed runs (weights "
                    "included); CPU: the process's peak resident memory");
            default:
                return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
        case Engine:
            return tr("Engine");
        case Batch:
            return tr("Batch");
        case Ttft:
            return tr("TTFT ms");
        case Itl:
            return tr("ITL p50 / p99 ms");
        case E2e:
            return tr("End-to-end s");
        case TpsRequest:
            return tr("tok/s per request");
        case TpsAggregate:
            return tr("tok/s aggregate");
        case VsHf:
            return tr("vs HF");
        case PeakMemory:
            return tr("Peak memory");
        case Load:
            return tr("Load s");
        default:
            return {};
    }
}

// --- BenchmarkRunsModel --------------------------------------------------------------------

void BenchmarkRunsModel::setEntries(QList<Entry> entries) {
    beginResetModel();
    entries_ = std::move(entries);
    endResetModel();
}

int BenchmarkRunsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

int BenchmarkRunsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BenchmarkRunsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const Entry& e = entries_[index.row()];
    if (role == Qt::ToolTipRole && index.column() == Model) return e.model;
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
        case Run:
            return e.runId > 0 ? tr("#%1").arg(e.runId) : tr("(CLI)");
        case Date:
            return e.createdAt;
        case Model:
            // Folders are long: their last components, the tooltip has the whole path.
            return shortModel(e.model);
        case Device:
            return e.device;
        case Engines:
            return e.engines;
        case Batches:
            return e.batches;
        default:
            return {};
    }
}

QVariant BenchmarkRunsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Run:
            return tr("Run");
        case Date:
            return tr("Date (UTC)");
        case Model:
            return tr("Model");
        case Device:
            return tr("Device");
        case Engines:
            return tr("Engines");
        case Batches:
            return tr("Batches");
        default:
            return {};
    }
}

// --- BenchmarkPanel ------------------------------------------------------------------------

BenchmarkPanel::BenchmarkPanel(JobQueue* jobs, QWidget* parent)
    : QWidget(parent), jobs_(jobs), hfScript_(findHfScript()) {
    auto* top = new QHBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    top->addWidget(split);

    // Left: the form, the run controls, the store's earlier runs.
    auto* left = new QWidget(split);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    auto* form = new QGroupBox(tr("Benchmark"), left);
    auto* fl = new QFormLayout(form);
    fl->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    engines_ = new QListWidget(form);
    // The engines this build can run here, asked at run time: never a list kept in the GUI.
    for (const std::string& e : tb::infer::available_engines()) {
        auto* item = new QListWidgetItem(q(e), engines_);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(engines_->count() == 1 ? Qt::Checked : Qt::Unchecked);
    }
    engines_->setMaximumHeight(
        std::min(4, std::max(1, engines_->count())) * engines_->fontMetrics().height() * 3 / 2 + 8);
    engines_->setToolTip(tr("tunebench inference engines to measure, one after the other"));
    fl->addRow(tr("Engines:"), engines_);

    useModel_ = new QRadioButton(tr("Model folder"), form);
    useShape_ = new QRadioButton(tr("Random weights"), form);
    useModel_->setChecked(true);
    auto* modelRow = new QHBoxLayout;
    modelEdit_ = new QLineEdit(form);
    modelEdit_->setPlaceholderText(tr("HF model folder (the workspace's model)"));
    browseModel_ = new QPushButton(tr("…"), form);
    browseModel_->setToolTip(tr("Choose a model folder"));
    browseModel_->setMaximumWidth(32);
    modelRow->addWidget(modelEdit_, 1);
    modelRow->addWidget(browseModel_);
    fl->addRow(useModel_, modelRow);
    shapeCombo_ = new QComboBox(form);
    for (const std::string& s : tb::infer::bench_shape_names()) {
        const auto shape = tb::infer::bench_shape(s);
        if (!shape.ok()) continue;
        shapeCombo_->addItem(tr("%1 (%2 layers, hidden %3)")
                                 .arg(q(s))
                                 .arg(shape.value().num_hidden_layers)
                                 .arg(shape.value().hidden_size),
                             q(s));
    }
    // "tinyllama (22 layers, hidden 2048)" would widen the whole column.
    shapeCombo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    shapeCombo_->setMinimumContentsLength(12);
    shapeCombo_->setToolTip(
        tr("Random weights of this shape, saved once as a model folder so that every engine "
           "(and HF) loads the same weights from disk"));
    fl->addRow(useShape_, shapeCombo_);

    batchesEdit_ = new QLineEdit(QStringLiteral("1,8"), form);
    batchesEdit_->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("^[0-9]+( *, *[0-9]+)*$")), batchesEdit_));
    batchesEdit_->setToolTip(tr("Batch sizes, comma-separated; each is measured on every engine"));
    fl->addRow(tr("Batch sizes:"), batchesEdit_);
    promptsSpin_ = new QSpinBox(form);
    promptsSpin_->setRange(0, 100000);
    promptsSpin_->setSpecialValueText(tr("largest batch"));
    promptsSpin_->setToolTip(tr("Distinct synthetic prompts; a larger batch cycles through them"));
    fl->addRow(tr("Prompts:"), promptsSpin_);
    promptLenSpin_ = new QSpinBox(form);
    promptLenSpin_->setRange(1, 1000000);
    promptLenSpin_->setValue(128);
    promptLenSpin_->setSuffix(tr(" tokens"));
    fl->addRow(tr("Prompt length:"), promptLenSpin_);
    newTokensSpin_ = new QSpinBox(form);
    newTokensSpin_->setRange(1, 1000000);
    newTokensSpin_->setValue(256);
    newTokensSpin_->setSuffix(tr(" tokens"));
    newTokensSpin_->setToolTip(tr("New tokens per request, exactly (greedy; EOS does not stop)"));
    fl->addRow(tr("Max new tokens:"), newTokensSpin_);
    auto* runsRow = new QHBoxLayout;
    warmupSpin_ = new QSpinBox(form);
    warmupSpin_->setRange(0, 1000);
    warmupSpin_->setValue(1);
    warmupSpin_->setToolTip(tr("Untimed runs per engine and batch size"));
    repeatsSpin_ = new QSpinBox(form);
    repeatsSpin_->setRange(1, 1000);
    repeatsSpin_->setValue(3);
    repeatsSpin_->setToolTip(
        tr("Timed runs per engine and batch size: figures are their median, minimum and maximum"));
    runsRow->addWidget(warmupSpin_);
    runsRow->addWidget(new QLabel(tr("timed:"), form));
    runsRow->addWidget(repeatsSpin_);
    fl->addRow(tr("Warm-up runs:"), runsRow);
    auto* devRow = new QHBoxLayout;
    deviceCombo_ = new QComboBox(form);
    deviceCombo_->setEditable(true);  // cuda:N
    deviceCombo_->addItems({"auto", "cpu", "cuda"});
    deviceCombo_->setToolTip(tr("auto: the first GPU when there is one, else the CPU; cuda:N"));
    dtypeCombo_ = new QComboBox(form);
    dtypeCombo_->addItems({"auto", "float32", "bfloat16", "float16"});
    dtypeCombo_->setToolTip(tr("auto: bfloat16 on a GPU, float32 on the CPU"));
    devRow->addWidget(deviceCombo_, 1);
    devRow->addWidget(dtypeCombo_, 1);
    fl->addRow(tr("Device, dtype:"), devRow);
    hfCheck_ = new QCheckBox(tr("Compare with HF transformers"), form);
    pythonEdit_ = new QLineEdit(QStringLiteral("python3"), form);
    pythonEdit_->setToolTip(tr("The Python that has torch and transformers"));
    if (hfScript_.isEmpty()) {
        hfCheck_->setEnabled(false);
        hfCheck_->setToolTip(
            tr("hf_generate_bench.py was not found beside this program (share/tunebench/bench)"));
    } else {
        hfCheck_->setToolTip(tr("Runs HF transformers' generate on the same prompts and weights "
                                "in the same run (%1); every figure is also given as a ratio to "
                                "it. Needs a Python with torch and transformers.")
                                 .arg(hfScript_));
    }
    fl->addRow(hfCheck_);
    fl->addRow(tr("Python:"), pythonEdit_);
    lv->addWidget(form);

    auto* buttons = new QHBoxLayout;
    runButton_ = new QPushButton(tr("Ru&n benchmark"), left);
    cancelButton_ = new QPushButton(tr("Cancel"), left);
    buttons->addWidget(runButton_);
    buttons->addWidget(cancelButton_);
    lv->addLayout(buttons);
    progress_ = new QProgressBar(left);
    // Engines x batch sizes measured so far (each after its warm-up and timed runs).
    progress_->setFormat(tr("%v of %m measured"));
    lv->addWidget(progress_);
    status_ = new QLabel(left);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    lv->addWidget(status_);

    auto* runsBox = new QGroupBox(tr("Earlier benchmarks (workspace store)"), left);
    auto* rv = new QVBoxLayout(runsBox);
    runs_ = new BenchmarkRunsModel(this);
    runsView_ = new QTableView(runsBox);
    runsView_->setModel(runs_);
    runsView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runsView_->setSelectionMode(QAbstractItemView::SingleSelection);
    runsView_->verticalHeader()->setVisible(false);
    runsView_->horizontalHeader()->setStretchLastSection(true);
    runsView_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    rv->addWidget(runsView_);
    lv->addWidget(runsBox, 1);
    split->addWidget(left);

    // Right: what is shown, the table, the charts.
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* head = new QHBoxLayout;
    header_ = new QLabel(tr("No benchmark shown: run one, or pick an earlier one."), right);
    header_->setWordWrap(true);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* exportTable = new QPushButton(tr("Export ta&ble…"), right);
    auto* exportChart = new QPushButton(tr("Ex&port chart…"), right);
    head->addWidget(header_, 1);
    head->addWidget(exportTable, 0, Qt::AlignTop);
    head->addWidget(exportChart, 0, Qt::AlignTop);
    rl->addLayout(head);
    hfNotice_ = new QLabel(right);
    hfNotice_->setObjectName("hfNotice");
    hfNotice_->setWordWrap(true);
    hfNotice_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hfNotice_->setStyleSheet("color: #9c6500;");
    hfNotice_->setVisible(false);
    rl->addWidget(hfNotice_);
    auto* vsplit = new QSplitter(Qt::Vertical, right);
    table_ = new BenchmarkTableModel(this);
    view_ = new QTableView(vsplit);
    view_->setModel(table_);
    view_->verticalHeader()->setVisible(false);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setMinimumHeight(90);
    charts_stack_ = new QStackedWidget(vsplit);
    chartsHelp_ = new QLabel(
        tr("Charts appear here: time to first token, end-to-end latency, tokens/s per request "
           "and aggregate, peak memory and load time, per engine and batch size.\n\nChoose "
           "engines and settings on the left and run a benchmark, or pick an earlier one from "
           "the workspace's store. The same benchmark from the command line:\n\n"
           "  tunebench-cli bench infer --model <folder> --engines eager --batch 1,8 "
           "--store <workspace>/tunebench.sqlite --out <workspace>/results/benchmarks/run.json"),
        charts_stack_);
    chartsHelp_->setWordWrap(true);
    chartsHelp_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    chartsHelp_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    charts_stack_->addWidget(chartsHelp_);
    auto* grid = new QWidget(charts_stack_);
    auto* g = new QGridLayout(grid);
    g->setContentsMargins(0, 0, 0, 0);
    g->setSpacing(4);
    const QString titles[] = {tr("Time to first token"),  tr("End-to-end latency"),
                              tr("Tokens/s per request"), tr("Tokens/s aggregate"),
                              tr("Peak memory"),          tr("Load time")};
    const char* names[] = {"bench_ttft",
                           "bench_e2e_latency",
                           "bench_tokens_per_s_request",
                           "bench_tokens_per_s_aggregate",
                           "bench_peak_memory",
                           "bench_load_time"};
    for (int i = 0; i < 6; ++i) {
        auto* plot = new QCustomPlot(grid);
        plot->setMinimumHeight(170);
        plot->setMinimumWidth(200);
        // Load time: one bar per engine, named on the axis (no legend).
        chart::setup(plot, {titles[i], i == 5 ? tr("engine") : tr("batch size"), QString(),
                            names[i], i != 5, tr("No benchmark results yet.")});
        charts_ << plot;
        g->addWidget(plot, i / 3, i % 3);
    }
    charts_stack_->addWidget(grid);
    vsplit_ = vsplit;
    vsplit->addWidget(view_);
    vsplit->addWidget(charts_stack_);
    vsplit->setStretchFactor(0, 1);
    vsplit->setStretchFactor(1, 3);
    rl->addWidget(vsplit, 1);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({340, 940});

    connect(useModel_, &QRadioButton::toggled, this, [this] { updateModelFields(); });
    connect(modelEdit_, &QLineEdit::textChanged, modelEdit_, &QLineEdit::setToolTip);
    connect(browseModel_, &QPushButton::clicked, this, [this] {
        const QString dir = getExistingDirectory(this, tr("Model folder"), modelEdit_->text());
        if (!dir.isEmpty()) modelEdit_->setText(dir);
    });
    connect(runButton_, &QPushButton::clicked, this, [this] {
        const QString err = run();
        if (!err.isEmpty()) status_->setText(err);
    });
    connect(cancelButton_, &QPushButton::clicked, this, &BenchmarkPanel::cancel);
    connect(runsView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& cur) {
                if (cur.isValid()) showStoredRun(cur.row());
            });
    connect(exportTable, &QPushButton::clicked, this,
            [this] { exportTableInteractive(this, table_, "benchmark"); });
    connect(exportChart, &QPushButton::clicked, this, [this, exportChart, titles, names] {
        QMenu menu(this);
        for (int i = 0; i < charts_.size(); ++i)
            menu.addAction(titles[i], this, [this, i, names] {
                exportChartInteractive(this, charts_[i], names[i]);
            });
        menu.exec(exportChart->mapToGlobal(QPoint(0, exportChart->height())));
    });
    if (jobs_) {
        connect(jobs_->worker(), &Worker::inferBenchProgress, this, &BenchmarkPanel::onProgress);
        connect(jobs_->worker(), &Worker::inferBenchFinished, this, &BenchmarkPanel::onFinished);
        connect(jobs_->worker(), &Worker::failed, this, &BenchmarkPanel::onFailed);
    }
    updateModelFields();
    setRunning(false);
    showResult(json(), QString());
}

BenchmarkPanel::~BenchmarkPanel() = default;

void BenchmarkPanel::updateModelFields() {
    modelEdit_->setEnabled(useModel_->isChecked());
    browseModel_->setEnabled(useModel_->isChecked());
    shapeCombo_->setEnabled(useShape_->isChecked());
}

void BenchmarkPanel::setWorkspace(const QString& dir, const QString& modelDir) {
    workspaceDir_ = dir;
    modelEdit_->setText(modelDir);
    const QString err = refreshRuns();
    if (!err.isEmpty() && !running_) status_->setText(err);
}

BenchmarkPanel::Settings BenchmarkPanel::settings() const {
    Settings s;
    for (int i = 0; i < engines_->count(); ++i)
        if (engines_->item(i)->checkState() == Qt::Checked) s.engines << engines_->item(i)->text();
    s.randomShape = useShape_->isChecked();
    s.modelDir = modelEdit_->text().trimmed();
    s.shape = shapeCombo_->currentData().toString();
    s.batches = batchesEdit_->text();
    s.prompts = promptsSpin_->value();
    s.promptLen = promptLenSpin_->value();
    s.maxNewTokens = newTokensSpin_->value();
    s.warmup = warmupSpin_->value();
    s.repeats = repeatsSpin_->value();
    s.device = deviceCombo_->currentText().trimmed();
    s.dtype = dtypeCombo_->currentText();
    s.hf = hfCheck_->isChecked();
    s.python = pythonEdit_->text().trimmed();
    return s;
}

void BenchmarkPanel::setSettings(const Settings& s) {
    for (int i = 0; i < engines_->count(); ++i)
        engines_->item(i)->setCheckState(
            s.engines.contains(engines_->item(i)->text()) ? Qt::Checked : Qt::Unchecked);
    (s.randomShape ? useShape_ : useModel_)->setChecked(true);
    modelEdit_->setText(s.modelDir);
    const int k = shapeCombo_->findData(s.shape);
    if (k >= 0) shapeCombo_->setCurrentIndex(k);
    batchesEdit_->setText(s.batches);
    promptsSpin_->setValue(s.prompts);
    promptLenSpin_->setValue(s.promptLen);
    newTokensSpin_->setValue(s.maxNewTokens);
    warmupSpin_->setValue(s.warmup);
    repeatsSpin_->setValue(s.repeats);
    deviceCombo_->setCurrentText(s.device);
    dtypeCombo_->setCurrentText(s.dtype);
    hfCheck_->setChecked(s.hf && hfCheck_->isEnabled());
    pythonEdit_->setText(s.python);
    updateModelFields();
}

QString BenchmarkPanel::run() {
    if (!jobs_) return tr("This window cannot run benchmarks.");
    if (running_) return tr("A benchmark is already running.");
    const Settings s = settings();
    tb::infer::InferBenchParams p;
    p.engines.clear();  // the params' default is {"eager"}: the ticked ones only
    for (const QString& e : s.engines) p.engines.push_back(e.toStdString());
    if (p.engines.empty()) return tr("Tick at least one engine.");
    p.batch_sizes.clear();
    for (const QString& part : s.batches.split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 b = part.trimmed().toLongLong(&ok);
        if (!ok || b < 1) return tr("Batch sizes: \"%1\" is not a whole number >= 1.").arg(part);
        p.batch_sizes.push_back(b);
    }
    if (p.batch_sizes.empty()) return tr("Enter at least one batch size.");
    std::string label;
    if (s.randomShape) {
        auto shape = tb::infer::bench_shape(s.shape.toStdString());
        if (!shape.ok()) return q(shape.error().message);
        p.shape = shape.value();
        label = s.shape.toStdString();
    } else {
        if (s.modelDir.isEmpty()) return tr("Choose a model folder, or tick \"Random weights\".");
        if (!QFileInfo::exists(s.modelDir + "/config.json"))
            return tr("%1 is not a model folder (no config.json).").arg(s.modelDir);
        p.model_dir = s.modelDir.toStdString();
        label = p.model_dir;
    }
    p.prompts = s.prompts;
    p.prompt_len = s.promptLen;
    p.max_new_tokens = s.maxNewTokens;
    p.warmup = s.warmup;
    p.repeats = s.repeats;
    p.device = s.device.isEmpty() ? std::string("auto") : s.device.toStdString();
    p.dtype = s.dtype.toStdString();
    p.hf = s.hf;
    p.hf_script = hfScript_.toStdString();
    p.python = s.python.isEmpty() ? std::string("python3") : s.python.toStdString();

    InferBenchJob job;
    job.params = p;
    job.model_label = label;
    if (!workspaceDir_.isEmpty()) {
        job.json_path =
            tb::infer::infer_bench_json_path(QDir(workspaceDir_).filePath("results").toStdString());
        job.store_path = QDir(workspaceDir_).filePath("tunebench.sqlite").toStdString();
    }
    cancel_ = job.cancel;
    setRunning(true);
    progress_->setRange(0, 0);
    status_->setText(workspaceDir_.isEmpty()
                         ? tr("Queued (no workspace: the result will not be saved)")
                         : tr("Queued"));
    jobs_->submitInferBench(job);
    return {};
}

void BenchmarkPanel::cancel() {
    if (!running_ || !cancel_) return;
    cancel_->cancel();
    status_->setText(tr("Cancelling after the current run…"));
}

void BenchmarkPanel::setRunning(bool on) {
    running_ = on;
    runButton_->setEnabled(!on && jobs_);
    cancelButton_->setEnabled(on);
    progress_->setVisible(on);
}

QString BenchmarkPanel::statusText() const { return status_->text(); }
QString BenchmarkPanel::hfNotice() const { return hfNotice_->text(); }

void BenchmarkPanel::onProgress(const InferBenchProgress& p) {
    if (!running_ || (cancel_ && cancel_->cancelled())) return;
    if (p.batchesTotal > 0) {
        progress_->setRange(0, p.batchesTotal);
        progress_->setValue(p.batchesDone);
    }
    status_->setText(p.line);
}

void BenchmarkPanel::onFinished(const InferBenchOutcome& r) {
    if (!running_) return;
    setRunning(false);
    if (r.cancelled) {
        status_->setText(tr("Benchmark cancelled: nothing was recorded."));
        Q_EMIT benchmarkDone(0);
        return;
    }
    lastJsonPath_ = r.jsonPath;
    lastRunId_ = r.runId;
    QStringList lines;
    if (r.runId > 0)
        lines << tr("Benchmark finished: run #%1, %2 rows in the store.")
                     .arg(r.runId)
                     .arg(r.storeRows);
    else
        lines << tr("Benchmark finished.");
    if (!r.jsonPath.isEmpty()) lines << tr("Saved to %1").arg(r.jsonPath);
    if (workspaceDir_.isEmpty()) lines << tr("Not saved: no workspace is open.");
    if (!r.saveErrors.isEmpty()) lines << tr("Not saved: %1").arg(r.saveErrors);
    status_->setText(lines.join("\n"));
    refreshRuns();
    showResult(r.result, r.runId > 0 ? tr("Run #%1").arg(r.runId) : tr("Latest run"));
    // The fresh run is the newest entry: select it without re-reading it.
    if (r.runId > 0 && runs_->rowCount() > 0 && runs_->entries().front().runId == r.runId) {
        const QSignalBlocker block(runsView_->selectionModel());
        runsView_->selectRow(0);
    }
    Q_EMIT benchmarkDone(r.runId);
}

void BenchmarkPanel::onFailed(const QString& message) {
    if (!running_ || !jobs_ || jobs_->currentKind() != JobKind::InferBench) return;
    setRunning(false);
    status_->setText(tr("Benchmark failed: %1").arg(message));
    Q_EMIT benchmarkDone(0);
}

QString BenchmarkPanel::refreshRuns() {
    const QString path =
        workspaceDir_.isEmpty() ? QString() : QDir(workspaceDir_).filePath("tunebench.sqlite");
    if (path.isEmpty() || !QFileInfo::exists(path)) {
        runs_->setEntries({});
        return {};
    }
    // A connection only for this read: the panel keeps none open (store recovery needs every
    // connection closed, and SQLite handles several connections of one process).
    auto st = tb::store::Store::open(path.toStdString());
    if (!st.ok()) {
        runs_->setEntries({});
        return q(st.error().message);
    }
    auto stored = tb::infer::stored_infer_benches(*st.value());
    if (!stored.ok()) return q(stored.error().message);
    QList<BenchmarkRunsModel::Entry> entries;
    for (const auto& s : stored.value()) {
        BenchmarkRunsModel::Entry e;
        e.runId = s.run_id;
        e.createdAt = q(s.created_at).left(16).replace('T', ' ');
        e.model = q(s.model);
        const json& c = s.result["config"];
        e.device = q(c.value("device", std::string())) + " " + q(c.value("dtype", std::string()));
        QStringList engines;
        if (s.result.contains("hf") && s.result["hf"].contains("batches")) engines << "HF";
        for (const auto& x : s.result["engines"]) engines << q(x.value("engine", std::string()));
        e.engines = engines.join(", ");
        QStringList batches;
        if (c.contains("batch_sizes") && c["batch_sizes"].is_array())
            for (const auto& b : c["batch_sizes"]) batches << QString::number(b.get<qint64>());
        e.batches = batches.join(",");
        e.result = s.result;
        entries.prepend(e);
    }
    runs_->setEntries(entries);
    runsView_->resizeColumnsToContents();
    return {};
}

void BenchmarkPanel::showStoredRun(int row) {
    if (row < 0 || row >= runs_->rowCount()) return;
    const auto& e = runs_->entries()[row];
    showResult(e.result, e.runId > 0 ? tr("Run #%1 (%2)").arg(e.runId).arg(e.createdAt)
                                     : tr("CLI run of %1").arg(e.createdAt));
}

bool BenchmarkPanel::chartsShown() const { return charts_stack_->currentIndex() == 1; }

void BenchmarkPanel::showResult(const json& result, const QString& what) {
    shown_ = result;
    table_->setRows(benchRowsOf(result));
    const auto& rows = table_->rows();
    // Ratios to HF only where HF was measured: otherwise an empty column.
    view_->setColumnHidden(BenchmarkTableModel::VsHf,
                           std::none_of(rows.begin(), rows.end(), [](const BenchRow& r) {
                               return r.hf || r.aggregateVsHf.has_value();
                           }));
    view_->resizeColumnsToContents();
    // The table as tall as its rows (up to about half of the area), the charts below.
    const int total = std::max(vsplit_->height(), 400);
    const int want = view_->horizontalHeader()->height() + view_->verticalHeader()->length() +
                     2 * view_->frameWidth() + view_->horizontalScrollBar()->sizeHint().height() +
                     6;
    const int tableHeight = std::clamp(want, view_->minimumHeight(), total * 45 / 100);
    vsplit_->setSizes({tableHeight, total - tableHeight});
    charts_stack_->setCurrentIndex(rows.empty() ? 0 : 1);
    if (!result.is_object() || !result.contains("config")) {
        header_->setText(tr("No benchmark shown: run one, or pick an earlier one."));
        header_->setToolTip(QString());
        hfNotice_->clear();
        hfNotice_->setVisible(false);
        redrawCharts();
        return;
    }
    const json& c = result["config"];
    auto num = [&](const char* k) {
        return c.contains(k) && c[k].is_number() ? c[k].get<qint64>() : qint64{0};
    };
    const QString model = q(c.value("model", std::string()));
    header_->setText(
        tr("%1: %2 (%3 layers, hidden %4), %5 %6, prompt %7 tokens, %8 new tokens, greedy; "
           "%9 warm-up + %10 timed runs per batch: medians, bars from minimum to maximum.")
            .arg(what, shortModel(model))
            .arg(num("layers"))
            .arg(num("hidden"))
            .arg(q(c.value("device", std::string())), q(c.value("dtype", std::string())))
            .arg(num("prompt_len"))
            .arg(num("max_new_tokens"))
            .arg(num("warmup"))
            .arg(num("repeats")));
    header_->setToolTip(model);
    QString notice;
    if (result.contains("hf") && result["hf"].is_object() && result["hf"].contains("error"))
        notice = tr("HF transformers was not measured: %1")
                     .arg(q(result["hf"]["error"].get<std::string>()));
    hfNotice_->setText(notice);
    hfNotice_->setVisible(!notice.isEmpty());
    redrawCharts();
}

// Bars per engine (series) at each batch size (categories), error bars from min to max; the
// memory chart draws reserved (CUDA) as a light bar behind allocated; load time has one bar
// per engine.
void BenchmarkPanel::redrawCharts() {
    const auto& rows = table_->rows();
    QStringList series;
    QList<bool> seriesHf;
    QList<qint64> batches;
    for (const auto& r : rows) {
        if (!series.contains(r.engine)) {
            series << r.engine;
            seriesHf << r.hf;
        }
        if (!batches.contains(r.batch)) batches << r.batch;
    }
    std::sort(batches.begin(), batches.end());
    auto seriesName = [&](int s) { return seriesHf[s] ? tr("transformers (HF)") : series[s]; };
    const bool cuda = std::any_of(rows.begin(), rows.end(),
                                  [](const BenchRow& r) { return r.peakAllocated.has_value(); });
    const QString yLabels[] = {
        tr("TTFT (ms)"),
        tr("latency (s)"),
        tr("tokens/s per request"),
        tr("tokens/s, all requests"),
        cuda ? tr("GPU GB (dark: allocated, light: reserved)") : tr("host GB (process peak RSS)"),
        tr("load time (s)")};
    const double width = series.isEmpty() ? 0.8 : 0.8 / series.size();
    for (int i = 0; i < charts_.size(); ++i) {
        QCustomPlot* plot = charts_[i];
        plot->clearPlottables();
        plot->yAxis->setLabel(yLabels[i]);
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        double ymax = 0;
        if (i == 5) {  // load time: x = engine
            for (int s = 0; s < series.size(); ++s) ticker->addTick(s + 1, seriesName(s));
            plot->xAxis->setTicker(ticker);
            plot->xAxis->setRange(0.4, std::max<int>(1, series.size()) + 0.6);
            for (int s = 0; s < series.size(); ++s) {
                auto it = std::find_if(rows.begin(), rows.end(),
                                       [&](const BenchRow& r) { return r.engine == series[s]; });
                auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
                const QColor color = seriesColor(series[s], seriesHf[s]);
                bars->setBrush(color);
                bars->setPen(color.darker());
                bars->setWidth(0.6);
                bars->addData(s + 1, it->loadS);
                ymax = std::max(ymax, it->loadS);
            }
        } else {
            for (int c = 0; c < batches.size(); ++c)
                ticker->addTick(c + 1, tr("batch %1").arg(batches[c]));
            plot->xAxis->setTicker(ticker);
            plot->xAxis->setRange(0.4, std::max<int>(1, batches.size()) + 0.6);
            for (int s = 0; s < series.size(); ++s) {
                const QColor color = seriesColor(series[s], seriesHf[s]);
                QCPBars* behind = nullptr;
                if (i == 4 && cuda) {
                    behind = new QCPBars(plot->xAxis, plot->yAxis);
                    behind->setWidth(width);
                    behind->setBrush(color.lighter(150));
                    behind->setPen(color);
                    behind->removeFromLegend();
                }
                auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
                bars->setName(seriesName(s));
                bars->setWidth(width);
                bars->setBrush(color);
                bars->setPen(color.darker());
                QCPErrorBars* err = nullptr;
                if (i < 4) {
                    err = new QCPErrorBars(plot->xAxis, plot->yAxis);
                    err->removeFromLegend();
                }
                QVector<double> x, y, lo, hi, yb;
                for (int c = 0; c < batches.size(); ++c) {
                    auto it = std::find_if(rows.begin(), rows.end(), [&](const BenchRow& r) {
                        return r.engine == series[s] && r.batch == batches[c];
                    });
                    if (it == rows.end()) continue;
                    x << (c + 1) - 0.4 + width * (s + 0.5);
                    if (i < 4) {
                        const BenchFigure f = i == 0   ? it->ttftMs
                                              : i == 1 ? it->e2eS
                                              : i == 2 ? it->tpsRequest
                                                       : it->tpsAggregate;
                        y << f.median;
                        lo << std::max(0.0, f.median - f.min);
                        hi << std::max(0.0, f.max - f.median);
                        ymax = std::max({ymax, f.median, f.max});
                    } else {
                        const double v = static_cast<double>(
                                             it->peakAllocated.value_or(it->peakRss.value_or(0))) /
                                         1e9;
                        const double rv = static_cast<double>(it->peakReserved.value_or(0)) / 1e9;
                        y << v;
                        yb << std::max(v, rv);
                        ymax = std::max({ymax, v, rv});
                    }
                }
                bars->setData(x, y, true);
                if (behind) behind->setData(x, yb, true);
                if (err) {
                    err->setDataPlottable(bars);
                    err->setData(lo, hi);
                }
            }
        }
        (void)ymax;
        chart::Scale sc;
        sc.keepX = true;
        sc.zeroBasedY = true;
        chart::autoscale(plot, sc);
        chart::refresh(plot);
    }
}

}  // namespace tbui
