#include "widgets/language.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QHash>
#include <QLabel>
#include <QLibraryInfo>
#include <QLineEdit>
#include <QLocale>
#include <QMutex>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QTabWidget>
#include <QTextEdit>
#include <QTranslator>

#include "widgets/qcp.h"

namespace tbui {

namespace {

struct SourceKey {
    QByteArray context;
    QByteArray source;
    QByteArray disambiguation;
};

// The one translator installed in the application: asks tunebench's and Qt's own, and records
// which source produced each text it hands out (also for texts left in English).
class RecordingTranslator : public QTranslator {
  public:
    void load(const QLocale& locale) {
        QMutexLocker lock(&mutex_);
        app_ = std::make_unique<QTranslator>();
        qt_ = std::make_unique<QTranslator>();
        if (!app_->load(locale, "tunebench", "_", ":/i18n")) app_.reset();
        if (!qt_->load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
            qt_.reset();
    }

    QString translate(const char* context, const char* sourceText, const char* disambiguation,
                      int n) const override {
        QMutexLocker lock(&mutex_);  // tr() also runs on the worker thread
        QString r;
        if (app_) r = app_->translate(context, sourceText, disambiguation, n);
        if (r.isEmpty() && qt_) r = qt_->translate(context, sourceText, disambiguation, n);
        // %n texts are completed after this call: what a widget shows cannot be looked up.
        if (n < 0 && sourceText && *sourceText) {
            const QString shown = r.isEmpty() ? QString::fromUtf8(sourceText) : r;
            if (shown.size() < 2000) seen_.insert(shown, {context, sourceText, disambiguation});
        }
        return r;
    }

    bool isEmpty() const override { return false; }

    // The (context, source) a shown text came from, if it was handed out by tr().
    bool lookup(const QString& shown, SourceKey* key) const {
        QMutexLocker lock(&mutex_);
        auto it = seen_.constFind(shown);
        if (it == seen_.constEnd()) return false;
        *key = *it;
        return true;
    }

  private:
    mutable QMutex mutex_;
    std::unique_ptr<QTranslator> app_, qt_;
    mutable QHash<QString, SourceKey> seen_;
};

RecordingTranslator* recorder() {
    static RecordingTranslator* t = new RecordingTranslator;  // lives as long as the process
    return t;
}

QString g_language;

// The current language's text for a text handed out earlier in any language; `text` itself
// when it did not come from tr().
QString again(const QString& text) {
    SourceKey key;
    if (text.isEmpty()) return text;
    if (!recorder()->lookup(text, &key)) {
        // Form labels are "<translated name>:".
        if (text.size() > 1 && text.endsWith(':') && recorder()->lookup(text.chopped(1), &key))
            return again(text.chopped(1)) + ':';
        return text;
    }
    return QCoreApplication::translate(
        key.context.constData(), key.source.constData(),
        key.disambiguation.isEmpty() ? nullptr : key.disambiguation.constData());
}

template <class Get, class Set>
void swap(Get get, Set set) {
    const QString old = get();
    const QString now = again(old);
    if (now != old) set(now);
}

void retranslatePlot(QCustomPlot* plot) {
    // QCustomPlot fixes its locale when it is built (QLocale() without group separators):
    // tick labels follow the new default only when it is set again.
    QLocale locale;
    locale.setNumberOptions(QLocale::OmitGroupSeparator);
    plot->setLocale(locale);
    for (QCPAxisRect* rect : plot->axisRects())
        for (QCPAxis* axis : rect->axes())
            swap([&] { return axis->label(); }, [&](const QString& s) { axis->setLabel(s); });
    for (int i = 0; i < plot->plottableCount(); ++i) {
        QCPAbstractPlottable* p = plot->plottable(i);
        swap([&] { return p->name(); }, [&](const QString& s) { p->setName(s); });
    }
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i)
        if (auto* text = qobject_cast<QCPTextElement*>(plot->plotLayout()->elementAt(i)))
            swap([&] { return text->text(); }, [&](const QString& s) { text->setText(s); });
    plot->replot(QCustomPlot::rpQueuedReplot);
}

void retranslateWidget(QWidget* w) {
    swap([&] { return w->toolTip(); }, [&](const QString& s) { w->setToolTip(s); });
    swap([&] { return w->statusTip(); }, [&](const QString& s) { w->setStatusTip(s); });
    swap([&] { return w->windowTitle(); }, [&](const QString& s) { w->setWindowTitle(s); });
    if (auto* l = qobject_cast<QLabel*>(w)) {
        swap([&] { return l->text(); }, [&](const QString& s) { l->setText(s); });
    } else if (auto* b = qobject_cast<QAbstractButton*>(w)) {
        swap([&] { return b->text(); }, [&](const QString& s) { b->setText(s); });
    } else if (auto* g = qobject_cast<QGroupBox*>(w)) {
        swap([&] { return g->title(); }, [&](const QString& s) { g->setTitle(s); });
    } else if (auto* e = qobject_cast<QLineEdit*>(w)) {
        swap([&] { return e->placeholderText(); },
             [&](const QString& s) { e->setPlaceholderText(s); });
    } else if (auto* p = qobject_cast<QPlainTextEdit*>(w)) {
        swap([&] { return p->placeholderText(); },
             [&](const QString& s) { p->setPlaceholderText(s); });
    } else if (auto* t = qobject_cast<QTextEdit*>(w)) {
        swap([&] { return t->placeholderText(); },
             [&](const QString& s) { t->setPlaceholderText(s); });
    } else if (auto* tabs = qobject_cast<QTabWidget*>(w)) {
        for (int i = 0; i < tabs->count(); ++i) {
            swap([&] { return tabs->tabText(i); },
                 [&](const QString& s) { tabs->setTabText(i, s); });
            swap([&] { return tabs->tabToolTip(i); },
                 [&](const QString& s) { tabs->setTabToolTip(i, s); });
        }
    } else if (auto* view = qobject_cast<QAbstractItemView*>(w)) {
        // Header labels set on the model (QStandardItemModel, QTableWidget); models that
        // compute theirs with tr() in headerData() follow by themselves.
        if (QAbstractItemModel* m = view->model()) {
            for (int c = 0; c < m->columnCount(); ++c)
                swap([&] { return m->headerData(c, Qt::Horizontal).toString(); },
                     [&](const QString& s) { m->setHeaderData(c, Qt::Horizontal, s); });
        }
    } else if (auto* plot = qobject_cast<QCustomPlot*>(w)) {
        retranslatePlot(plot);
    }
    if (auto* sb = qobject_cast<QAbstractSpinBox*>(w))
        swap([&] { return sb->specialValueText(); },
             [&](const QString& s) { sb->setSpecialValueText(s); });
    if (auto* sp = qobject_cast<QSpinBox*>(w)) {
        swap([&] { return sp->suffix().trimmed(); },
             [&](const QString& s) { sp->setSuffix(sp->suffix().startsWith(' ') ? " " + s : s); });
    } else if (auto* dp = qobject_cast<QDoubleSpinBox*>(w)) {
        swap([&] { return dp->suffix().trimmed(); },
             [&](const QString& s) { dp->setSuffix(dp->suffix().startsWith(' ') ? " " + s : s); });
    }
}

}  // namespace

void applyLanguage(const QString& code) {
    const QLocale locale = code.isEmpty() ? QLocale::system() : QLocale(code);
    QCoreApplication::removeTranslator(recorder());
    recorder()->load(locale);
    QLocale::setDefault(locale);
    g_language = code;
    // Installing sends LanguageChange to the application and (QApplication) every widget.
    QCoreApplication::installTranslator(recorder());
    if (qobject_cast<QApplication*>(QCoreApplication::instance()))
        for (QWidget* w : QApplication::topLevelWidgets()) w->setLocale(locale);
}

QString currentLanguage() { return g_language; }

QString localNumber(double value, char format, int precision) {
    QLocale locale;
    locale.setNumberOptions(QLocale::OmitGroupSeparator);
    return locale.toString(value, format, precision);
}

void retranslateWidgetTree(QWidget* root) {
    if (!root) return;
    retranslateWidget(root);
    for (QWidget* w : root->findChildren<QWidget*>()) retranslateWidget(w);
    for (QAction* a : root->findChildren<QAction*>()) {
        swap([&] { return a->text(); }, [&](const QString& s) { a->setText(s); });
        swap([&] { return a->toolTip(); }, [&](const QString& s) { a->setToolTip(s); });
        swap([&] { return a->statusTip(); }, [&](const QString& s) { a->setStatusTip(s); });
    }
}

}  // namespace tbui
