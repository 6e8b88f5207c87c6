#include "widgets/run_names.h"

#include <QCoreApplication>
#include <QDir>
#include <QRegularExpression>

#include "core/store/store.h"

namespace tbui {

namespace {

// "#12 /path/adapter" -> ("#12 ", "/path/adapter"): comparable evaluations shown together are
// prefixed by their evaluation id.
std::pair<QString, QString> splitPrefix(const QString& model) {
    static const QRegularExpression re(QStringLiteral("^(#\\d+ )(.*)$"));
    const auto m = re.match(model);
    return m.hasMatch() ? std::make_pair(m.captured(1), m.captured(2))
                        : std::make_pair(QString(), model);
}

}  // namespace

void RunNames::load(const tb::store::Store& store) {
    runs_.clear();
    auto runs = store.list_runs("train");
    if (!runs.ok()) return;
    for (const auto& r : runs.value()) {
        if (r.output_dir.empty()) continue;
        const QString dir = QDir::cleanPath(QString::fromStdString(r.output_dir));
        const Info info{r.id, QString::fromStdString(r.name)};
        runs_.insert(dir, info);
        runs_.insert(QDir::cleanPath(dir + "/adapter"), info);
    }
}

const RunNames::Info* RunNames::find(const QString& model) const {
    const QString path = splitPrefix(model).second;
    if (path == QLatin1String("base") || path.isEmpty()) return nullptr;
    const QString clean = QDir::cleanPath(path);
    auto it = runs_.find(clean);
    if (it != runs_.end()) return &it.value();
    // A relative path (tunebench-cli evaluate --models outputs/<backend>/<run>/adapter, run from
    // the workspace or its parent): the one run folder that ends with it.
    if (QDir::isAbsolutePath(clean)) return nullptr;
    const Info* match = nullptr;
    for (auto r = runs_.constBegin(); r != runs_.constEnd(); ++r) {
        if (!r.key().endsWith('/' + clean)) continue;
        if (match && match->id != r.value().id) return nullptr;  // ambiguous: no name
        match = &r.value();
    }
    return match;
}

std::optional<qint64> RunNames::runOf(const QString& model) const {
    const Info* i = find(model);
    return i ? std::optional<qint64>(i->id) : std::nullopt;
}

QString RunNames::display(const QString& model) const {
    const auto [prefix, path] = splitPrefix(model);
    if (path == QLatin1String("base")) return model;
    if (const Info* i = find(model))
        return prefix + (i->name.isEmpty()
                             ? QCoreApplication::translate("tbui::RunNames", "run #%1").arg(i->id)
                             : i->name);
    const QStringList parts = path.split('/', Qt::SkipEmptyParts);
    if (parts.size() >= 2 && path.contains('/'))
        return prefix + parts[parts.size() - 2] + "/" + parts.back();
    return model;
}

QString RunNames::colorKey(const QString& model) const {
    if (const Info* i = find(model)) return QStringLiteral("run:%1").arg(i->id);
    return splitPrefix(model).second;
}

}  // namespace tbui
