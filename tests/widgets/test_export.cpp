// Every chart format is a real file of that format; tables round-trip through CSV/JSON/MD.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardItemModel>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include "widgets/export.h"
#include "widgets/qcp.h"

class TestExport : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir dir_;
    QCustomPlot* plot_ = nullptr;
    QByteArray read(const QString& name) {
        QFile f(dir_.filePath(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        plot_ = new QCustomPlot;
        plot_->resize(500, 300);
        QVector<double> x, y;
        for (int i = 0; i < 100; ++i) {
            x << i;
            y << std::exp(-i / 30.0);
        }
        plot_->addGraph()->setData(x, y);
        plot_->xAxis->setLabel("step");
        plot_->rescaleAxes();
    }
    void cleanupTestCase() { delete plot_; }

    void png() {
        QCOMPARE(tbui::exportChart(plot_, dir_.filePath("c.png"), tbui::ChartFormat::Png, 500, 300),
                 QString());
        const QByteArray b = read("c.png");
        QVERIFY(b.startsWith("\x89PNG\r\n\x1a\n"));
        QImage img(dir_.filePath("c.png"));
        QVERIFY(!img.isNull());
        QCOMPARE(img.width(), 1000);  // 500 px at scale 2 (high-DPI)
        // By extension: the widget size, at least 640 px wide.
        QCOMPARE(tbui::exportChartByExtension(plot_, dir_.filePath("d.png")), QString());
        QVERIFY(QImage(dir_.filePath("d.png")).width() >= 1280);
    }

    void pdf() {
        QCOMPARE(tbui::exportChartByExtension(plot_, dir_.filePath("c.pdf")), QString());
        const QByteArray b = read("c.pdf");
        QVERIFY(b.startsWith("%PDF-"));
        QVERIFY(b.trimmed().endsWith("%%EOF"));
    }

    void svg() {
        QCOMPARE(tbui::exportChartByExtension(plot_, dir_.filePath("c.svg")), QString());
        const QByteArray b = read("c.svg");
        QXmlStreamReader xml(b);
        bool sawSvg = false, sawPath = false, sawLabel = false;
        while (!xml.atEnd()) {
            xml.readNext();
            if (!xml.isStartElement()) continue;
            if (xml.name() == QLatin1String("svg")) sawSvg = true;
            // QSvgGenerator writes the graph and the axes as <polyline>/<path> elements.
            if (xml.name() == QLatin1String("path") || xml.name() == QLatin1String("polyline"))
                sawPath = true;
            if (xml.name() == QLatin1String("text") && xml.readElementText().contains("step"))
                sawLabel = true;
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(sawSvg);
        QVERIFY(sawPath);
        QVERIFY(sawLabel);  // the axis label is real text, not pixels
        QSvgRenderer r(b);
        QVERIFY(r.isValid());
    }

    void unknownExtension() {
        QVERIFY(!tbui::exportChartByExtension(plot_, dir_.filePath("c.gif")).isEmpty());
    }

    void tables() {
        QStandardItemModel m(2, 2);
        m.setHorizontalHeaderLabels({"name", "value"});
        m.setItem(0, 0, new QStandardItem("a, \"quoted\""));
        m.setItem(0, 1, new QStandardItem("x|y"));
        m.setItem(1, 0, new QStandardItem("line1\nline2"));
        auto* num = new QStandardItem;
        num->setData(2.5, Qt::DisplayRole);
        m.setItem(1, 1, num);
        QCOMPARE(tbui::tableToText(&m, tbui::TableFormat::Csv),
                 QString("name,value\r\n\"a, \"\"quoted\"\"\",x|y\r\n\"line1\nline2\",2.5\r\n"));
        const QJsonArray arr =
            QJsonDocument::fromJson(tbui::tableToText(&m, tbui::TableFormat::Json).toUtf8())
                .array();
        QCOMPARE(arr.size(), 2);
        QCOMPARE(arr[0].toObject()["name"].toString(), QString("a, \"quoted\""));
        QCOMPARE(arr[1].toObject()["value"].toDouble(), 2.5);
        QCOMPARE(tbui::tableToText(&m, tbui::TableFormat::Markdown),
                 QString("| name | value |\n| --- | --- |\n| a, \"quoted\" | x\\|y |\n"
                         "| line1<br>line2 | 2.5 |\n"));
        QCOMPARE(tbui::exportTableByExtension(&m, dir_.filePath("t.md")), QString());
        QVERIFY(read("t.md").startsWith("| name"));
    }
};

QTEST_MAIN(TestExport)
#include "test_export.moc"
