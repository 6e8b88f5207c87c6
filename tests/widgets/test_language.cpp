// The language applies without a restart: switching to Spanish and back retranslates the
// window's tabs, menus, every panel's static texts (a sub-tab, group boxes, buttons,
// placeholders) and the number format, on the real main window.
#include <QAbstractButton>
#include <QGroupBox>
#include <QLocale>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QtTest>

#include "app/gui/main_window.h"
#include "core/config/app_config.h"
#include "widgets/chat_panel.h"
#include "widgets/config_text.h"
#include "widgets/language.h"

namespace {
QStringList tabTexts(QTabWidget* t) {
    QStringList out;
    for (int i = 0; i < t->count(); ++i) out << t->tabText(i);
    return out;
}
QStringList menuTitles(QMainWindow& w) {
    QStringList out;
    for (QAction* a : w.menuBar()->actions()) out << a->text();
    return out;
}
}  // namespace

class TestLanguage : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    // Every field and section of the configuration schema has a translatable label (the
    // Spanish of each is then checked by test_gui_translations' lupdate run).
    void everyConfigFieldHasALabel() {
        for (const auto& f : tb::config_schema()) {
            QVERIFY2(tbui::hasConfigFieldLabel(f.name), f.key.c_str());
            QVERIFY2(tbui::hasConfigSectionTitle(f.section), f.section.c_str());
        }
    }

    void initTestCase() {
        QCoreApplication::setOrganizationName("tunebench-test-language");
        tbui::applyLanguage("en");
    }

    void switchesWithoutRestart() {
        tbui::MainWindow w;
        QVERIFY(tabTexts(w.tabs()).contains("&Training"));
        QVERIFY(menuTitles(w).contains("&Language"));
        auto* chat = w.findChild<tbui::ChatPanel*>();
        QVERIFY(chat);
        auto* send = chat->findChild<QPushButton*>("send");
        QCOMPARE(send->text(), QString("&Send"));
        const QString chatInputHint =
            chat->findChild<QPlainTextEdit*>("chatInput")->placeholderText();
        QCOMPARE(QLocale().toString(0.5, 'f', 1), QString("0.5"));

        tbui::applyLanguage("es");
        QCoreApplication::processEvents();
        QVERIFY2(tabTexts(w.tabs()).contains("&Entrenamiento"),
                 qPrintable(tabTexts(w.tabs()).join(" | ")));
        QVERIFY2(!menuTitles(w).contains("&Language"), qPrintable(menuTitles(w).join(" | ")));
        QVERIFY(send->text() != "&Send");
        QVERIFY(chat->findChild<QPlainTextEdit*>("chatInput")->placeholderText() != chatInputHint);
        QCOMPARE(QLocale().toString(0.5, 'f', 1), QString("0,5"));
        // Every group box title of every panel that came from tr() is Spanish now: none of
        // the English titles the window showed is left.
        QStringList english;
        tbui::applyLanguage("en");
        QCoreApplication::processEvents();
        for (auto* g : w.findChildren<QGroupBox*>())
            if (!g->title().isEmpty()) english << g->title();
        QVERIFY(tabTexts(w.tabs()).contains("&Training"));
        QCOMPARE(send->text(), QString("&Send"));
        tbui::applyLanguage("es");
        QCoreApplication::processEvents();
        QStringList still;
        for (auto* g : w.findChildren<QGroupBox*>())
            if (!g->title().isEmpty() && english.contains(g->title()) &&
                g->title() != QString("Top-k") /* the same in both */)
                still << g->title();
        QVERIFY2(still.isEmpty(), qPrintable("still English: " + still.join(" | ")));
        tbui::applyLanguage("en");
        QCoreApplication::processEvents();
        QCOMPARE(send->text(), QString("&Send"));
    }
};

QTEST_MAIN(TestLanguage)
#include "test_language.moc"
