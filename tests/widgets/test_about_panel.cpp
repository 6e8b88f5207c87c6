// About: version, licence, every library with its licence, a working link to the
// documentation folder; the text follows a language change without a restart.
#include <QCoreApplication>
#include <QFileInfo>
#include <QTextBrowser>
#include <QTranslator>
#include <QUrl>
#include <QtTest>

#include "widgets/about_panel.h"

class TestAbout : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void showsVersionLicenceLibrariesAndDocs() {
        tbui::AboutPanel panel;
        const QString text = panel.findChild<QTextBrowser*>("about")->toPlainText();
        QVERIFY2(text.contains("tunebench " TUNEBENCH_VERSION), qPrintable(text));
        QVERIFY(text.contains("MIT"));
        for (const char* lib : {"PyTorch libtorch", "Qt", "QCustomPlot", "SQLite", "SentencePiece",
                                "yaml-cpp", "nlohmann/json", "cpp-httplib", "CLI11"})
            QVERIFY2(text.contains(lib), lib);
        for (const char* licence :
             {"BSD-3-Clause", "LGPL-3.0-only", "GPL-3.0-or-later", "Apache-2.0"})
            QVERIFY2(text.contains(licence), licence);
        // The documentation link points at a folder that exists, with the README in it or
        // above it (a build-tree binary links the source tree).
        const QString docs = tbui::AboutPanel::docsDir();
        QVERIFY(!docs.isEmpty());
        QVERIFY(QFileInfo(docs).isDir());
        QVERIFY(panel.html().contains(QUrl::fromLocalFile(docs).toString()));
        QVERIFY(QFileInfo::exists(docs + "/README.md") ||
                QFileInfo::exists(docs + "/../README.md"));
    }

    void retranslatesOnLanguageChange() {
        tbui::AboutPanel panel;
        const QString english = panel.findChild<QTextBrowser*>("about")->toPlainText();
        QVERIFY(english.contains("Libraries"));
        QTranslator es;
        QVERIFY(es.load(":/i18n/tunebench_es.qm"));
        QCoreApplication::installTranslator(&es);  // sends LanguageChange to every widget
        QCoreApplication::processEvents();
        const QString spanish = panel.findChild<QTextBrowser*>("about")->toPlainText();
        QCoreApplication::removeTranslator(&es);
        QVERIFY2(spanish.contains("Bibliotecas"), qPrintable(spanish));
        QVERIFY(spanish.contains("tunebench " TUNEBENCH_VERSION));
    }
};

QTEST_MAIN(TestAbout)
#include "test_about_panel.moc"
