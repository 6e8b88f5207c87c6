// Human evaluation panel: seeded sample and blind order, keyboard-driven rating saved the moment
// it is given (seen from a fresh Store), ratings surviving a killed process, and the summary
// chart/alpha equal to Store::ratings_summary.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>
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

    void blindOrderIsSeededAndHidesModels() {
        const QString path = db("blind.sqlite");
        evalId_ = makeStore(path);
        QVERIFY(evalId_ > 0);
        auto st = Store::open(path.toStdString());
        QVERIFY(st.ok());
        tbui::RatingSession a, b, c;
        QCOMPARE(a.load(st.value().get(), evalId_, "r", 7, 10, true), QString());
        QCOMPARE(b.load(st.value().get(), evalId_, "r", 7, 10, true), QString());
        QCOMPARE(c.load(st.value().get(), evalId_, "r", 8, 10, true), QString());
        QCOMPARE(a.count(), 10);
        bool swapped = false, differs = false;
        for (int i = 0; i < a.count(); ++i) {
            QCOMPARE(a.item(i).itemId, b.item(i).itemId);
            QCOMPARE(a.order(i), b.order(i));
            QCOMPARE(a.order(i), tbui::RatingSession::blindOrder(7, a.item(i).itemId, 2));
            swapped |= a.order(i) == QVector<int>({1, 0});
            differs |= a.item(i).itemId != c.item(i).itemId || a.order(i) != c.order(i);
            QCOMPARE(a.label(i, 0), QString("A"));
            QCOMPARE(a.label(i, 1), QString("B"));
        }
        QVERIFY(swapped);  // not the identity for every item
        QVERIFY(differs);  // another seed, another sample/order

        tbui::RatingPanel panel;
        QCOMPARE(panel.openStore(path), QString());
        QCOMPARE(panel.evaluations(), QList<qint64>{evalId_});
        panel.setRater("r");
        panel.setSeed(7);
        panel.setSampleSize(10);
        panel.setBlind(true);
        QCOMPARE(panel.start(), QString());
        for (int pos = 0; pos < 2; ++pos) {
            QVERIFY(!panel.outputTitle(pos).contains("base"));
            QVERIFY(!panel.outputTitle(pos).contains("adapter"));
        }
        QCOMPARE(panel.outputTitle(0), QString("Output A"));
        QCOMPARE(panel.session().item(0).itemId, a.item(0).itemId);
        // Non-blind shows the model ids.
        panel.setBlind(false);
        QCOMPARE(panel.start(), QString());
        QVERIFY(panel.outputTitle(0).contains("adapter-r16") ||
                panel.outputTitle(0).contains("base"));
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
            QCOMPARE(panel.start(), QString());
            auto& s = panel.session();
            for (int i = 0; i < s.count(); ++i)
                for (int pos = 0; pos < s.outputs(i); ++pos)
                    for (int c = 0; c < tbui::kCriteria; ++c) {
                        const int v = 1 + (i * 3 + pos * 2 + c + (rater == "eve" ? i % 2 : 0)) % 5;
                        QCOMPARE(s.setScore(i, pos, c, v), QString());
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
