// The Spanish translation is compiled into the binary, loads, and covers every string:
// lupdate run over the current sources on a copy of the .ts must find nothing unfinished.
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

class TestTranslations : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void spanishLoadsFromResources() {
        QTranslator t;
        QVERIFY(t.load(":/i18n/tunebench_es.qm"));
        QCOMPARE(t.translate("tbui::MainWindow", "&Training"), QString("&Entrenamiento"));
        QVERIFY(!t.translate("tbui::DatasetPanel", "Bad rows").isEmpty());
        QVERIFY(!t.translate("tbui::Export", "Export chart").isEmpty());
        QTranslator en;
        QVERIFY(en.load(":/i18n/tunebench_en.qm"));
    }

    void systemLocaleLookup() {
        QTranslator t;
        QVERIFY(t.load(QLocale(QLocale::Spanish, QLocale::Mexico), "tunebench", "_", ":/i18n"));
    }

    void everyStringTranslated_data() {
        QTest::addColumn<QString>("lang");
        QTest::newRow("es") << "es";
        QTest::newRow("en") << "en";
    }
    void everyStringTranslated() {
        QFETCH(QString, lang);
        QTemporaryDir tmp;
        const QString ts = tmp.filePath("copy.ts");
        QVERIFY(QFile::copy(QString(TB_TRANSLATIONS_DIR) + "/tunebench_" + lang + ".ts", ts));
        QFile::setPermissions(ts, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QProcess p;
        p.setWorkingDirectory(TUNEBENCH_SOURCE_DIR);
        p.start(TB_LUPDATE,
                {"-no-obsolete", "-locations", "none", "-I", ".", "widgets", "app/gui", "-ts", ts});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        QFile f(ts);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY(text.count("<message") > 150);
        QVERIFY2(!text.contains("type=\"unfinished\""),
                 qPrintable("untranslated strings in tunebench_" + lang + ".ts:\n" +
                            QString::fromUtf8(p.readAllStandardOutput())));
        QVERIFY(!text.contains("type=\"vanished\""));
    }
};

QTEST_MAIN(TestTranslations)
#include "test_translations.moc"
