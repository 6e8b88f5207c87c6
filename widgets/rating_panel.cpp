#include "widgets/rating_panel.h"

#include <QButtonGroup>
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
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QSet>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <algorithm>
#include <random>
#include <tuple>

#include "widgets/chart_style.h"
#include "widgets/export.h"
#include "widgets/language.h"
#include "widgets/qcp.h"
#include "widgets/qstring_of.h"

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

QString RatingSession::letter(int pos) {
    // A..Z, then A1, B1, ... (more than 26 models is unlikely but must not break).
    const QString l(QChar('A' + pos % 26));
    return pos < 26 ? l : l + QString::number(pos / 26);
}

QVector<QVector<int>> RatingSession::balancedOrders(int count, int n, quint32 seed) {
    std::mt19937 rng(seed);
    QVector<int> base(n);
    for (int k = 0; k < n; ++k) base[k] = k;
    shuffle(base, rng);
    // Rotation k puts base[k] first; equally many items get each rotation, so each model is
    // first (and at every other position) equally often over the batch, whatever the seed.
    QVector<int> rotations(count);
    for (int k = 0; k < count; ++k) rotations[k] = n > 0 ? k % n : 0;
    shuffle(rotations, rng);
    QVector<QVector<int>> out(count, QVector<int>(n));
    for (int k = 0; k < count; ++k)
        for (int j = 0; j < n; ++j) out[k][j] = base[(rotations[k] + j) % n];
    return out;
}

QVector<QPair<int, int>> RatingSession::pairs(int outputs) {
    QVector<QPair<int, int>> out;
    for (int p = 0; p < outputs; ++p)
        for (int q = p + 1; q < outputs; ++q) out.push_back({p, q});
    return out;
}

QString RatingSession::load(tb::store::Store* store, qint64 evalId, const QString& rater,
                            quint32 seed, int sampleSize, bool blind,
                            std::optional<quint32> orderSeed) {
    store_ = store;
    evalId_ = evalId;
    rater_ = rater.trimmed();
    hidden_ = true;
    items_.clear();
    orders_.clear();
    entries_.clear();
    prefs_.clear();
    if (!store_) return QObject::tr("No store is open.");
    if (rater_.isEmpty()) return QObject::tr("Enter the rater's name first.");
    auto gens = store_->generations(evalId);
    if (!gens.ok()) return q(gens.error().message);
    auto messages = store_->user_messages(evalId);
    if (!messages.ok()) return q(messages.error().message);
    QMap<QString, QPair<QString, QString>> userMessage;  // item -> (instruction, context)
    for (const auto& m : messages.value())
        userMessage[q(m.item_id)] = {q(m.instruction), q(m.context)};

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
            const auto msg = userMessage.value(id);
            byItem[id] = RatingItem{
                id, msg.first, msg.second, q(g.prompt), q(g.reference), q(g.category), {}, {}};
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

    // Showing the names is revealing: stored, so later blind sessions know.
    if (!blind) {
        tb::Status st = store_->reveal_ratings(rater_.toStdString(), evalId);
        if (!st.ok()) return q(st.error().message);
    }
    auto revealed = store_->ratings_revealed_at(rater_.toStdString(), evalId);
    if (!revealed.ok()) return q(revealed.error().message);
    hidden_ = !revealed.value().has_value();

    // Display orders: the stored one of each item; items without one get a balanced random
    // order, stored before anything is shown (the store keeps the first order it receives, so
    // two sessions of the same rater cannot disagree; it is read back below).
    auto readOrders = [&](QMap<QString, QStringList>& out) -> QString {
        out.clear();
        auto rows = store_->rating_orders(rater_.toStdString(), evalId);
        if (!rows.ok()) return q(rows.error().message);
        for (const auto& r : rows.value()) out[q(r.item_id)] << q(r.model);
        return {};
    };
    QMap<QString, QStringList> stored;
    QString err = readOrders(stored);
    if (!err.isEmpty()) return err;
    QVector<int> missing;
    for (int i = 0; i < all.size(); ++i)
        if (!stored.contains(all[i].itemId)) missing << i;
    if (!missing.isEmpty()) {
        const quint32 s = orderSeed ? *orderSeed : std::random_device{}();
        const auto drawn = balancedOrders(missing.size(), models.size(), s);
        std::vector<tb::store::RatingOrderRow> rows;
        for (int k = 0; k < missing.size(); ++k) {
            const RatingItem& it = all[missing[k]];
            for (int pos = 0; pos < drawn[k].size(); ++pos) {
                tb::store::RatingOrderRow r;
                r.rater = rater_.toStdString();
                r.eval_id = evalId;
                r.item_id = it.itemId.toStdString();
                r.position = pos;
                r.model = it.models[drawn[k][pos]].toStdString();
                r.seed = s;
                rows.push_back(std::move(r));
            }
        }
        tb::Status st = store_->add_rating_orders(rows);
        if (!st.ok()) return q(st.error().message);
        err = readOrders(stored);
        if (!err.isEmpty()) return err;
    }
    items_ = all;
    for (const RatingItem& it : items_) {
        const QStringList shown = stored.value(it.itemId);
        QVector<int> order;
        for (const QString& m : shown) order << it.models.indexOf(m);
        QVector<int> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (int k = 0; k < sorted.size(); ++k)
            if (sorted[k] != k || sorted.size() != it.models.size()) {
                items_.clear();
                orders_.clear();
                return RatingPanel::tr(
                           "The stored order of item %1 (%2) does not match the "
                           "models of evaluation %3.")
                    .arg(it.itemId, shown.join(QStringLiteral(", ")))
                    .arg(evalId);
            }
        orders_.push_back(order);
    }

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
    // (item, first model, second model) as stored -> choice.
    QMap<std::tuple<QString, QString, QString>, QString> answered;
    auto prefs = store_->list_preferences(evalId);
    if (!prefs.ok()) return q(prefs.error().message);
    for (const auto& r : prefs.value())
        if (q(r.rater) == rater_)
            answered[{q(r.item_id), q(r.model_a), q(r.model_b)}] = q(r.choice);
    for (int i = 0; i < items_.size(); ++i) {
        const RatingItem& it = items_[i];
        QVector<Entry> entries(it.models.size());
        for (int k = 0; k < it.models.size(); ++k)
            entries[k] = previous.value({it.itemId, it.models[k]});
        entries_.push_back(entries);
        QVector<QString> choices;
        for (const auto& [p, qq] : pairs(it.models.size())) {
            const QString a = modelAt(i, p), b = modelAt(i, qq);
            QString c = answered.value({it.itemId, a, b});
            if (c.isEmpty()) {
                // Stored with the pair the other way round: translate to this display.
                c = answered.value({it.itemId, b, a});
                if (c == QLatin1String("a"))
                    c = QStringLiteral("b");
                else if (c == QLatin1String("b"))
                    c = QStringLiteral("a");
            }
            choices << c;
        }
        prefs_.push_back(choices);
    }
    return {};
}

QString RatingSession::reveal() {
    if (!store_ || rater_.isEmpty()) return RatingPanel::tr("No rating session is running.");
    tb::Status st = store_->reveal_ratings(rater_.toStdString(), evalId_);
    if (!st.ok()) return q(st.error().message);
    hidden_ = false;
    return {};
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
    for (const QString& c : prefs_[i])
        if (c.isEmpty()) return false;
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

QString RatingSession::setPreference(int i, int pair, const QString& choice) {
    if (choice != QLatin1String("a") && choice != QLatin1String("b") &&
        choice != QLatin1String("tie"))
        return RatingPanel::tr("A preference is A, B or tie.");
    const auto pp = pairs(outputs(i));
    if (pair < 0 || pair >= pp.size()) return RatingPanel::tr("No such pair of outputs.");
    tb::store::PreferenceRow row;
    row.rater = rater_.toStdString();
    row.eval_id = evalId_;
    row.item_id = items_[i].itemId.toStdString();
    row.model_a = modelAt(i, pp[pair].first).toStdString();  // true model ids, resolved
    row.model_b = modelAt(i, pp[pair].second).toStdString();
    row.choice = choice.toStdString();
    row.blind = hidden_;
    tb::Status st = store_->upsert_preference(row);
    if (!st.ok()) return q(st.error().message);
    prefs_[i][pair] = choice;
    return {};
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
    row.blind = hidden_;
    tb::Status st = store_->upsert_rating(row);
    return st.ok() ? QString() : q(st.error().message);
}

// --- RatingPanel -------------------------------------------------------------------------------

QString RatingPanel::rubric(int criterion, int score) {
    // Anchored descriptions: raters agree more when every level says what it looks like.
    static const char* const kText[kCriteria][5] = {
        {QT_TR_NOOP("Off-topic: does not address the user's request."),
         QT_TR_NOOP("Touches the topic but misses what was asked."),
         QT_TR_NOOP("Partly addresses the request; a main part is ignored or misread."),
         QT_TR_NOOP("Addresses the request, with minor drift or a small part left aside."),
         QT_TR_NOOP("Fully on point: everything in it answers what was asked.")},
        {QT_TR_NOOP("Incoherent: contradictory or unrelated statements."),
         QT_TR_NOOP("Hard to follow: ideas jump or contradict each other."),
         QT_TR_NOOP("Understandable, with gaps or a weak order of ideas."),
         QT_TR_NOOP("Logically ordered, with small lapses."),
         QT_TR_NOOP("Clear and consistent from start to end.")},
        {QT_TR_NOOP("Unreadable: broken words, loops of repeated text or stray tokens."),
         QT_TR_NOOP("Many grammar errors or repetitions that get in the way of reading."),
         QT_TR_NOOP("Readable, with noticeable errors or awkward phrasing."),
         QT_TR_NOOP("Natural, with at most a few minor slips."),
         QT_TR_NOOP("Flawless, natural language.")},
        {QT_TR_NOOP("Nothing of what the task needs (empty or cut off at once)."),
         QT_TR_NOOP("A small part; most of what is needed is missing."),
         QT_TR_NOOP("About half; key points are missing."),
         QT_TR_NOOP("Most of it; a minor point is missing."),
         QT_TR_NOOP("Everything the task needs (compare with the reference).")}};
    if (criterion < 0 || criterion >= kCriteria || score < 1 || score > 5) return {};
    return tr(kText[criterion][score - 1]);
}

QString RatingPanel::rubricTooltip(int criterion) {
    static const char* const kWhat[kCriteria] = {
        QT_TR_NOOP("Does the answer address what the user asked?"),
        QT_TR_NOOP("Is the answer logically consistent and well ordered?"),
        QT_TR_NOOP("Is the language correct and natural?"),
        QT_TR_NOOP("Does the answer contain everything the task needs?")};
    QString html =
        QStringLiteral("<p><b>%1</b>: %2</p><table>")
            .arg(criterionTitle(criterion).toHtmlEscaped(), tr(kWhat[criterion]).toHtmlEscaped());
    for (int v = 5; v >= 1; --v)
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(v)
                    .arg(rubric(criterion, v).toHtmlEscaped());
    return html + QStringLiteral("</table><p>") +
           tr("Keys 1-5 set the score, Tab moves on, Enter saves and goes to the next item")
               .toHtmlEscaped() +
           QStringLiteral("</p>");
}

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
    // At 1280 px the row is at its minimum: the name field shrank to "Nombr…".
    raterEdit_->setMinimumWidth(raterEdit_->fontMetrics().averageCharWidth() * 16);
    seedSpin_ = new QSpinBox(this);
    seedSpin_->setRange(0, 1000000000);
    seedSpin_->setValue(42);
    seedSpin_->setToolTip(
        tr("Seed of the item sample (raters with the same seed rate the same items; the A/B "
           "order is drawn at random per rater and stored)"));
    sampleSpin_ = new QSpinBox(this);
    sampleSpin_->setRange(1, 100000);
    sampleSpin_->setValue(50);
    sampleSpin_->setToolTip(tr("Number of test items to rate"));
    blindCombo_ = new QComboBox(this);
    blindCombo_->addItem(tr("Blind (A/B)"), true);
    blindCombo_->addItem(tr("Show model names"), false);
    blindCombo_->setToolTip(
        tr("Blind: no name, colour, position or result gives a model away until you press "
           "Reveal models. Showing the names counts as revealing."));
    auto* startButton = new QPushButton(tr("&Start rating"), this);
    revealButton_ = new QPushButton(tr("Reveal &models…"), this);
    revealButton_->setToolTip(
        tr("Show which model wrote each output and the results. Cannot be undone: later "
           "answers of this rater on this evaluation are stored as not blind."));
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
    setup->addWidget(revealButton_);
    setup->addStretch();
    top->addWidget(storeLabel_);
    top->addLayout(setup);

    auto* nav = new QHBoxLayout;
    auto* prev = new QPushButton(tr("&Previous"), this);
    auto* next = new QPushButton(tr("&Next"), this);
    progress_ = new QLabel(this);
    errorLabel_ = new QLabel(this);
    errorLabel_->setStyleSheet("color: #b00020");
    errorLabel_->setWordWrap(true);
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
    // Tall enough for the criterion labels, the legend row and the title even before any
    // rating exists (it showed squashed 0-5 axes at about 100 px).
    chart_->setMinimumHeight(240);
    chart::setup(chart_, {tr("Human ratings: mean score per criterion"), tr("criterion"),
                          tr("mean score, 1-5 (95% CI)"), "ratings_summary", true,
                          tr("No ratings yet.\nScore outputs above; the means per model "
                             "appear here.")});
    chart_->yAxis->setRange(0, 5.5);
    hiddenNote_ = new QLabel(summaryBox);
    hiddenNote_->setWordWrap(true);
    hiddenNote_->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    preferenceLabel_ = new QLabel(summaryBox);
    preferenceLabel_->setWordWrap(true);
    alphaLabel_ = new QLabel(summaryBox);
    summaryLayout->addWidget(chart_, 1);
    summaryLayout->addWidget(hiddenNote_);
    summaryLayout->addWidget(preferenceLabel_);
    summaryLayout->addWidget(alphaLabel_);
    // The outputs with their scores, rubric and preference get most of the height; the
    // summary is small while blind (a note) and takes its share after the reveal.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 1);
    split->setSizes({200, 600, 260});
    summaryBox->setMinimumHeight(260);
    top->addWidget(split, 1);

    connect(startButton, &QPushButton::clicked, this, [this] { showError(start()); });
    connect(revealButton_, &QPushButton::clicked, this, [this] {
        if (session_.count() == 0 || !session_.hidden()) return;
        const int left = session_.count() - session_.ratedItems();
        QString text = tr("Show which model wrote each output, and the results, to %1 for this "
                          "evaluation? This cannot be undone.")
                           .arg(session_.rater());
        if (left > 0)
            text += QStringLiteral("\n\n") +
                    tr("%1 of %2 items are not finished; answers given after revealing are "
                       "stored as not blind.")
                        .arg(left)
                        .arg(session_.count());
        if (QMessageBox::question(this, tr("Reveal models"), text) == QMessageBox::Yes)
            showError(reveal());
    });
    // The summary and the evaluation titles follow the chosen evaluation, rater and mode.
    connect(evalCombo_, &QComboBox::currentIndexChanged, this, [this] {
        refreshSummary();
        updateRevealButton();
    });
    connect(raterEdit_, &QLineEdit::textChanged, this, [this] {
        refreshEvalTitles();
        refreshSummary();
        updateRevealButton();
    });
    connect(blindCombo_, &QComboBox::currentIndexChanged, this, [this] {
        refreshEvalTitles();
        refreshSummary();
    });
    connect(prev, &QPushButton::clicked, this, [this] {
        if (current_ > 0) showItem(current_ - 1);
    });
    connect(next, &QPushButton::clicked, this, &RatingPanel::nextItem);
    updateProgress();
    updateRevealButton();
}

RatingPanel::~RatingPanel() = default;

void RatingPanel::showError(const QString& msg) { errorLabel_->setText(msg); }

void RatingPanel::setWorkspaceDir(const QString& dir) {
    const QString path = dir + "/tunebench.sqlite";
    if (QFileInfo::exists(path)) {
        showError(openStore(path));
    } else {
        store_.reset();
        evals_.clear();
        evalCombo_->clear();
        storeLabel_->setText(tr("No store in %1 yet: run an evaluation first.").arg(dir));
    }
}

QString RatingPanel::openStore(const QString& path) {
    session_ = RatingSession();
    current_ = -1;
    evals_.clear();
    {
        const QSignalBlocker block(evalCombo_);
        evalCombo_->clear();
    }
    auto st = tb::store::Store::open(path.toStdString());
    if (!st.ok()) {
        store_.reset();
        storeLabel_->setText(tr("No store open: choose a workspace."));
        return q(st.error().message);
    }
    store_ = std::move(st.value());
    names_.load(*store_);
    storeLabel_->setText(tr("Store: %1").arg(path));
    auto runs = store_->list_runs();
    if (!runs.ok()) return q(runs.error().message);
    {
        const QSignalBlocker block(evalCombo_);
        for (const auto& r : runs.value()) {
            auto gens = store_->generations(r.id);
            if (!gens.ok() || gens.value().empty()) continue;
            QSet<QString> models, items;
            for (const auto& g : gens.value()) {
                models.insert(q(g.model));
                items.insert(q(g.item_id));
            }
            EvalEntry e;
            e.id = r.id;
            e.name = q(r.name);
            e.startedAt = q(r.started_at).left(16).replace(QLatin1Char('T'), QLatin1Char(' '));
            e.models = models.size();
            e.items = items.size();
            evals_ << e;
            evalCombo_->addItem(QString(), QVariant::fromValue<qint64>(r.id));
        }
    }
    refreshEvalTitles();
    if (evalCombo_->count() == 0)
        storeLabel_->setText(
            tr("Store: %1 (no generations yet: run `tunebench-cli evaluate`)").arg(path));
    refreshSummary();
    showItem(-1);
    updateRevealButton();
    return {};
}

QList<qint64> RatingPanel::evaluations() const {
    QList<qint64> ids;
    for (int k = 0; k < evalCombo_->count(); ++k) ids << evalCombo_->itemData(k).value<qint64>();
    return ids;
}

qint64 RatingPanel::selectedEval() const {
    return evalCombo_->currentIndex() >= 0 ? evalCombo_->currentData().value<qint64>() : -1;
}

bool RatingPanel::revealedInStore(qint64 evalId) const {
    const QString rater = raterEdit_->text().trimmed();
    if (!store_ || rater.isEmpty() || evalId < 0) return false;
    auto r = store_->ratings_revealed_at(rater.toStdString(), evalId);
    return r.ok() && r.value().has_value();
}

bool RatingPanel::namesHidden() const {
    // The running session decides for its own evaluation and rater; otherwise the controls do
    // (blind mode shows nothing about models that this rater has not revealed).
    if (session_.count() > 0 && session_.evalId() == selectedEval() &&
        session_.rater() == raterEdit_->text().trimmed())
        return session_.hidden();
    if (!blindCombo_->currentData().toBool()) return false;
    return !revealedInStore(selectedEval());
}

void RatingPanel::refreshEvalTitles() {
    const bool blind = blindCombo_->currentData().toBool();
    for (int k = 0; k < evals_.size() && k < evalCombo_->count(); ++k) {
        const EvalEntry& e = evals_[k];
        // The run's name lists the models ("models=base,/path/to/adapter"): withheld while
        // blind, like every other name.
        const bool hide = blind && !revealedInStore(e.id);
        evalCombo_->setItemText(k, hide ? tr("#%1 (%2 models, %3 items, %4)")
                                              .arg(e.id)
                                              .arg(e.models)
                                              .arg(e.items)
                                              .arg(e.startedAt)
                                        : tr("#%1 %2").arg(e.id).arg(e.name).trimmed());
    }
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
    const QString err = session_.load(
        store_.get(), selectedEval(), raterEdit_->text(), static_cast<quint32>(seedSpin_->value()),
        sampleSpin_->value(), blindCombo_->currentData().toBool(), orderSeed_);
    if (!err.isEmpty()) {
        session_ = RatingSession();
        showItem(-1);
        updateRevealButton();
        return err;
    }
    // Resume at the first item this rater has not finished.
    int first = 0;
    while (first < session_.count() - 1 && session_.itemComplete(first)) ++first;
    showItem(first);
    refreshEvalTitles();
    refreshSummary();
    updateRevealButton();
    return {};
}

QString RatingPanel::reveal() {
    if (session_.count() == 0) return tr("No rating session is running.");
    const QString err = session_.reveal();
    if (!err.isEmpty()) return err;
    showItem(current_);
    refreshEvalTitles();
    refreshSummary();
    updateRevealButton();
    return {};
}

void RatingPanel::updateRevealButton() {
    revealButton_->setEnabled(session_.count() > 0 && session_.hidden());
}

QString RatingPanel::outputTitle(int pos) const {
    return pos < titles_.size() ? titles_[pos]->text() : QString();
}

QString RatingPanel::promptText() const { return promptView_->toPlainText(); }

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
    rubricLabels_.clear();
    notesEdits_.clear();
    prefGroups_.clear();
    current_ = (i >= 0 && i < session_.count()) ? i : -1;
    if (current_ < 0) {
        promptView_->clear();
        referenceView_->clear();
        scroll_->setWidget(outputsHost_);
        updateProgress();
        return;
    }
    const RatingItem& it = session_.item(current_);
    // The user's message as written; the rendered template (special tokens, role markers)
    // only for evaluations stored before the message was kept.
    auto section = [](const QString& title, const QString& body) {
        return QStringLiteral("<p><b>%1</b></p><p style=\"white-space: pre-wrap\">%2</p>")
            .arg(title.toHtmlEscaped(), body.toHtmlEscaped());
    };
    QString html = QStringLiteral("<p style=\"color: gray\">%1</p>")
                       .arg(tr("Item %1 · %2").arg(it.itemId, it.category).toHtmlEscaped());
    if (!it.instruction.isEmpty()) {
        html += section(tr("User's message"), it.instruction);
        if (!it.context.isEmpty()) html += section(tr("Context"), it.context);
    } else {
        html += section(tr("Prompt as the model saw it (this evaluation was run before "
                           "tunebench kept the user's message)"),
                        it.renderedPrompt);
    }
    promptView_->setHtml(html);
    referenceView_->setHtml(section(tr("Reference"), it.reference));
    filling_ = true;
    QWidget* prevFocus = nullptr;
    const bool hidden = session_.hidden();
    for (int pos = 0; pos < session_.outputs(current_); ++pos) {
        const QString letter = RatingSession::letter(pos);
        auto* title =
            new QLabel(hidden ? tr("Output %1").arg(letter)
                              : tr("Output %1: %2").arg(letter, session_.modelAt(current_, pos)),
                       outputsHost_);
        QFont f = title->font();
        f.setBold(true);
        title->setFont(f);
        title->setWordWrap(true);
        auto* view = new QTextBrowser(outputsHost_);
        view->setFocusPolicy(Qt::NoFocus);
        // Capped so that the scores and the preference question stay in view; long outputs
        // scroll inside their own box.
        view->setMaximumHeight(view->fontMetrics().lineSpacing() * 10);
        view->setPlainText(it.outputs[session_.order(current_)[pos]]);
        auto* form = new QFormLayout;
        std::array<QSpinBox*, kCriteria> spins{};
        std::array<QLabel*, kCriteria> rubrics{};
        for (int c = 0; c < kCriteria; ++c) {
            auto* spin = new QSpinBox(outputsHost_);
            spin->setRange(0, 5);
            spin->setSpecialValueText(tr("–"));
            spin->setValue(session_.score(current_, pos, c));
            spin->setToolTip(rubricTooltip(c));
            spin->installEventFilter(this);
            // The rubric of the chosen score beside the control; the whole scale on hover.
            auto* rubricLabel = new QLabel(outputsHost_);
            rubricLabel->setWordWrap(true);
            rubricLabel->setToolTip(rubricTooltip(c));
            rubricLabel->setStyleSheet("color: #555");
            auto describe = [rubricLabel, c](int v) {
                rubricLabel->setText(v >= 1 ? tr("%1 – %2").arg(v).arg(rubric(c, v))
                                            : tr("Not scored: 1 (worst) to 5 (best); hover "
                                                 "for the rubric"));
            };
            describe(spin->value());
            connect(spin, &QSpinBox::valueChanged, rubricLabel, describe);
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
            auto* row = new QHBoxLayout;
            row->addWidget(spin);
            row->addWidget(rubricLabel, 1);
            auto* name = new QLabel(criterionTitle(c), outputsHost_);
            name->setToolTip(rubricTooltip(c));
            form->addRow(name, row);
            spins[c] = spin;
            rubrics[c] = rubricLabel;
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
        rubricLabels_.push_back(rubrics);
        notesEdits_ << notes;
    }
    // The pairwise question of pairwise evaluation, for every pair of outputs.
    const auto pairs = RatingSession::pairs(session_.outputs(current_));
    for (int k = 0; k < pairs.size(); ++k) {
        const QString a = RatingSession::letter(pairs[k].first);
        const QString b = RatingSession::letter(pairs[k].second);
        auto* row = new QHBoxLayout;
        auto* question =
            new QLabel(pairs.size() == 1 ? tr("Which output is better overall?")
                                         : tr("%1 or %2: which is better overall?").arg(a, b),
                       outputsHost_);
        QFont f = question->font();
        f.setBold(true);
        question->setFont(f);
        question->setToolTip(tr("The answer you would rather receive, all criteria together. "
                                "Tie when neither is better. Keys: %1, %2, T.")
                                 .arg(a, b));
        row->addWidget(question);
        auto* group = new QButtonGroup(outputsHost_);
        const QString choice = session_.preference(current_, k);
        const QString texts[] = {tr("%1 is better").arg(a), tr("%1 is better").arg(b), tr("Tie")};
        const QString ids[] = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("tie")};
        for (int id = 0; id < 3; ++id) {
            auto* button = new QRadioButton(texts[id], outputsHost_);
            button->setChecked(choice == ids[id]);
            button->installEventFilter(this);
            group->addButton(button, id);
            row->addWidget(button);
            setTabOrder(prevFocus, button);
            prevFocus = button;
        }
        row->addStretch();
        connect(group, &QButtonGroup::idClicked, this, [this, k](int id) {
            if (filling_ || current_ < 0) return;
            static const char* const kChoice[] = {"a", "b", "tie"};
            const QString err = session_.setPreference(current_, k, QLatin1String(kChoice[id]));
            showError(err);
            if (err.isEmpty()) {
                refreshSummary();
                Q_EMIT ratingSaved();
            }
            updateProgress();
        });
        grid->addLayout(row, 3 + k, 0, 1, session_.outputs(current_));
        prefGroups_ << group;
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

void RatingPanel::choosePreference(int pair, const QString& choice) {
    if (pair < 0 || pair >= prefGroups_.size()) return;
    const int id = choice == QLatin1String("a") ? 0 : choice == QLatin1String("b") ? 1 : 2;
    if (QAbstractButton* b = prefGroups_[pair]->button(id)) b->click();
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
                // Move on: next criterion, the first criterion of the next output, then the
                // preference question.
                if (c + 1 < kCriteria)
                    focusCriterion(pos, c + 1);
                else if (pos + 1 < scoreSpins_.size())
                    focusCriterion(pos + 1, 0);
                else if (!prefGroups_.isEmpty())
                    prefGroups_[0]->button(0)->setFocus(Qt::OtherFocusReason);
                return true;
            }
            // Any other text key would make the spin box show invalid input.
            if (!key->text().isEmpty() && key->text().at(0).isPrint()) return true;
        }
    }
    const auto pairs = RatingSession::pairs(scoreSpins_.size());
    for (int k = 0; k < prefGroups_.size() && k < pairs.size(); ++k) {
        if (!prefGroups_[k]->buttons().contains(qobject_cast<QAbstractButton*>(obj))) continue;
        const QString text = key->text().toUpper();
        QString choice;
        if (text == RatingSession::letter(pairs[k].first))
            choice = QStringLiteral("a");
        else if (text == RatingSession::letter(pairs[k].second))
            choice = QStringLiteral("b");
        else if (text == QLatin1String("T"))
            choice = QStringLiteral("tie");
        if (choice.isEmpty()) break;
        choosePreference(k, choice);
        if (k + 1 < prefGroups_.size())
            prefGroups_[k + 1]->button(0)->setFocus(Qt::OtherFocusReason);
        return true;
    }
    return QWidget::eventFilter(obj, ev);
}

void RatingPanel::updateProgress() {
    if (session_.count() == 0) {
        progress_->setText(tr("Not started"));
        return;
    }
    progress_->setText(tr("Item %1 of %2 · %3 / %4 rated · %5")
                           .arg(current_ + 1)
                           .arg(session_.count())
                           .arg(session_.ratedItems())
                           .arg(session_.count())
                           .arg(session_.hidden() ? tr("blind") : tr("models revealed")));
}

QString RatingPanel::progressText() const { return progress_->text(); }
QString RatingPanel::agreementText() const { return alphaLabel_->text(); }
QString RatingPanel::preferenceText() const { return preferenceLabel_->text(); }

void RatingPanel::refreshSummary() {
    chart_->clearPlottables();
    summary_ = {};
    preferences_.clear();
    raterCount_ = 0;
    alphaLabel_->clear();
    preferenceLabel_->clear();
    hiddenNote_->clear();
    if (!store_) {
        chart::refresh(chart_);
        return;
    }
    const qint64 evalId = selectedEval();
    auto sum = store_->ratings_summary(evalId);
    auto rows = store_->list_ratings("", evalId);
    auto prefRows = store_->list_preferences(evalId);
    auto prefs = store_->preference_summary(evalId);
    if (!sum.ok() || !rows.ok() || !prefRows.ok() || !prefs.ok()) {
        showError(q(!sum.ok()        ? sum.error().message
                    : !rows.ok()     ? rows.error().message
                    : !prefRows.ok() ? prefRows.error().message
                                     : prefs.error().message));
        chart::refresh(chart_);
        return;
    }
    QSet<QString> raters;
    for (const auto& r : rows.value()) raters.insert(q(r.rater));
    raterCount_ = raters.size();

    // Agreement says nothing about which model is which: shown blind too.
    if (raterCount_ >= 2) {
        QStringList parts;
        for (const auto& a : sum.value().agreement) {
            const int c = static_cast<int>(&a - sum.value().agreement.data());
            const QString name = c < kCriteria ? criterionTitle(c) : q(a.criterion);
            parts << (a.alpha_interval
                          ? tr("%1 %2").arg(name).arg(localNumber(*a.alpha_interval, 'f', 3))
                          : tr("%1 undefined").arg(name));
        }
        alphaLabel_->setText(tr("Krippendorff's alpha (interval, %1 raters): %2")
                                 .arg(raterCount_)
                                 .arg(parts.join(tr(", "))));
    } else {
        alphaLabel_->setText(tr("Inter-rater agreement needs ratings from at least two raters."));
    }

    if (namesHidden()) {
        // Nothing per model while blind: a bar that grows as output A is scored tells which
        // model A is (the leak), and even unnamed running means bias the next scores.
        const QString rater = raterEdit_->text().trimmed();
        int mine = 0, minePrefs = 0;
        for (const auto& r : rows.value()) mine += q(r.rater) == rater ? 1 : 0;
        for (const auto& r : prefRows.value()) minePrefs += q(r.rater) == rater ? 1 : 0;
        chart_->hide();
        hiddenNote_->show();
        hiddenNote_->setText(
            tr("Results stay hidden while you rate blind: a chart per model would tell which "
               "output is which.\nSaved in this evaluation: %1 scored outputs and %2 "
               "preferences from you, %3 scored outputs from all raters. Press “Reveal "
               "models” when you have finished.")
                .arg(mine)
                .arg(minePrefs)
                .arg(rows.value().size()));
        chart::refresh(chart_);
        return;
    }
    hiddenNote_->hide();
    chart_->show();
    summary_ = sum.value();
    preferences_ = prefs.value();

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
        bars->setName(names_.display(q(ms.model)));
        bars->setWidth(width);
        const QColor color = chart::colorFor(names_.colorKey(q(ms.model)));
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
    chart::refresh(chart_);

    QStringList lines;
    for (const auto& p : preferences_) {
        const QString x = q(p.model_x), y = q(p.model_y);
        lines << tr("%1 vs %2: %1 preferred %3, tie %4, %2 preferred %5 (sign test p = %6); "
                    "output shown first preferred %7, second %8")
                     .arg(x, y)
                     .arg(p.x_wins)
                     .arg(p.ties)
                     .arg(p.y_wins)
                     .arg(p.p_value ? QString::number(*p.p_value, 'g', 3) : tr("n/a"))
                     .arg(p.first_wins)
                     .arg(p.second_wins);
    }
    preferenceLabel_->setText(lines.isEmpty()
                                  ? tr("No preferences yet.")
                                  : tr("Preferences (all raters):") + QLatin1Char('\n') +
                                        lines.join(QLatin1Char('\n')));
}

}  // namespace tbui
