#include "widgets/compare_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "core/data/prompt.h"
#include "core/infer/engine_choice.h"
#include "core/store/store.h"
#include "widgets/adapter_menu.h"
#include "widgets/language.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

QVector<bool> changedWords(const QStringList& a, const QStringList& b) {
    const int n = a.size(), m = b.size();
    // lcs[i][j] = LCS length of a[i:] and b[j:]; outputs are capped by max_new_tokens, so the
    // quadratic table stays small.
    QVector<QVector<int>> lcs(n + 1, QVector<int>(m + 1, 0));
    for (int i = n - 1; i >= 0; --i)
        for (int j = m - 1; j >= 0; --j)
            lcs[i][j] =
                a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    QVector<bool> changed(m, true);
    int i = 0, j = 0;
    while (i < n && j < m) {
        if (a[i] == b[j]) {
            changed[j] = false;
            ++i;
            ++j;
        } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
            ++i;
        } else {
            ++j;
        }
    }
    return changed;
}

QString diffHtml(const QString& base, const QString& other) {
    static const QRegularExpression ws("\\s+");
    const QStringList a = base.split(ws, Qt::SkipEmptyParts);
    // Keep the separators of `other` so that line breaks survive the highlighting.
    QStringList words, seps;
    QRegularExpressionMatchIterator it = QRegularExpression("(\\S+)(\\s*)").globalMatch(other);
    while (it.hasNext()) {
        auto m = it.next();
        words << m.captured(1);
        seps << m.captured(2);
    }
    const QVector<bool> changed = changedWords(a, words);
    QString html;
    for (int k = 0; k < words.size(); ++k) {
        const QString w = words[k].toHtmlEscaped();
        html += changed[k] ? QString("<span style='background:#b5e3b5'>%1</span>").arg(w) : w;
        html += QString(seps[k]).replace("\n", "<br>");
    }
    return html;
}

// ---------------------------------------------------------------------------------------------

ComparePanel::ComparePanel(JobQueue* jobs, QWidget* parent) : QWidget(parent), jobs_(jobs) {
    auto* layout = new QVBoxLayout(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    auto* top = new QWidget(split);
    auto* topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);

    auto* promptBox = new QGroupBox(tr("Prompt"), top);
    auto* pl = new QVBoxLayout(promptBox);
    prompt_ = new QPlainTextEdit(promptBox);
    prompt_->setPlaceholderText(tr("Type a prompt, or pick a test-split row below"));
    auto* itemRow = new QHBoxLayout;
    itemSpin_ = new QSpinBox(promptBox);
    itemSpin_->setRange(0, 0);
    itemSpin_->setToolTip(tr("Row of the test split (load a dataset first)"));
    auto* useItem = new QPushButton(tr("Use test row"), promptBox);
    itemRow->addWidget(new QLabel(tr("Test row:"), promptBox));
    itemRow->addWidget(itemSpin_);
    itemRow->addWidget(useItem);
    itemRow->addStretch(1);
    referenceView_ = new QTextBrowser(promptBox);
    referenceView_->setPlaceholderText(tr("Reference answer of the chosen row"));
    referenceView_->setMaximumHeight(90);
    pl->addWidget(prompt_, 2);
    pl->addLayout(itemRow);
    pl->addWidget(referenceView_, 1);
    topLayout->addWidget(promptBox, 3);

    auto* modelsBox = new QGroupBox(tr("Adapters"), top);
    auto* ml = new QVBoxLayout(modelsBox);
    adapterList_ = new QListWidget(modelsBox);
    adapterList_->setToolTip(tr("The base model is always the first column"));
    addButton_ = new AdapterMenuButton(modelsBox);
    auto* removeButton = new QPushButton(tr("Remove"), modelsBox);
    ml->addWidget(adapterList_);
    auto* ab = new QHBoxLayout;
    ab->addWidget(addButton_);
    ab->addWidget(removeButton);
    ml->addLayout(ab);
    topLayout->addWidget(modelsBox, 2);

    auto* samplingBox = new QGroupBox(tr("Sampling (same for every column)"), top);
    auto* sf = new QFormLayout(samplingBox);
    greedy_ = new QCheckBox(tr("Greedy"), samplingBox);
    greedy_->setChecked(true);
    temperature_ = new QDoubleSpinBox(samplingBox);
    temperature_->setRange(0.05, 5.0);
    temperature_->setSingleStep(0.1);
    temperature_->setValue(0.7);
    topK_ = new QSpinBox(samplingBox);
    topK_->setRange(0, 100000);
    topK_->setValue(50);
    topK_->setSpecialValueText(tr("off"));
    topP_ = new QDoubleSpinBox(samplingBox);
    topP_->setRange(0.01, 1.0);
    topP_->setSingleStep(0.05);
    topP_->setValue(0.9);
    seed_ = new QSpinBox(samplingBox);
    seed_->setRange(0, INT_MAX);
    seed_->setValue(42);
    maxTokens_ = new QSpinBox(samplingBox);
    maxTokens_->setRange(1, 4096);
    maxTokens_->setValue(128);
    sf->addRow(greedy_);
    sf->addRow(tr("Temperature:"), temperature_);
    sf->addRow(tr("Top-k:"), topK_);
    sf->addRow(tr("Top-p:"), topP_);
    sf->addRow(tr("Seed:"), seed_);
    sf->addRow(tr("Max new tokens:"), maxTokens_);
    // Every engine the core defines; the ones this build or machine lacks stay visible but
    // disabled, so that the user learns why (graph needs CUDA) instead of wondering.
    engine_ = new QComboBox(samplingBox);
    engine_->setObjectName("engine");
    engine_->setToolTip(tr("Inference engine that generates every column"));
    auto* engineModel = qobject_cast<QStandardItemModel*>(engine_->model());
    for (const std::string& name : tb::infer::engine_names()) {
        engine_->addItem(QString::fromStdString(name));
        const std::string why = tb::infer::engine_unavailable_reason(name);
        QStandardItem* item = engineModel->item(engine_->count() - 1);
        if (why.empty()) {
            item->setToolTip(tr("Available in this build"));
        } else {
            item->setEnabled(false);
            item->setToolTip(tr("Not available: %1").arg(QString::fromStdString(why)));
        }
    }
    setEngine("eager");
    sf->addRow(tr("Engine:"), engine_);
    diff_ = new QCheckBox(tr("Highlight word differences from the base"), samplingBox);
    sf->addRow(diff_);
    runButton_ = new QPushButton(tr("&Generate"), samplingBox);
    runButton_->setShortcut(QKeySequence("Ctrl+Return"));
    runButton_->setToolTip(tr("Generate with every model (Ctrl+Enter)"));
    stopButton_ = new QPushButton(tr("S&top"), samplingBox);
    stopButton_->setEnabled(false);
    auto* rb = new QHBoxLayout;
    rb->addWidget(runButton_);
    rb->addWidget(stopButton_);
    sf->addRow(rb);
    topLayout->addWidget(samplingBox, 2);
    split->addWidget(top);

    auto* columns = new QWidget(split);
    columnsLayout_ = new QHBoxLayout(columns);
    columnsLayout_->setContentsMargins(0, 0, 0, 0);
    split->addWidget(columns);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split);

    auto syncSampling = [this] {
        const bool sample = !greedy_->isChecked();
        temperature_->setEnabled(sample);
        topK_->setEnabled(sample);
        topP_->setEnabled(sample);
    };
    connect(greedy_, &QCheckBox::toggled, this, syncSampling);
    syncSampling();
    connect(useItem, &QPushButton::clicked, this, [this] { useDatasetItem(itemSpin_->value()); });
    connect(addButton_, &AdapterMenuButton::adapterChosen, this,
            [this](const QString& dir) { addAdapter(dir); });
    connect(removeButton, &QPushButton::clicked, this, [this] {
        delete adapterList_->currentItem();
        saveAdapters();
    });
    connect(runButton_, &QPushButton::clicked, this, &ComparePanel::run);
    connect(stopButton_, &QPushButton::clicked, this, &ComparePanel::stop);
    connect(diff_, &QCheckBox::toggled, this, [this] { dirty_ = true; });
    connect(jobs_->worker(), &Worker::genChunk, this, &ComparePanel::onChunk);
    connect(jobs_->worker(), &Worker::genColumnDone, this, &ComparePanel::onColumnDone);
    connect(jobs_->worker(), &Worker::compareFinished, this, [this] {
        running_ = false;
        runButton_->setEnabled(true);
        stopButton_->setEnabled(false);
        dirty_ = true;
    });
    connect(jobs_->worker(), &Worker::failed, this, [this](const QString& msg) {
        if (jobs_->currentKind() != JobKind::Compare) return;
        for (auto* s : columnStats_)
            if (s->text().isEmpty()) s->setText(tr("Failed: %1").arg(msg));
        running_ = false;
        runButton_->setEnabled(true);
        stopButton_->setEnabled(false);
    });
    timer_ = new QTimer(this);
    timer_->setInterval(40);
    connect(timer_, &QTimer::timeout, this, [this] {
        if (dirty_) refreshTexts();
    });
    timer_->start();
    titles_ << tr("Base model");
    texts_ << QString();
    rebuildColumns();
}

QStringList ComparePanel::adapters() const {
    QStringList a;
    for (int i = 0; i < adapterList_->count(); ++i)
        a << adapterList_->item(i)->data(Qt::UserRole).toString();
    return a;
}

QString ComparePanel::prompt() const { return prompt_->toPlainText(); }

void ComparePanel::addAdapter(const QString& dir) {
    if (dir.isEmpty() || adapters().contains(dir)) return;
    auto* item = new QListWidgetItem(adapterLabel(dir), adapterList_);
    item->setData(Qt::UserRole, dir);
    item->setToolTip(dir);
    saveAdapters();
}

QString ComparePanel::adapterLabel(const QString& dir) const {
    if (names_.runOf(dir)) return names_.display(dir);
    return adapterFolderLabel(dir);
}

QString ComparePanel::settingsKey(const QString& workspaceDir) {
    return QStringLiteral("compare/adapters/") +
           QString::fromLatin1(
               QDir::cleanPath(workspaceDir)
                   .toUtf8()
                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

void ComparePanel::saveAdapters() const {
    if (workspaceDir_.isEmpty()) return;
    QSettings().setValue(settingsKey(workspaceDir_), adapters());
}

void ComparePanel::setWorkspaceDir(const QString& dir) {
    workspaceDir_ = dir;
    addButton_->setWorkspaceDir(dir);
    names_.clear();
    const QString db = QDir(dir).filePath("tunebench.sqlite");
    if (!dir.isEmpty() && QFileInfo::exists(db)) {
        auto st = tb::store::Store::open(db.toStdString());
        if (st.ok()) names_.load(*st.value());
    }
    // Last session's adapters of this workspace (folders that still hold an adapter).
    const QStringList kept = QSettings().value(settingsKey(dir)).toStringList();
    adapterList_->clear();
    for (const QString& a : kept)
        if (QFileInfo::exists(QDir(a).filePath("adapter_config.json"))) addAdapter(a);
    // Labels of adapters added before the store existed follow the run names.
    for (int i = 0; i < adapterList_->count(); ++i)
        adapterList_->item(i)->setText(
            adapterLabel(adapterList_->item(i)->data(Qt::UserRole).toString()));
}

void ComparePanel::setDataset(std::shared_ptr<const DatasetBundle> bundle) {
    bundle_ = std::move(bundle);
    const int n = bundle_ ? static_cast<int>(bundle_->split.test.size()) : 0;
    itemSpin_->setRange(0, std::max(0, n - 1));
}

void ComparePanel::useDatasetItem(int testIndex) {
    if (!bundle_ || testIndex < 0 || testIndex >= static_cast<int>(bundle_->split.test.size()))
        return;
    const auto& ex = bundle_->dataset.examples[bundle_->split.test[testIndex]];
    // Same user message as training builds (instruction + context block).
    const auto messages = tb::example_messages(ex);
    prompt_->setPlainText(
        QString::fromStdString(messages.empty() ? ex.instruction : messages.front().content));
    reference_ = QString::fromStdString(ex.response);
    referenceView_->setPlainText(reference_);
}

void ComparePanel::rebuildColumns() {
    while (auto* item = columnsLayout_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    columnViews_.clear();
    columnStats_.clear();
    for (int c = 0; c < titles_.size(); ++c) {
        auto* box = new QGroupBox(titles_[c], this);
        auto* v = new QVBoxLayout(box);
        auto* view = new QTextBrowser(box);
        auto* stats = new QLabel(box);
        v->addWidget(view, 1);
        v->addWidget(stats);
        columnsLayout_->addWidget(box, 1);
        columnViews_ << view;
        columnStats_ << stats;
    }
}

void ComparePanel::run() {
    if (running_) return;
    if (modelDir_.isEmpty()) {
        columnStats_.value(0)->setText(tr("Choose a workspace with a model first."));
        return;
    }
    CompareJob job;
    job.model_dir = modelDir_.toStdString();
    titles_ = QStringList{tr("Base model")};
    for (int i = 0; i < adapterList_->count(); ++i) {
        job.adapter_dirs.push_back(
            adapterList_->item(i)->data(Qt::UserRole).toString().toStdString());
        titles_ << adapterList_->item(i)->text();
    }
    job.prompt = prompt_->toPlainText().toStdString();
    job.max_new_tokens = maxTokens_->value();
    job.sampling.greedy = greedy_->isChecked();
    job.sampling.temperature = temperature_->value();
    job.sampling.top_k = topK_->value();
    job.sampling.top_p = topP_->value();
    job.sampling.seed = static_cast<uint64_t>(seed_->value());
    job.engine = engine().toStdString();
    job.quant = quant_.toStdString();
    // graph runs on CUDA only: let the core pick the device (and its dtype) there.
    if (job.engine == "graph") job.device = job.dtype = "auto";
    cancel_ = job.cancel;
    texts_ = QVector<QString>(titles_.size()).toList();
    rebuildColumns();
    running_ = true;
    runButton_->setEnabled(false);
    stopButton_->setEnabled(true);
    jobs_->submitCompare(job);
}

QString ComparePanel::engine() const { return engine_->currentText(); }

void ComparePanel::setEngine(const QString& name) {
    const int i = engine_->findText(name);
    if (i < 0) return;
    auto* m = qobject_cast<QStandardItemModel*>(engine_->model());
    if (!m->item(i)->isEnabled()) return;
    engine_->setCurrentIndex(i);
}

void ComparePanel::stop() {
    if (cancel_) cancel_->cancel();
}

void ComparePanel::onChunk(const GenChunk& c) {
    if (c.column < 0 || c.column >= texts_.size()) return;
    texts_[c.column] += c.text;
    dirty_ = true;
}

void ComparePanel::onColumnDone(const GenColumnDone& d) {
    if (d.column < 0 || d.column >= columnStats_.size()) return;
    const double tps = d.seconds > 0 ? static_cast<double>(d.tokens) / d.seconds : 0.0;
    columnStats_[d.column]->setText(tr("%1 tokens in %2 s · %3 tokens/s · %4")
                                        .arg(d.tokens)
                                        .arg(localNumber(d.seconds, 'f', 2))
                                        .arg(localNumber(tps, 'f', 1))
                                        .arg(d.finish_reason));
    dirty_ = true;
}

void ComparePanel::refreshTexts() {
    dirty_ = false;
    for (int c = 0; c < columnViews_.size() && c < texts_.size(); ++c) {
        if (diff_->isChecked() && c > 0 && !running_) {
            columnViews_[c]->setHtml(diffHtml(texts_[0], texts_[c]));
        } else if (columnViews_[c]->toPlainText() != texts_[c]) {
            columnViews_[c]->setPlainText(texts_[c]);
            columnViews_[c]->moveCursor(QTextCursor::End);
        }
    }
}

}  // namespace tbui
