// Human evaluation panel: a rater scores the outputs of two or more models for a seeded sample
// of the items of one evaluation (generations in the workspace store) on relevance, coherence,
// fluency and completeness (1-5) plus notes. Blind mode shows the outputs as A, B, ... in a
// per-item order derived from the seed; the store always receives the true model ids and the
// evaluation id (a rating belongs to that evaluation's outputs; the summary chart and the
// agreement show the chosen evaluation's ratings).
//
// Every rating is written with Store::upsert_rating the moment its four criteria are set (and
// again on every later change), never batched: the store commits each upsert, so killing the
// process loses nothing that was shown as saved.
//
// Keyboard: keys 1-5 set the focused criterion and move to the next one, Tab / Shift+Tab move
// between criteria and outputs, Enter saves and goes to the next item.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <array>
#include <memory>
#include <optional>

#include "core/store/store.h"

class QComboBox;
class QCustomPlot;
class QGridLayout;
class QLabel;
class QLineEdit;
class QScrollArea;
class QSpinBox;
class QTextBrowser;

namespace tbui {

constexpr int kCriteria = 4;  // relevance, coherence, fluency, completeness (store order)

// One test item with the outputs of every model (models sorted as the store returns them).
struct RatingItem {
    QString itemId;
    QString prompt;
    QString reference;
    QString category;
    QStringList models;
    QStringList outputs;
};

// The panel's logic without widgets: sample, blind order, scores and the store writes.
class RatingSession {
  public:
    // Items of `evalId` that have an output from every model of the evaluation (at least two
    // models), shuffled with `seed` and cut to `sampleSize` (<= 0: all). Scores already given
    // by `rater` are loaded back. Returns an error message or "".
    QString load(tb::store::Store* store, qint64 evalId, const QString& rater, quint32 seed,
                 int sampleSize, bool blind);

    int count() const { return items_.size(); }
    const RatingItem& item(int i) const { return items_[i]; }
    int outputs(int i) const { return items_[i].models.size(); }
    // Display position -> index into item(i).models. Identity unless blind.
    const QVector<int>& order(int i) const { return orders_[i]; }
    // "A", "B", ... in blind mode, else the model id.
    QString label(int i, int pos) const;
    QString modelAt(int i, int pos) const { return items_[i].models[orders_[i][pos]]; }

    // 0 = not set yet.
    int score(int i, int pos, int criterion) const;
    QString notes(int i, int pos) const;
    // Sets one criterion; when all four are set the rating is upserted right away. Returns
    // an error message or "".
    QString setScore(int i, int pos, int criterion, int value);
    QString setNotes(int i, int pos, const QString& notes);
    bool complete(int i, int pos) const;
    bool itemComplete(int i) const;
    int ratedItems() const;
    QString rater() const { return rater_; }
    qint64 evalId() const { return evalId_; }

    static QString permutationKey(quint32 seed, const QString& itemId);
    // Deterministic permutation of 0..n-1 for (seed, itemId), independent of the platform.
    static QVector<int> blindOrder(quint32 seed, const QString& itemId, int n);

  private:
    struct Entry {
        std::array<int, kCriteria> scores{};
        QString notes;
    };
    QString save(int i, int pos);
    Entry& entry(int i, int pos) { return entries_[i][orders_[i][pos]]; }
    const Entry& entry(int i, int pos) const { return entries_[i][orders_[i][pos]]; }

    tb::store::Store* store_ = nullptr;
    qint64 evalId_ = 0;
    QString rater_;
    bool blind_ = true;
    QVector<RatingItem> items_;
    QVector<QVector<int>> orders_;
    QVector<QVector<Entry>> entries_;  // indexed by model index, not display position
};

class RatingPanel : public QWidget {
    Q_OBJECT
  public:
    explicit RatingPanel(QWidget* parent = nullptr);
    ~RatingPanel() override;

    // Opens <dir>/tunebench.sqlite when it exists.
    void setWorkspaceDir(const QString& dir);
    // Opens (creating when absent) the store; lists the evaluations that have generations.
    QString openStore(const QString& path);
    QList<qint64> evaluations() const;
    // (Re)starts the session with the current controls. Returns an error message or "".
    QString start();

    void setRater(const QString& name);
    void setSeed(int seed);
    void setSampleSize(int n);
    void setBlind(bool blind);
    void setEvaluation(qint64 evalId);

    RatingSession& session() { return session_; }
    int currentItem() const { return current_; }
    void showItem(int i);
    QString outputTitle(int pos) const;
    QString progressText() const;
    QString agreementText() const;
    QCustomPlot* chart() const { return chart_; }
    const tb::store::RatingsSummary& summary() const { return summary_; }
    // Focuses criterion `criterion` of output `pos` (for keyboard use and tests).
    void focusCriterion(int pos, int criterion);

  Q_SIGNALS:
    void ratingSaved();

  protected:
    bool eventFilter(QObject* obj, QEvent* ev) override;

  private:
    void refreshSummary();
    void updateProgress();
    void nextItem();
    void showError(const QString& msg);

    std::unique_ptr<tb::store::Store> store_;
    RatingSession session_;
    int current_ = -1;
    bool filling_ = false;
    tb::store::RatingsSummary summary_;
    int raterCount_ = 0;

    QLabel* storeLabel_;
    QComboBox* evalCombo_;
    QLineEdit* raterEdit_;
    QSpinBox* seedSpin_;
    QSpinBox* sampleSpin_;
    QComboBox* blindCombo_;
    QLabel* progress_;
    QLabel* errorLabel_;
    QTextBrowser* promptView_;
    QTextBrowser* referenceView_;
    QScrollArea* scroll_;
    QWidget* outputsHost_ = nullptr;  // rebuilt for every item
    QVector<QLabel*> titles_;
    QVector<QTextBrowser*> outputViews_;
    QVector<std::array<QSpinBox*, kCriteria>> scoreSpins_;
    QVector<QLineEdit*> notesEdits_;
    QCustomPlot* chart_;
    QLabel* alphaLabel_;
};

}  // namespace tbui
