// Model labels as users know them: the evaluation and rating rows name a model by "base" or its
// adapter folder (<run>/adapter, an absolute path); the GUI shows the training run's name
// (editable in the Runs tab), keeps the path for the tooltip, and keys the chart colour by the
// run, so a model keeps its name and colour in every view.
#pragma once

#include <QHash>
#include <QString>
#include <optional>

namespace tb::store {
class Store;
}

namespace tbui {

class RunNames {
  public:
    // Reads the store's training runs (empty on error: labels then fall back to folder names).
    void load(const tb::store::Store& store);
    void clear() { runs_.clear(); }
    // "base" -> "base"; an adapter of run 7 named "lr 1e-4" -> "lr 1e-4" ("run #7" when
    // unnamed); "#3 <model>" (an evaluation prefix) keeps its prefix; another path -> its last
    // two components.
    QString display(const QString& model) const;
    // Colour key for chart::colorFor: "run:<id>" for a run's adapter, else the model itself.
    QString colorKey(const QString& model) const;
    // The training run whose adapter this is.
    std::optional<qint64> runOf(const QString& model) const;

  private:
    struct Info {
        qint64 id = 0;
        QString name;
    };
    const Info* find(const QString& model) const;
    QHash<QString, Info> runs_;  // cleaned adapter and run folder paths -> run
};

}  // namespace tbui
