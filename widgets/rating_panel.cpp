#include "widgets/rating_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QPushButton>
#include <QScrollArea>
#include <QSet>
#include <QSpinBox>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <random>

#include "widgets/export.h"
#include "widgets/qcp.h"

namespace tbui {

namespace {

QString criterionTitle(int c) {
    switch (c) {
        case 0:
            return RatingPanel::tr("Relevance");
        case 1:
            return RatingPanel::tr("Coherence");
        case 2:
            return RatingPanel::tr("Fluency");
        default:
            return RatingPanel::tr("Completeness");
    }
}

QString q(const std::string& s) { return QString::fromStdString(s); }

// FNV-1a: a stable hash (std::hash differs between standard libraries), so the blind order of
// an item is the same on every machine for the same seed.
quint64 fnv1a(const QByteArray& bytes, quint64 h = 1469598103934665603ull) {
    for (const char ch : bytes) {
        h ^= static_cast<unsigned char>(ch);
        h *= 1099511628211ull;
    }
    return h;
}

// Fisher-Yates with raw mt19937 draws (std::uniform_int_distribution is not specified
// bit-for-bit, so it could differ between standard libraries).
template <typename T>
void shuffle(QVector<T>& v, std::mt19937& rng) {
    for (int i = v.size() - 1; i > 0; --i) {
        const int j = static_cast<int>(rng() % static_cast<quint32>(i + 1));
        std::swap(v[i], v[j]);
    }
}

}  // namespace

// --- RatingSession -----------------------------------------------------------------------------

QString RatingSession::permutationKey(quint32 seed, const QString& itemId) {
    return QString::number(seed) + QLatin1Char(':') + itemId;
}

QVector<int> RatingSession::blindOrder(quint32 seed, const QString& itemId, int n) {
    QVector<int> order(n);
    for (int k = 0; k < n; ++k) order[k] = k;
    const quint64 h = fnv1a(permutationKey(seed, itemId).toUtf8());
    std::mt19937 rng(static_cast<quint32>(h ^ (h >> 32)));
    shuffle(order, rng);
    return order;
}

QString RatingSession::load(tb::store::Store* store, qint64 evalId, const QString& rater,
                            quint32 seed, int sampleSize, bool blind) {
    store_ = store;
    evalId_ = evalId;
    rater_ = rater.trimmed();
    blind_ = blind;
    items_.clear();
    orders_.clear();
    entries_.clear();
    if (!store_) return QObject::tr("No store is open.");
    if (rater_.isEmpty()) return QObject::tr("Enter the rater's name first.");
    auto gens = store_->generations(evalId);
    if (!gens.ok()) return q(gens.error().message);

    // Group by item in the store's order; keep the items every model answered.
    QStringList models;
    QStringList itemOrder;
    QMap<QString, RatingItem> byItem;
    QMap<QString, QMap<QString, QString>> outputs;  // item -> model -> output
    for (const auto& g : gens.value()) {
        const QString model = q(g.model);
        const QString id = q(g.item_id);
        if (!models.contains(model)) models << model;
        if (!byItem.contains(id)) {
            itemOrder << id;
            byItem[id] = RatingItem{id, q(g.prompt), q(g.reference), q(g.category), {}, {}};
        }
        outputs[id][model] = q(g.output);
    }
    if (models.size() < 2)
        return QObject::tr("Evaluation %1 has outputs of %2 model(s); rating needs at least two.")
            .arg(evalId)
            .arg(models.size());
    QVector<RatingItem> all;
    for (const QString& id : itemOrder) {
        if (outputs[id].size() != models.size()) continue;
        RatingItem it = byItem[id];
        it.models = models;
        for (const QString& m : models) it.outputs << outputs[id][m];
        all.push_back(it);
    }
    if (all.isEmpty())
        return QObject::tr("No item of evaluation %1 has outputs of every model.").arg(evalId);
    std::mt19937 rng(seed);
    shuffle(all, rng);
    if (sampleSize > 0 && sampleSize < all.size()) all.resize(sampleSize);
    items_ = all;

    // (item, model) -> this rater's scores for this evaluation's outputs.
    QMap<QPair<QString, QString>, Entry> previous;
    auto rows = store_->list_ratings("", evalId);
    if (!rows.ok()) return q(rows.error().message);
    for (const auto& r : rows.value()) {
        if (q(r.rater) != rater_) continue;
        Entry e;
        e.scores = {r.relevance, r.coherence, r.fluency, r.completeness};
        e.notes = q(r.notes);
        previous[{q(r.item_id), q(r.model)}] = e;
    }
    for (const RatingItem& it : items_) {
        QVector<int> order = blindOrder(seed, it.itemId, it.models.size());
        if (!blind_)
            for (int k = 0; k < order.size(); ++k) order[k] = k;
        orders_.push_back(order);
        QVector<Entry> entries(it.models.size());
        for (int k = 0; k < it.models.size(); ++k)
            entries[k] = previous.value({it.itemId, it.models[k]});
        entries_.push_back(entries);
    }
    return {};
}

QString RatingSession::label(int i, int pos) const {
    if (blind_) {
        // A..Z, then A1, B1, ... (more than 26 models is unlikely but must not break).
        const QString letter(QChar('A' + pos % 26));
        return pos < 26 ? letter : letter + QString::number(pos / 26);
    }
    return modelAt(i, pos);
}

int RatingSession::score(int i, int pos, int criterion) const {
    return entry(i, pos).scores[criterion];
}

QString RatingSession::notes(int i, int pos) const { return entry(i, pos).notes; }

bool RatingSession::complete(int i, int pos) const {
    for (int s : entry(i, pos).scores)
        if (s < 1 || s > 5) return false;
    return true;
}

bool RatingSession::itemComplete(int i) const {
    for (int pos = 0; pos < outputs(i); ++pos)
        if (!complete(i, pos)) return false;
    return true;
}

int RatingSession::ratedItems() const {
    int n = 0;
    for (int i = 0; i < count(); ++i) n += itemComplete(i) ? 1 : 0;
    return n;
}

QString RatingSession::setScore(int i, int pos, int criterion, int value) {
    if (value < 0 || value > 5) return QObject::tr("Scores are 1 to 5.");
    Entry& e = entry(i, pos);
    if (e.scores[criterion] == value) return {};
    e.scores[criterion] = value;
    return complete(i, pos) ? save(i, pos) : QString();
}

QString RatingSession::setNotes(int i, int pos, const QString& notes) {
    Entry& e = entry(i, pos);
    if (e.notes == notes) return {};
    e.notes = notes;
    return complete(i, pos) ? save(i, pos) : QString();
}

QString RatingSession::save(int i, int pos) {
    const Entry& e = entry(i, pos);
    tb::store::RatingRow row;
    row.rater = rater_.toStdString();
    row.item_id = items_[i].itemId.toStdString();
    row.model = modelAt(i, pos).toStdString();  // the true model id, never the blind letter
    row.relevance = e.scores[0];
    row.coherence = e.scores[1];
    row.fluency = e.scores[2];
    row.completeness = e.scores[3];
    row.notes = e.notes.toStdString();
    row.eval_id = evalId_;
    tb::Status st = store_->upsert_rating(row);
    return st.ok() ? QString() : q(st.error().message);
}

// --- RatingPanel -------------------------------------------------------------------------------

RatingPanel::RatingPanel(QWidget* parent) : QWidget(parent) {
    auto* top = new QVBoxLayout(this);

    auto* setup = new QHBoxLayout;
    storeLabel_ = new QLabel(tr("No store open: choose a workspace."), this);
    evalCombo_ = new QComboBox(this);
    evalCombo_->setToolTip(tr("Evaluation whose generations are rated"));
    evalCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    evalCombo_->setMinimumContentsLength(12);
    raterEdit_ = new QLineEdit(this);
    raterEdit_->setPlaceholderText(tr("Rater name"));
    seedSpin_ = new QSpinBox(this);
    seedSpin_->setRange(0, 1000000000);
    seedSpin_->setValue(42);
    seedSpin_->setToolTip(tr("Seed of the item sample and of the blind order"));
    sampleSpin_ = new QSpinBox(this);
    sampleSpin_->setRange(1, 100000);
    sampleSpin_->setValue(50);
    sampleSpin_->setToolTip(tr("Number of test items to rate"));
    blindCombo_ = new QComboBox(this);
    blindCombo_->addItem(tr("Blind (A/B)"), true);
    blindCombo_->addItem(tr("Show model names"), false);
    auto* startButton = new QPushButton(tr("&Start rating"), this);
    setup->addWidget(new QLabel(tr("Evaluation:"), this));
    setup->addWidget(evalCombo_);
    setup->addWidget(new QLabel(tr("Rater:"), this));
    setup->addWidget(raterEdit_);
    setup->addWidget(new QLabel(tr("Seed:"), this));
    setup->addWidget(seedSpin_);
    setup->addWidget(new QLabel(tr("Items:"), this));
    setup->addWidget(sampleSpin_);
    setup->addWidget(blindCombo_);
    setup->addWidget(startButton);
    setup->addStretch();
    top->addWidget(storeLabel_);
    top->addLayout(setup);

    auto* nav = new QHBoxLayout;
    auto* prev = new QPushButton(tr("&Previous"), this);
    auto* next = new QPushButton(tr("&Next"), this);
    progress_ = new QLabel(this);
    errorLabel_ = new QLabel(this);
    errorLabel_->setStyleSheet("color: #b00020");
    nav->addWidget(prev);
    nav->addWidget(next);
    nav->addWidget(progress_);
    nav->addWidget(errorLabel_, 1);
    top->addLayout(nav);

    auto* split = new QSplitter(Qt::Vertical, this);
    auto* texts = new QSplitter(Qt::Horizontal, split);
    promptView_ = new QTextBrowser(texts);
    referenceView_ = new QTextBrowser(texts);
    promptView_->setFocusPolicy(Qt::NoFocus);
    referenceView_->setFocusPolicy(Qt::NoFocus);
    scroll_ = new QScrollArea(split);
    scroll_->setWidgetResizable(true);

    auto* summaryBox = new QWidget(split);
    auto* summaryLayout = new QVBoxLayout(summaryBox);
    summaryLayout->setContentsMargins(0, 0, 0, 0);
    chart_ = new QCustomPlot(summaryBox);
    chart_->setMinimumHeight(180);
    placeLegendBelow(chart_);
    chart_->yAxis->setRange(0, 5.5);
    chart_->yAxis->setLabel(tr("Mean score (95% CI)"));
    installChartExportMenu(chart_, "ratings_summary");
    alphaLabel_ = new QLabel(summaryBox);
    summaryLayout->addWidget(chart_, 1);
    summaryLayout->addWidget(alphaLabel_);
    split->setStretchFactor(1, 2);
    top->addWidget(split, 1);

    connect(startButton, &QPushButton::clicked, this, [this] { showError(start()); });
    // The summary follows the chosen evaluation.
    connect(evalCombo_, &QComboBox::currentIndexChanged, this, [this] { refreshSummary(); });
    connect(prev, &QPushButton::clicked, this, [this] {
        if (current_ > 0) showItem(current_ - 1);
    });
    connect(next, &QPushButton::clicked, this, &RatingPanel::nextItem);
    updateProgress();
}

RatingPanel::~RatingPanel() = default;

void RatingPanel::showError(const QString& msg) { errorLabel_->setText(msg); }

void RatingPanel::setWorkspaceDir(const QString& dir) {
    const QString path = dir + "/tunebench.sqlite";
    if (QFileInfo::exists(path)) {
        showError(openStore(path));
    } else {
        store_.reset();
        evalCombo_->clear();
        storeLabel_->setText(tr("No store in %1 yet: run an evaluation first.").arg(dir));
    }
}

QString RatingPanel::openStore(const QString& path) {
    evalCombo_->clear();
    session_ = RatingSession();
    current_ = -1;
    auto st = tb::store::Store::open(path.toStdString());
    if (!st.ok()) {
        store_.reset();
        storeLabel_->setText(tr("No store open: choose a workspace."));
        return q(st.error().message);
    }
    store_ = std::move(st.value());
    storeLabel_->setText(tr("Store: %1").arg(path));
    auto runs = store_->list_runs();
    if (!runs.ok()) return q(runs.error().message);
    for (const auto& r : runs.value()) {
        auto ids = store_->generations(r.id);
        if (!ids.ok() || ids.value().empty()) continue;
        QString title = tr("#%1 %2").arg(r.id).arg(q(r.name));
        evalCombo_->addItem(title.trimmed(), QVariant::fromValue<qint64>(r.id));
    }
    if (evalCombo_->count() == 0)
        storeLabel_->setText(
            tr("Store: %1 (no generations yet: run `tunebench-cli evaluate`)").arg(path));
    refreshSummary();
    return {};
}

QList<qint64> RatingPanel::evaluations() const {
    QList<qint64> ids;
    for (int k = 0; k < evalCombo_->count(); ++k) ids << evalCombo_->itemData(k).value<qint64>();
    return ids;
}

void RatingPanel::setRater(const QString& name) { raterEdit_->setText(name); }
void RatingPanel::setSeed(int seed) { seedSpin_->setValue(seed); }
void RatingPanel::setSampleSize(int n) { sampleSpin_->setValue(n); }
void RatingPanel::setBlind(bool blind) { blindCombo_->setCurrentIndex(blind ? 0 : 1); }
void RatingPanel::setEvaluation(qint64 evalId) {
    const int k = evalCombo_->findData(QVariant::fromValue<qint64>(evalId));
    if (k >= 0) evalCombo_->setCurrentIndex(k);
}

QString RatingPanel::start() {
    current_ = -1;
    if (evalCombo_->currentIndex() < 0) return tr("No evaluation with generations selected.");
    const QString err = session_.load(store_.get(), evalCombo_->currentData().value<qint64>(),
                                      raterEdit_->text(), static_cast<quint32>(seedSpin_->value()),
                                      sampleSpin_->value(), blindCombo_->currentData().toBool());
    if (!err.isEmpty()) {
        showItem(-1);
        return err;
    }
    // Resume at the first item this rater has not finished.
    int first = 0;
    while (first < session_.count() - 1 && session_.itemComplete(first)) ++first;
    showItem(first);
    refreshSummary();
    return {};
}

QString RatingPanel::outputTitle(int pos) const {
    return pos < titles_.size() ? titles_[pos]->text() : QString();
}

void RatingPanel::showItem(int i) {
    // Rebuild the per-output columns (the number of models may change with the evaluation).
    // The old page may hold the widget whose key event got us here (Enter): delete it later,
    // and silence it first so that its focus-out does not write into the new item.
    filling_ = true;
    if (QWidget* old = scroll_->takeWidget()) {
        for (QLineEdit* e : notesEdits_) disconnect(e, nullptr, this, nullptr);
        old->hide();
        old->setParent(nullptr);
        old->deleteLater();
    }
    filling_ = false;
    // Filled before it goes into the scroll area, so that its children are shown with it (and
    // can take the focus right away).
    outputsHost_ = new QWidget;
    auto* grid = new QGridLayout(outputsHost_);
    titles_.clear();
    outputViews_.clear();
    scoreSpins_.clear();
    notesEdits_.clear();
    current_ = (i >= 0 && i < session_.count()) ? i : -1;
    if (current_ < 0) {
        promptView_->clear();
        referenceView_->clear();
        scroll_->setWidget(outputsHost_);
        updateProgress();
        return;
    }
    const RatingItem& it = session_.item(current_);
    promptView_->setPlainText(tr("Prompt (%1, %2):\n\n%3").arg(it.itemId, it.category, it.prompt));
    referenceView_->setPlainText(tr("Reference:\n\n%1").arg(it.reference));
    filling_ = true;
    QWidget* prevFocus = nullptr;
    for (int pos = 0; pos < session_.outputs(current_); ++pos) {
        auto* title = new QLabel(tr("Output %1").arg(session_.label(current_, pos)), outputsHost_);
        QFont f = title->font();
        f.setBold(true);
        title->setFont(f);
        auto* view = new QTextBrowser(outputsHost_);
        view->setFocusPolicy(Qt::NoFocus);
        view->setPlainText(it.outputs[session_.order(current_)[pos]]);
        auto* form = new QFormLayout;
        std::array<QSpinBox*, kCriteria> spins{};
        for (int c = 0; c < kCriteria; ++c) {
            auto* spin = new QSpinBox(outputsHost_);
            spin->setRange(0, 5);
            spin->setSpecialValueText(tr("–"));
            spin->setValue(session_.score(current_, pos, c));
            spin->setToolTip(
                tr("Keys 1-5 set the score, Tab moves on, Enter saves and goes to "
                   "the next item"));
            spin->installEventFilter(this);
            connect(spin, &QSpinBox::valueChanged, this, [this, pos, c](int v) {
                if (filling_ || current_ < 0) return;
                const QString err = session_.setScore(current_, pos, c, v);
                showError(err);
                if (err.isEmpty() && session_.complete(current_, pos)) {
                    refreshSummary();
                    Q_EMIT ratingSaved();
                }
                updateProgress();
            });
            form->addRow(criterionTitle(c), spin);
            spins[c] = spin;
            if (prevFocus) setTabOrder(prevFocus, spin);
            prevFocus = spin;
        }
        auto* notes = new QLineEdit(outputsHost_);
        notes->setPlaceholderText(tr("Notes"));
        notes->setText(session_.notes(current_, pos));
        notes->installEventFilter(this);
        connect(notes, &QLineEdit::editingFinished, this, [this, pos, notes] {
            if (filling_ || current_ < 0) return;
            showError(session_.setNotes(current_, pos, notes->text()));
        });
        form->addRow(tr("Notes"), notes);
        setTabOrder(prevFocus, notes);
        prevFocus = notes;
        grid->addWidget(title, 0, pos);
        grid->addWidget(view, 1, pos);
        grid->addLayout(form, 2, pos);
        titles_ << title;
        outputViews_ << view;
        scoreSpins_.push_back(spins);
        notesEdits_ << notes;
    }
    filling_ = false;
    scroll_->setWidget(outputsHost_);
    updateProgress();
    focusCriterion(0, 0);
}

void RatingPanel::focusCriterion(int pos, int criterion) {
    if (pos < 0 || pos >= scoreSpins_.size()) return;
    QSpinBox* spin = scoreSpins_[pos][criterion];
    spin->setFocus(Qt::OtherFocusReason);
    spin->selectAll();
}

void RatingPanel::nextItem() {
    if (current_ < 0) return;
    // Notes typed without leaving the field are saved before moving on.
    for (int pos = 0; pos < notesEdits_.size(); ++pos)
        showError(session_.setNotes(current_, pos, notesEdits_[pos]->text()));
    if (current_ + 1 < session_.count()) showItem(current_ + 1);
}

bool RatingPanel::eventFilter(QObject* obj, QEvent* ev) {
    if (ev->type() != QEvent::KeyPress || current_ < 0) return QWidget::eventFilter(obj, ev);
    auto* key = static_cast<QKeyEvent*>(ev);
    if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
        nextItem();
        return true;
    }
    for (int pos = 0; pos < scoreSpins_.size(); ++pos) {
        for (int c = 0; c < kCriteria; ++c) {
            if (obj != scoreSpins_[pos][c]) continue;
            if (key->key() >= Qt::Key_1 && key->key() <= Qt::Key_5) {
                scoreSpins_[pos][c]->setValue(key->key() - Qt::Key_0);
                // Move on: next criterion, then the first criterion of the next output.
                if (c + 1 < kCriteria)
                    focusCriterion(pos, c + 1);
                else if (pos + 1 < scoreSpins_.size())
                    focusCriterion(pos + 1, 0);
                return true;
            }
            // Any other text key would make the spin box show invalid input.
            if (!key->text().isEmpty() && key->text().at(0).isPrint()) return true;
        }
    }
    return QWidget::eventFilter(obj, ev);
}

void RatingPanel::updateProgress() {
    if (session_.count() == 0) {
        progress_->setText(tr("Not started"));
        return;
    }
    progress_->setText(tr("Item %1 of %2 · %3 / %4 rated")
                           .arg(current_ + 1)
                           .arg(session_.count())
                           .arg(session_.ratedItems())
                           .arg(session_.count()));
}

QString RatingPanel::progressText() const { return progress_->text(); }
QString RatingPanel::agreementText() const { return alphaLabel_->text(); }

void RatingPanel::refreshSummary() {
    chart_->clearPlottables();
    summary_ = {};
    raterCount_ = 0;
    alphaLabel_->clear();
    if (!store_) {
        chart_->replot();
        return;
    }
    const qint64 evalId =
        evalCombo_->currentIndex() >= 0 ? evalCombo_->currentData().value<qint64>() : -1;
    auto sum = store_->ratings_summary(evalId);
    auto rows = store_->list_ratings("", evalId);
    if (!sum.ok() || !rows.ok()) {
        showError(q(!sum.ok() ? sum.error().message : rows.error().message));
        chart_->replot();
        return;
    }
    summary_ = sum.value();
    QSet<QString> raters;
    for (const auto& r : rows.value()) raters.insert(q(r.rater));
    raterCount_ = raters.size();

    // Grouped bars: x = criterion, one bar per model, error bars for the 95% CI.
    const int nm = static_cast<int>(summary_.models.size());
    const double width = nm > 0 ? 0.8 / nm : 0.8;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int c = 0; c < kCriteria; ++c) ticker->addTick(c + 1, criterionTitle(c));
    chart_->xAxis->setTicker(ticker);
    chart_->xAxis->setRange(0.4, kCriteria + 0.6);
    for (int m = 0; m < nm; ++m) {
        const auto& ms = summary_.models[m];
        auto* bars = new QCPBars(chart_->xAxis, chart_->yAxis);
        bars->setName(q(ms.model));
        bars->setWidth(width);
        const QColor color = QColor::fromHsv((m * 360 / std::max(nm, 1) + 210) % 360, 140, 210);
        bars->setBrush(color);
        bars->setPen(color.darker());
        auto* err = new QCPErrorBars(chart_->xAxis, chart_->yAxis);
        err->removeFromLegend();
        QVector<double> x, y, lo, hi;
        for (size_t c = 0; c < ms.criteria.size(); ++c) {
            const auto& cs = ms.criteria[c];
            x << (c + 1) - 0.4 + width * (m + 0.5);
            y << cs.mean;
            lo << cs.mean - cs.ci_lo;
            hi << cs.ci_hi - cs.mean;
        }
        bars->setData(x, y, true);
        err->setDataPlottable(bars);
        err->setData(lo, hi);
    }
    chart_->replot();

    if (raterCount_ >= 2) {
        QStringList parts;
        for (const auto& a : summary_.agreement) {
            const int c = static_cast<int>(&a - summary_.agreement.data());
            const QString name = c < kCriteria ? criterionTitle(c) : q(a.criterion);
            parts << (a.alpha_interval ? tr("%1 %2").arg(name).arg(*a.alpha_interval, 0, 'f', 3)
                                       : tr("%1 undefined").arg(name));
        }
        alphaLabel_->setText(tr("Krippendorff's alpha (interval, %1 raters): %2")
                                 .arg(raterCount_)
                                 .arg(parts.join(tr(", "))));
    } else {
        alphaLabel_->setText(tr("Inter-rater agreement needs ratings from at least two raters."));
    }
}

}  // namespace tbui
