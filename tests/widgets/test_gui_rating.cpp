// Human evaluation panel: seeded sample, balanced random blind order stored and restored, blind
// mode naming no model anywhere until Reveal (issue 10), the user's message instead of the
// rendered template, the rubric, pairwise preferences, keyboard-driven rating saved the moment
// it is given (seen from a fresh Store), ratings surviving a killed process, and the summary
// chart/alpha/preferences equal to the store's.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QAbstractButton>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextEdit>
#include <QtTest>

#include "tests/widgets/store_fixture.h"
#include "widgets/qcp.h"
#include "widgets/rating_panel.h"

using tb::store::RatingRow;
using tb::store::Store;

namespace {

std::vector<RatingRow> ratingsIn(const QString& path) {
    auto st = Store::open(path.toStdString());
    if (!st.ok()) return {};
    auto rows = st.value()->list_ratings();
    return rows.ok() ? rows.value() : std::vector<RatingRow>{};
}

const RatingRow* find(const std::vector<RatingRow>& rows, const QString& rater, const QString& item,
                      const QString& model) {
    for (const auto& r : rows)
        if (QString::fromStdString(r.rater) == rater && QString::fromStdString(r.item_id) == item &&
            QString::fromStdString(r.model) == model)
            return &r;
    return nullptr;
}

// Every string a user can see or hover in `root`: texts, tooltips, titles, combo items,
// text views and the chart's legend and plottable names.
QStringList allTexts(QWidget* root) {
    QStringList out{root->windowTitle(), root->toolTip()};
    if (root->window()) out << root->window()->windowTitle();
    for (QWidget* w : root->findChildren<QWidget*>()) {
        out << w->toolTip() << w->windowTitle() << w->statusTip() << w->whatsThis()
            << w->accessibleName();
        if (auto* l = qobject_cast<QLabel*>(w)) out << l->text();
        if (auto* b = qobject_cast<QAbstractButton*>(w)) out << b->text();
        if (auto* t = qobject_cast<QTextEdit*>(w)) out << t->toPlainText();
        if (auto* e = qobject_cast<QLineEdit*>(w)) out << e->text() << e->placeholderText();
        if (auto* c = qobject_cast<QComboBox*>(w))
            for (int k = 0; k < c->count(); ++k)
                out << c->itemText(k) << c->itemData(k, Qt::ToolTipRole).toString();
        if (auto* p = qobject_cast<QCustomPlot*>(w)) {
            for (int k = 0; k < p->plottableCount(); ++k) out << p->plottable(k)->name();
            for (int k = 0; k < p->legend->itemCount(); ++k)
                if (auto* it = qobject_cast<QCPPlottableLegendItem*>(p->legend->item(k)))
                    out << it->plottable()->name();
            out << p->xAxis->label() << p->yAxis->label();
        }
    }
    return out;
}

}  // namespace

class TestRating : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir dir_;
    qint64 evalId_ = -1;
    QString db(const QString& name) const { return dir_.filePath(name); }
    qint64 makeStore(const QString& path) {
        std::string err;
        const int64_t id = guitest::make_eval_store(path.toStdString(), 20, err);
        if (id < 0) qWarning("%s", err.c_str());
        return id;
    }

  private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void balancedOrdersAreDeterministicAndBalanced() {
        using tbui::RatingSession;
        for (quint32 seed : {1u, 7u, 123456789u}) {
            const auto two = RatingSession::balancedOrders(10, 2, seed);
            QCOMPARE(two, RatingSession::balancedOrders(10, 2, seed));
            int zeroFirst = 0;
            for (const auto& o : two) {
                QCOMPARE(o.size(), 2);
                QVERIFY(o == QVector<int>({0, 1}) || o == QVector<int>({1, 0}));
                zeroFirst += o[0] == 0 ? 1 : 0;
            }
            QCOMPARE(zeroFirst, 5);  // each model first on half the items, whatever the seed
            // Three models, nine items: every model at every position exactly three times.
            const auto three = RatingSession::balancedOrders(9, 3, seed);
            int at[3][3] = {};
            for (const auto& o : three)
                for (int pos = 0; pos < 3; ++pos) ++at[o[pos]][pos];
            for (int m = 0; m < 3; ++m)
                for (int pos = 0; pos < 3; ++pos) QCOMPARE(at[m][pos], 3);
        }
        QVERIFY(RatingSession::balancedOrders(10, 2, 1) != RatingSession::balancedOrders(10, 2, 2));
    }

    void blindOrderIsStoredAndRestored() {
        const QString path = db("blind.sqlite");
        evalId_ = makeStore(path);
        QVERIFY(evalId_ > 0);
        auto st = Store::open(path.toStdString());
        QVERIFY(st.ok());
        tbui::RatingSession a, b, c;
        QCOMPARE(a.load(st.value().get(), evalId_, "r", 7, 10, true, 99u), QString());
        QCOMPARE(a.count(), 10);
        QVERIFY(a.hidden());
        // The order is in the store, position by position, with its seed.
        auto stored = st.value()->rating_orders("r", evalId_);
        QVERIFY(stored.ok());
        QCOMPARE(int(stored.value().size()), 20);
        int swapped = 0;
        for (int i = 0; i < a.count(); ++i) {
            for (int pos = 0; pos < 2; ++pos) {
                const auto& row = stored.value()[size_t(i * 2 + pos)];
                QCOMPARE(QString::fromStdString(row.item_id), a.item(i).itemId);
                QCOMPARE(row.position, pos);
                QCOMPARE(QString::fromStdString(row.model), a.modelAt(i, pos));
                QCOMPARE(row.seed, 99u);
            }
            swapped += a.order(i) == QVector<int>({1, 0}) ? 1 : 0;
        }
        QCOMPARE(swapped, 5);  // balanced: neither model is always "A"
        // Reopened with another order seed: the stored order wins; the sample follows `seed`.
        QCOMPARE(b.load(st.value().get(), evalId_, "r", 7, 10, true, 12345u), QString());
        for (int i = 0; i < a.count(); ++i) {
            QCOMPARE(b.item(i).itemId, a.item(i).itemId);
            QCOMPARE(b.order(i), a.order(i));
        }
        // Another rater gets the same items (agreement needs them) but an order of their own.
        QCOMPARE(c.load(st.value().get(), evalId_, "s", 7, 10, true, 4242u), QString());
        bool differs = false;
        for (int i = 0; i < a.count(); ++i) {
            QCOMPARE(c.item(i).itemId, a.item(i).itemId);
            differs |= c.order(i) != a.order(i);
        }
        QVERIFY(differs);

        // A fresh panel on the same store shows the stored order, letters only.
        tbui::RatingPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        QCOMPARE(panel.evaluations(), QList<qint64>{evalId_});
        panel.setRater("r");
        panel.setSeed(7);
        panel.setSampleSize(10);
        panel.setBlind(true);
        QCOMPARE(panel.start(), QString());
        QVERIFY(panel.namesHidden());
        for (int i = 0; i < a.count(); ++i) QCOMPARE(panel.session().order(i), a.order(i));
        QCOMPARE(panel.outputTitle(0), QString("Output A"));
        QCOMPARE(panel.outputTitle(1), QString("Output B"));
        // "Show model names" reveals (stored): names shown, also in later blind sessions.
        panel.setBlind(false);
        QCOMPARE(panel.start(), QString());
        QVERIFY(!panel.namesHidden());
        QCOMPARE(panel.outputTitle(0), "Output A: " + panel.session().modelAt(0, 0));
        QVERIFY(st.value()->ratings_revealed_at("r", evalId_).value().has_value());
        panel.setBlind(true);
        QCOMPARE(panel.start(), QString());
        QVERIFY(!panel.session().hidden());
        QVERIFY(panel.progressText().contains("models revealed"));
    }

    // Issue 10: in blind mode the live summary named the model as soon as output A was rated,
    // and the evaluation list showed the adapter paths. Nothing in any widget's text, tooltip,
    // item or chart may name a model until Reveal.
    void blindModeShowsNoModelUntilReveal() {
        const QString path = db("leak.sqlite");
        const std::string modelX = "baseline-7b";
        const std::string modelY = "/tmp/ws/outputs/run-7f3a/adapter-final";
        qint64 id = -1;
        {
            auto st = Store::open(path.toStdString());
            QVERIFY(st.ok());
            tb::store::RunRecord run;
            run.kind = "eval";
            run.name = "models=" + modelX + "," + modelY;  // as evaluate names its runs
            run.status = "completed";
            id = st.value()->add_run(run).value();
            std::vector<tb::store::GenerationRow> gens;
            for (const std::string& m : {modelX, modelY})
                for (int i = 0; i < 6; ++i) {
                    tb::store::GenerationRow g;
                    g.eval_id = id;
                    g.model = m;
                    g.item_id = std::to_string(i);
                    g.prompt =
                        "<s><|user|>\nQuestion " + std::to_string(i) + "</s>\n<|assistant|>\n";
                    g.output =
                        (m == modelX ? "Short answer " : "Longer answer ") + std::to_string(i);
                    g.reference = "Reference " + std::to_string(i);
                    g.category = "open_qa";
                    gens.push_back(g);
                }
            QVERIFY(st.value()->add_generations(gens).ok());
        }
        const QStringList needles = {QString::fromStdString(modelX), "run-7f3a", "adapter-final",
                                     "models="};
        auto leaks = [&](tbui::RatingPanel& panel) {
            QStringList found;
            for (const QString& text : allTexts(&panel))
                for (const QString& n : needles)
                    if (text.contains(n)) found << text;
            return found;
        };

        tbui::RatingPanel panel;
        panel.resize(1200, 800);
        panel.show();
        QCOMPARE(panel.openStore(path), QString());
        QVERIFY2(leaks(panel).isEmpty(), qPrintable(leaks(panel).join(" | ")));
        panel.setRater("alice");
        panel.setSeed(1);
        panel.setSampleSize(4);
        panel.setOrderSeed(31u);
        QSignalSpy saved(&panel, &tbui::RatingPanel::ratingSaved);
        QCOMPARE(panel.start(), QString());
        QVERIFY(panel.namesHidden());
        // Output A rated with the keyboard: the moment the old summary named its model.
        for (Qt::Key k : {Qt::Key_4, Qt::Key_4, Qt::Key_5, Qt::Key_3})
            QTest::keyClick(panel.focusWidget(), k);
        QCOMPARE(saved.count(), 1);
        QVERIFY2(leaks(panel).isEmpty(), qPrintable(leaks(panel).join(" | ")));
        QCOMPARE(panel.chart()->plottableCount(), 0);
        QCOMPARE(panel.chart()->legend->itemCount(), 0);
        QVERIFY(panel.summary().models.empty());
        // Output B and the preference, then the next item: still nothing.
        for (Qt::Key k : {Qt::Key_2, Qt::Key_3, Qt::Key_3, Qt::Key_2})
            QTest::keyClick(panel.focusWidget(), k);
        QTest::keyClick(panel.focusWidget(), Qt::Key_A);  // focus moved to the question
        QTest::keyClick(panel.focusWidget(), Qt::Key_Return);
        QCOMPARE(panel.currentItem(), 1);
        QVERIFY2(leaks(panel).isEmpty(), qPrintable(leaks(panel).join(" | ")));
        QCOMPARE(panel.chart()->plottableCount(), 0);
        QVERIFY(panel.preferenceText().isEmpty());

        // Stored with the true models, resolved, and marked blind.
        auto st = Store::open(path.toStdString());
        const QString item0 = panel.session().item(0).itemId;
        const QString first = panel.session().modelAt(0, 0);
        const QString second = panel.session().modelAt(0, 1);
        auto ratings = st.value()->list_ratings("", id).value();
        QCOMPARE(int(ratings.size()), 2);
        const RatingRow* ra = find(ratings, "alice", item0, first);
        QVERIFY(ra);
        QCOMPARE(ra->relevance, 4);
        QCOMPARE(ra->blind, std::optional<bool>(true));
        auto prefs = st.value()->list_preferences(id).value();
        QCOMPARE(int(prefs.size()), 1);
        QCOMPARE(QString::fromStdString(prefs[0].model_a), first);
        QCOMPARE(QString::fromStdString(prefs[0].model_b), second);
        QCOMPARE(QString::fromStdString(prefs[0].choice), QString("a"));
        QCOMPARE(prefs[0].blind, std::optional<bool>(true));

        // Reveal: names in the titles, the list and the chart; the preference summary.
        QCOMPARE(panel.reveal(), QString());
        QVERIFY(!panel.namesHidden());
        QVERIFY(panel.outputTitle(0).contains(panel.session().modelAt(1, 0)));
        QCOMPARE(panel.chart()->plottableCount(), 4);  // bars + error bars of two models
        QCOMPARE(panel.summary().models.size(), size_t(2));
        QVERIFY(panel.preferenceText().contains(first + " preferred 1"));
        QVERIFY(!leaks(panel).isEmpty());
        // Answers given after the reveal are stored as not blind.
        panel.choosePreference(0, "tie");
        prefs = st.value()->list_preferences(id).value();
        QCOMPARE(int(prefs.size()), 2);
        QCOMPARE(prefs[1].blind, std::optional<bool>(false));
        // The reveal is kept: a new panel for the same rater shows names, another rater none.
        tbui::RatingPanel again;
        QCOMPARE(again.openStore(path), QString());
        again.setRater("alice");
        QVERIFY(!again.namesHidden());
        again.setRater("bob");
        QVERIFY(again.namesHidden());
        QVERIFY2(leaks(again).isEmpty(), qPrintable(leaks(again).join(" | ")));
    }

    void promptShowsTheUsersMessage() {
        const QString path = db("messages.sqlite");
        const qint64 id = makeStore(path);
        QVERIFY(id > 0);
        {
            auto st = Store::open(path.toStdString());
            std::vector<tb::store::GenerationRow> gens = st.value()->generations(id).value();
            for (auto& g : gens)
                g.prompt = "<s> <|user|>\nTemplate wrapped " + g.item_id + "</s>\n<|assistant|>\n";
            QVERIFY(st.value()->add_generations(gens).ok());
            std::vector<tb::store::UserMessageRow> messages;
            for (int i = 0; i < 20; ++i)
                messages.push_back({id, "item-" + std::to_string(i),
                                    "What is item " + std::to_string(i) + "?",
                                    i % 2 ? "Some context " + std::to_string(i) : ""});
            QVERIFY(st.value()->add_user_messages(messages).ok());
        }
        tbui::RatingPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        panel.setRater("pat");
        panel.setSampleSize(4);
        QCOMPARE(panel.start(), QString());
        for (int i = 0; i < 4; ++i) {
            panel.showItem(i);
            const QString n = panel.session().item(i).itemId.mid(5);
            const QString text = panel.promptText();
            QVERIFY2(text.contains("What is item " + n + "?"), qPrintable(text));
            QCOMPARE(text.contains("Some context " + n), n.toInt() % 2 == 1);
            QVERIFY2(!text.contains("<|user|>") && !text.contains("<s>") &&
                         !text.contains("Template wrapped"),
                     qPrintable(text));
        }
        // An evaluation stored before user messages were kept says what it shows instead.
        const qint64 old = makeStore(path);
        panel.openStore(path);
        panel.setEvaluation(old);
        QCOMPARE(panel.start(), QString());
        QVERIFY(panel.promptText().contains("Prompt as the model saw it"));
        QVERIFY(panel.promptText().contains("Question "));
    }

    void rubricBesideEveryControlAndOnHover() {
        QSet<QString> seen;
        for (int c = 0; c < tbui::kCriteria; ++c)
            for (int v = 1; v <= 5; ++v) {
                const QString r = tbui::RatingPanel::rubric(c, v);
                QVERIFY(!r.isEmpty());
                seen.insert(r);
            }
        QCOMPARE(seen.size(), 5 * tbui::kCriteria);  // every level of every criterion its own
        QVERIFY(tbui::RatingPanel::rubric(0, 0).isEmpty());
        QVERIFY(tbui::RatingPanel::rubric(0, 6).isEmpty());

        const QString path = db("rubric.sqlite");
        const qint64 id = makeStore(path);
        QVERIFY(id > 0);
        tbui::RatingPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        panel.setRater("quinn");
        panel.setSampleSize(2);
        QCOMPARE(panel.start(), QString());
        const auto spins = panel.findChildren<QSpinBox*>();
        QList<QSpinBox*> scoreSpins;
        for (QSpinBox* sp : spins)
            if (sp->maximum() == 5 && sp->minimum() == 0) scoreSpins << sp;
        QCOMPARE(scoreSpins.size(), 2 * tbui::kCriteria);
        for (int k = 0; k < scoreSpins.size(); ++k) {
            const int c = k % tbui::kCriteria;
            const QString tip = scoreSpins[k]->toolTip();
            for (int v = 1; v <= 5; ++v)
                QVERIFY2(tip.contains(tbui::RatingPanel::rubric(c, v).toHtmlEscaped()),
                         qPrintable(tip));
        }
        // Beside the control: the chosen level's description.
        panel.focusCriterion(0, 2);
        QTest::keyClick(panel.focusWidget(), Qt::Key_2);
        bool beside = false;
        for (QLabel* l : panel.findChildren<QLabel*>())
            beside |= l->text().contains(tbui::RatingPanel::rubric(2, 2));
        QVERIFY(beside);
    }

    void keyboardSavesImmediately() {
        const QString path = db("keys.sqlite");
        const qint64 id = makeStore(path);
        QVERIFY(id > 0);
        tbui::RatingPanel panel;
        panel.resize(1000, 700);
        panel.show();
        QCOMPARE(panel.openStore(path), QString());
        panel.setEvaluation(id);
        panel.setRater("alice");
        panel.setSeed(3);
        panel.setSampleSize(5);
        QCOMPARE(panel.start(), QString());
        QCOMPARE(panel.currentItem(), 0);
        const QString item0 = panel.session().item(0).itemId;
        const QString modelA = panel.session().modelAt(0, 0);
        const QString modelB = panel.session().modelAt(0, 1);

        // 1-5 set the focused criterion and move on; the fourth completes output A -> saved.
        for (Qt::Key k : {Qt::Key_4, Qt::Key_2, Qt::Key_5}) {
            QTest::keyClick(panel.focusWidget(), k);
            QVERIFY(ratingsIn(path).empty());  // incomplete: nothing valid to store yet
        }
        QTest::keyClick(panel.focusWidget(), Qt::Key_3);
        auto rows = ratingsIn(path);
        QCOMPARE(int(rows.size()), 1);
        const RatingRow* r = find(rows, "alice", item0, modelA);
        QVERIFY(r);                // stored under the true model id, not "A"
        QCOMPARE(r->eval_id, id);  // and tied to the evaluation whose outputs were rated
        QCOMPARE(r->relevance, 4);
        QCOMPARE(r->coherence, 2);
        QCOMPARE(r->fluency, 5);
        QCOMPARE(r->completeness, 3);

        // Focus is now on output B's first criterion; Tab moves to the next criterion.
        auto* spin = qobject_cast<QSpinBox*>(panel.focusWidget());
        QVERIFY(spin);
        QTest::keyClick(spin, Qt::Key_1);  // B relevance = 1, focus -> coherence
        QWidget* coherence = panel.focusWidget();
        QTest::keyClick(coherence, Qt::Key_Tab);
        QVERIFY(panel.focusWidget() != coherence);        // skipped coherence, now on fluency
        QTest::keyClick(panel.focusWidget(), Qt::Key_2);  // fluency, focus -> completeness
        QTest::keyClick(panel.focusWidget(), Qt::Key_2);  // completeness; coherence unset
        QVERIFY(!find(ratingsIn(path), "alice", item0, modelB));
        panel.focusCriterion(1, 1);
        QTest::keyClick(panel.focusWidget(), Qt::Key_5);
        rows = ratingsIn(path);
        r = find(rows, "alice", item0, modelB);
        QVERIFY(r);
        QCOMPARE(r->relevance, 1);
        QCOMPARE(r->coherence, 5);
        QCOMPARE(r->fluency, 2);
        QCOMPARE(r->completeness, 2);
        QVERIFY(panel.progressText().contains("0 / 5 rated"));  // the preference is missing
        panel.choosePreference(0, "b");
        QVERIFY(panel.progressText().contains("1 / 5 rated"));

        // Notes typed then Enter: saved with the rating, and the panel moves to item 2.
        QLineEdit* notes = nullptr;
        for (QLineEdit* e : panel.findChildren<QLineEdit*>())
            if (e->placeholderText() == "Notes") notes = e;  // the last one: output B's
        QVERIFY(notes);
        notes->setFocus();
        QTest::keyClicks(notes, "short but right");
        QTest::keyClick(notes, Qt::Key_Return);
        QCOMPARE(panel.currentItem(), 1);
        r = find(ratingsIn(path), "alice", item0, modelB);
        QVERIFY(r);
        QCOMPARE(QString::fromStdString(r->notes), QString("short but right"));

        // Restarting resumes at the first unrated item with the scores loaded back.
        QCOMPARE(panel.start(), QString());
        QCOMPARE(panel.currentItem(), 1);
        QCOMPARE(panel.session().score(0, 0, 0), 4);
        QCOMPARE(panel.session().preference(0, 0), QString("b"));
        auto prefs = Store::open(path.toStdString()).value()->list_preferences(id).value();
        QCOMPARE(int(prefs.size()), 1);
        QCOMPARE(QString::fromStdString(prefs[0].model_a), modelA);
        QCOMPARE(QString::fromStdString(prefs[0].model_b), modelB);
        QCOMPARE(QString::fromStdString(prefs[0].choice), QString("b"));
    }

    void ratingsSurviveKill() {
        const QString path = db("kill.sqlite");
        const qint64 id = makeStore(path);
        QVERIFY(id > 0);
        QString item, model;
        {
            auto st = Store::open(path.toStdString());
            tbui::RatingSession s;
            QCOMPARE(s.load(st.value().get(), id, "carol", 11, 4, true), QString());
            item = s.item(0).itemId;
            model = s.modelAt(0, 1);
        }
        const pid_t pid = fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            // Child: its own connection, rate output B of the first item, die without cleanup.
            auto st = Store::open(path.toStdString());
            if (!st.ok()) _exit(3);
            tbui::RatingSession s;
            if (!s.load(st.value().get(), id, "carol", 11, 4, true).isEmpty()) _exit(4);
            for (int c = 0; c < tbui::kCriteria; ++c)
                if (!s.setScore(0, 1, c, c + 2).isEmpty()) _exit(5);
            raise(SIGKILL);
            _exit(6);
        }
        int status = 0;
        QCOMPARE(waitpid(pid, &status, 0), pid);
        QVERIFY(WIFSIGNALED(status));
        QCOMPARE(WTERMSIG(status), SIGKILL);
        const RatingRow* r = nullptr;
        const auto rows = ratingsIn(path);
        r = find(rows, "carol", item, model);
        QVERIFY(r);
        QCOMPARE(r->relevance, 2);
        QCOMPARE(r->completeness, 5);
    }

    void summaryEqualsStore() {
        const QString path = db("summary.sqlite");
        const qint64 id = makeStore(path);
        QVERIFY(id > 0);
        tbui::RatingPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        QVERIFY(panel.agreementText().contains("at least two raters"));
        // Two raters through the panel's model, every item of a 6-item sample.
        for (const QString rater : {"dan", "eve"}) {
            panel.setRater(rater);
            panel.setSeed(5);
            panel.setSampleSize(6);
            panel.setBlind(false);
            QCOMPARE(panel.start(), QString());
            auto& s = panel.session();
            for (int i = 0; i < s.count(); ++i) {
                for (int pos = 0; pos < s.outputs(i); ++pos)
                    for (int c = 0; c < tbui::kCriteria; ++c) {
                        const int v = 1 + (i * 3 + pos * 2 + c + (rater == "eve" ? i % 2 : 0)) % 5;
                        QCOMPARE(s.setScore(i, pos, c, v), QString());
                    }
                QCOMPARE(s.setPreference(i, 0, i % 3 == 0 ? "tie" : "a"), QString());
            }
            QCOMPARE(s.ratedItems(), 6);
            QCOMPARE(panel.start(), QString());
        }
        auto st = Store::open(path.toStdString());
        auto expected = st.value()->ratings_summary();
        QVERIFY(expected.ok());
        const auto& sum = panel.summary();
        QCOMPARE(sum.models.size(), expected.value().models.size());
        QCOMPARE(int(sum.models.size()), 2);
        QCustomPlot* chart = panel.chart();
        int barIndex = 0;
        for (int p = 0; p < chart->plottableCount(); ++p) {
            auto* bars = qobject_cast<QCPBars*>(chart->plottable(p));
            if (!bars) continue;
            const auto& m = expected.value().models[static_cast<size_t>(barIndex++)];
            QCOMPARE(bars->name(), QString::fromStdString(m.model));
            QCOMPARE(bars->data()->size(), int(m.criteria.size()));
            for (size_t c = 0; c < m.criteria.size(); ++c) {
                QCOMPARE(bars->data()->at(int(c))->value, m.criteria[c].mean);
                QCOMPARE(sum.models[static_cast<size_t>(barIndex - 1)].criteria[c].ci_hi,
                         m.criteria[c].ci_hi);
            }
        }
        QCOMPARE(barIndex, 2);
        const QString alpha = panel.agreementText();
        QVERIFY2(alpha.contains("2 raters"), qPrintable(alpha));
        const auto& a0 = expected.value().agreement.front();
        QVERIFY(a0.alpha_interval.has_value());
        QVERIFY2(alpha.contains(QString::number(*a0.alpha_interval, 'f', 3)), qPrintable(alpha));
        // Preferences: the store's counts, one line per model pair.
        auto ps = st.value()->preference_summary(id).value();
        QCOMPARE(int(ps.size()), 1);
        QCOMPARE(ps[0].ties + ps[0].x_wins + ps[0].y_wins, int64_t(12));
        QCOMPARE(ps[0].ties, int64_t(4));
        QCOMPARE(ps[0].first_wins, int64_t(8));
        const QString pref = panel.preferenceText();
        QVERIFY2(pref.contains(QString("%1 vs %2: %1 preferred %3, tie 4, %2 preferred %4")
                                   .arg(QString::fromStdString(ps[0].model_x),
                                        QString::fromStdString(ps[0].model_y))
                                   .arg(ps[0].x_wins)
                                   .arg(ps[0].y_wins)),
                 qPrintable(pref));
        QVERIFY2(pref.contains("output shown first preferred 8, second 0"), qPrintable(pref));
    }

    // The same items rated in another evaluation are separate ratings; each evaluation's
    // session loads back only its own scores.
    void ratingsBelongToTheirEvaluation() {
        const QString path = db("two_evals.sqlite");
        const qint64 first = makeStore(path);
        const qint64 second = makeStore(path);  // same items and models, another eval run
        QVERIFY(first > 0 && second > first);
        auto st = Store::open(path.toStdString());
        QVERIFY(st.ok());
        tbui::RatingSession a;
        QCOMPARE(a.load(st.value().get(), first, "carol", 1, 2, false), QString());
        for (int c = 0; c < tbui::kCriteria; ++c) QCOMPARE(a.setScore(0, 0, c, 5), QString());
        tbui::RatingSession b;
        QCOMPARE(b.load(st.value().get(), second, "carol", 1, 2, false), QString());
        QCOMPARE(b.item(0).itemId, a.item(0).itemId);
        QCOMPARE(b.score(0, 0, 0), 0);  // not carried over from the first evaluation
        for (int c = 0; c < tbui::kCriteria; ++c) QCOMPARE(b.setScore(0, 0, c, 2), QString());
        auto rows = st.value()->list_ratings();
        QVERIFY(rows.ok());
        QCOMPARE(int(rows.value().size()), 2);
        QCOMPARE(st.value()->list_ratings("", first).value().at(0).relevance, 5);
        QCOMPARE(st.value()->list_ratings("", second).value().at(0).relevance, 2);
        tbui::RatingSession again;
        QCOMPARE(again.load(st.value().get(), first, "carol", 1, 2, false), QString());
        QCOMPARE(again.score(0, 0, 0), 5);
    }
};

QTEST_MAIN(TestRating)
#include "test_gui_rating.moc"
