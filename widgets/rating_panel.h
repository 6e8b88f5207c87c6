// Human evaluation panel: a rater scores the outputs of two or more models for a seeded sample
// of the items of one evaluation (generations in the workspace store) on relevance, coherence,
// fluency and completeness (1-5, each level described by a rubric shown beside the control and
// on hover), answers the pairwise question "which output is better?" (A / B / tie) and may add
// notes. The rater sees the user's message of each item (instruction and context as the
// dataset row holds them), not the rendered chat template.
//
// Blind rating. Outputs are shown as A, B, ... in a per-rater, per-item order drawn at random
// (balanced: each model appears first equally often, a Latin square of rotations over the
// sample) and stored with its seed in the store (rating_orders), so a reopened session shows
// the same order and the analysis can measure position bias. Until the rater presses Reveal
// nothing shows a model's identity: output titles are letters, the evaluation list shows
// "#id (n models)" instead of the run name (which lists the adapter paths), and the results
// (means per model, preferences) stay hidden, because even an anonymous per-model chart that
// moves as the rater scores A or B tells which letter is which model. Revealing is stored
// (rating_reveals) and cannot be undone; choosing "Show model names" counts as revealing.
// The store always receives the true model ids, the evaluation id and whether each answer was
// given blind.
//
// Every rating is written with Store::upsert_rating the moment its four criteria are set (and
// again on every later change), every preference the moment it is chosen, never batched: the
// store commits each upsert, so killing the process loses nothing that was shown as saved.
//
// Keyboard: keys 1-5 set the focused criterion and move to the next one, Tab / Shift+Tab move
// between criteria and outputs, on a preference A / B / T answer it, Enter saves and goes to
// the next item.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <array>
#include <memory>
#include <optional>

#include "core/store/store.h"
#include "widgets/run_names.h"

class QButtonGroup;
class QComboBox;
class QCustomPlot;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QTextBrowser;

namespace tbui {

constexpr int kCriteria = 4;  // relevance, coherence, fluency, completeness (store order)

// One test item with the outputs of every model (models sorted as the store returns them).
struct RatingItem {
    QString itemId;
    QString instruction;  // the user's message; "" for evaluations run before schema v4
    QString context;
    QString renderedPrompt;  // what the model saw (template and special tokens)
    QString reference;
    QString category;
    QStringList models;
    QStringList outputs;
};

// The panel's logic without widgets: sample, blind order, scores, preferences and the store
// writes.
class RatingSession {
  public:
    // Items of `evalId` that have an output from every model of the evaluation (at least two
    // models), shuffled with `seed` and cut to `sampleSize` (<= 0: all): every rater with the
    // same seed rates the same items (agreement needs that). The display order of each item
    // is the one stored for `rater`; items without one get a balanced random order drawn from
    // `orderSeed` (std::random_device when absent), stored before it is shown. Scores and
    // preferences already given by `rater` are loaded back. `blind` false reveals the models
    // (stored). Returns an error message or "".
    QString load(tb::store::Store* store, qint64 evalId, const QString& rater, quint32 seed,
                 int sampleSize, bool blind, std::optional<quint32> orderSeed = std::nullopt);

    int count() const { return items_.size(); }
    const RatingItem& item(int i) const { return items_[i]; }
    int outputs(int i) const { return items_[i].models.size(); }
    // Display position -> index into item(i).models.
    const QVector<int>& order(int i) const { return orders_[i]; }
    // "A", "B", ... (always letters: they name positions, the model is shown beside them once
    // revealed).
    static QString letter(int pos);
    QString modelAt(int i, int pos) const { return items_[i].models[orders_[i][pos]]; }
    // True while the rater must not see which model wrote what.
    bool hidden() const { return hidden_; }
    // Stores the reveal for (rater, evaluation); from now on names are shown and answers are
    // stored as not blind. Returns an error message or "".
    QString reveal();

    // 0 = not set yet.
    int score(int i, int pos, int criterion) const;
    QString notes(int i, int pos) const;
    // Sets one criterion; when all four are set the rating is upserted right away. Returns
    // an error message or "".
    QString setScore(int i, int pos, int criterion, int value);
    QString setNotes(int i, int pos, const QString& notes);
    bool complete(int i, int pos) const;

    // Pairwise preferences: pairs (p, q) of positions with p < q, in the order (0,1), (0,2),
    // ..., (1,2), ... Choice "a" (position p better), "b" (q better), "tie", "" unanswered.
    static QVector<QPair<int, int>> pairs(int outputs);
    QString preference(int i, int pair) const { return prefs_[i][pair]; }
    QString setPreference(int i, int pair, const QString& choice);

    // Every output scored and every pair answered.
    bool itemComplete(int i) const;
    int ratedItems() const;
    QString rater() const { return rater_; }
    qint64 evalId() const { return evalId_; }

    // `count` display orders of `n` outputs: rotations of one random permutation, the
    // rotation of each item drawn from a shuffled balanced list, so that over the sample each
    // model is shown at each position equally often (+-1). Deterministic for `seed` on every
    // platform (raw mt19937 draws).
    static QVector<QVector<int>> balancedOrders(int count, int n, quint32 seed);

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
    bool hidden_ = true;
    QVector<RatingItem> items_;
    QVector<QVector<int>> orders_;
    QVector<QVector<Entry>> entries_;  // indexed by model index, not display position
    QVector<QVector<QString>> prefs_;  // [item][pair], in display terms
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
    // Reveals the models of the running session (no confirmation: the Reveal button asks).
    QString reveal();

    void setRater(const QString& name);
    void setSeed(int seed);
    void setSampleSize(int n);
    void setBlind(bool blind);
    void setEvaluation(qint64 evalId);
    // Order seed of the next start() (tests); absent: std::random_device.
    void setOrderSeed(std::optional<quint32> seed) { orderSeed_ = seed; }

    RatingSession& session() { return session_; }
    int currentItem() const { return current_; }
    void showItem(int i);
    QString outputTitle(int pos) const;
    QString promptText() const;
    QString progressText() const;
    QString agreementText() const;
    QString preferenceText() const;
    // True while model names, results and per-model colours are withheld.
    bool namesHidden() const;
    QCustomPlot* chart() const { return chart_; }
    const tb::store::RatingsSummary& summary() const { return summary_; }
    // Focuses criterion `criterion` of output `pos` (for keyboard use and tests).
    void focusCriterion(int pos, int criterion);
    // Answers pair `pair` of the current item as a click would ("a", "b", "tie").
    void choosePreference(int pair, const QString& choice);

    // The rubric: what score `score` (1..5) of criterion `criterion` means, and the whole
    // scale of a criterion as rich text (tooltips).
    static QString rubric(int criterion, int score);
    static QString rubricTooltip(int criterion);

  Q_SIGNALS:
    void ratingSaved();

  protected:
    bool eventFilter(QObject* obj, QEvent* ev) override;

  private:
    struct EvalEntry {
        qint64 id = 0;
        QString name;  // the run's name: lists the models (adapter paths)
        QString startedAt;
        int models = 0;
        int items = 0;
    };
    void refreshSummary();
    void refreshEvalTitles();
    void updateProgress();
    void updateRevealButton();
    void nextItem();
    void showError(const QString& msg);
    bool revealedInStore(qint64 evalId) const;
    qint64 selectedEval() const;

    std::unique_ptr<tb::store::Store> store_;
    RatingSession session_;
    bool sessionActive_ = false;  // session_ matches the controls' evaluation and rater
    int current_ = -1;
    bool filling_ = false;
    std::optional<quint32> orderSeed_;
    tb::store::RatingsSummary summary_;
    std::vector<tb::store::PreferenceSummary> preferences_;
    QVector<EvalEntry> evals_;
    int raterCount_ = 0;

    QLabel* storeLabel_;
    QComboBox* evalCombo_;
    QLineEdit* raterEdit_;
    QSpinBox* seedSpin_;
    QSpinBox* sampleSpin_;
    QComboBox* blindCombo_;
    QPushButton* revealButton_;
    QLabel* progress_;
    QLabel* errorLabel_;
    QTextBrowser* promptView_;
    QTextBrowser* referenceView_;
    QScrollArea* scroll_;
    QWidget* outputsHost_ = nullptr;  // rebuilt for every item
    QVector<QLabel*> titles_;
    QVector<QTextBrowser*> outputViews_;
    QVector<std::array<QSpinBox*, kCriteria>> scoreSpins_;
    QVector<std::array<QLabel*, kCriteria>> rubricLabels_;
    QVector<QLineEdit*> notesEdits_;
    QVector<QButtonGroup*> prefGroups_;  // one per pair; button ids 0 = a, 1 = b, 2 = tie
    QCustomPlot* chart_;
    RunNames names_;  // model labels and colours shared with the other views
    QLabel* hiddenNote_;
    QLabel* preferenceLabel_;
    QLabel* alphaLabel_;
};

}  // namespace tbui
