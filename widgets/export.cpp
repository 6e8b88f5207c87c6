#include "widgets/export.h"

#include <QAbstractItemModel>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSvgGenerator>

#include "widgets/qcp.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

// Translation context for the free functions below (lupdate sees tbui::Export).
struct Export {
    Q_DECLARE_TR_FUNCTIONS(tbui::Export)
};

namespace {

QString csvField(QString s) {
    if (s.contains(',') || s.contains('"') || s.contains('\n') || s.contains('\r')) {
        s.replace("\"", "\"\"");
        return "\"" + s + "\"";
    }
    return s;
}

QString mdCell(QString s) {
    s.replace("|", "\\|");
    s.replace("\r\n", "<br>").replace("\n", "<br>");
    return s;
}
}  // namespace

QString exportChart(QCustomPlot* plot, const QString& path, ChartFormat format, int width,
                    int height) {
    if (!plot) return Export::tr("no chart");
    const int w = width > 0 ? width : std::max(plot->width(), 640);
    const int h = height > 0 ? height : std::max(plot->height(), 400);
    bool ok = false;
    switch (format) {
        case ChartFormat::Png:
            ok = plot->savePng(path, w, h, 2.0);
            break;
        case ChartFormat::Pdf:
            ok = plot->savePdf(path, w, h);
            break;
        case ChartFormat::Svg: {
            QSvgGenerator gen;
            gen.setFileName(path);
            gen.setSize(QSize(w, h));
            gen.setViewBox(QRect(0, 0, w, h));
            gen.setTitle(QFileInfo(path).completeBaseName());
            QCPPainter painter;
            if (!painter.begin(&gen)) break;
            plot->toPainter(&painter, w, h);
            ok = painter.end();
            ok = ok && QFileInfo(path).size() > 0;
            break;
        }
    }
    return ok ? QString() : Export::tr("could not write %1").arg(path);
}

QString exportChartByExtension(QCustomPlot* plot, const QString& path) {
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == "png") return exportChart(plot, path, ChartFormat::Png);
    if (ext == "pdf") return exportChart(plot, path, ChartFormat::Pdf);
    if (ext == "svg") return exportChart(plot, path, ChartFormat::Svg);
    return Export::tr("unknown chart format '%1' (use .png, .pdf or .svg)").arg(ext);
}

QString tableToText(const QAbstractItemModel* model, TableFormat format) {
    const int rows = model->rowCount();
    const int cols = model->columnCount();
    QStringList headers;
    for (int c = 0; c < cols; ++c)
        headers << model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    auto cell = [&](int r, int c) { return model->data(model->index(r, c)).toString(); };
    QString out;
    switch (format) {
        case TableFormat::Csv: {
            QStringList line;
            for (const QString& h : headers) line << csvField(h);
            out += line.join(',') + "\r\n";
            for (int r = 0; r < rows; ++r) {
                line.clear();
                for (int c = 0; c < cols; ++c) line << csvField(cell(r, c));
                out += line.join(',') + "\r\n";
            }
            break;
        }
        case TableFormat::Json: {
            QJsonArray arr;
            for (int r = 0; r < rows; ++r) {
                QJsonObject o;
                for (int c = 0; c < cols; ++c) {
                    const QVariant v = model->data(model->index(r, c));
                    bool isNum = false;
                    const double d = v.toDouble(&isNum);
                    const bool numeric = v.typeId() == QMetaType::Int ||
                                         v.typeId() == QMetaType::Double ||
                                         v.typeId() == QMetaType::LongLong;
                    o.insert(headers[c],
                             numeric && isNum ? QJsonValue(d) : QJsonValue(v.toString()));
                }
                arr.append(o);
            }
            out = QString::fromUtf8(QJsonDocument(arr).toJson(QJsonDocument::Indented));
            break;
        }
        case TableFormat::Markdown: {
            QStringList line;
            for (const QString& h : headers) line << mdCell(h);
            out += "| " + line.join(" | ") + " |\n";
            out += "|" + QString(" --- |").repeated(cols) + "\n";
            for (int r = 0; r < rows; ++r) {
                line.clear();
                for (int c = 0; c < cols; ++c) line << mdCell(cell(r, c));
                out += "| " + line.join(" | ") + " |\n";
            }
            break;
        }
    }
    return out;
}

QString exportTable(const QAbstractItemModel* model, const QString& path, TableFormat format) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return Export::tr("could not open %1").arg(path);
    f.write(tableToText(model, format).toUtf8());
    if (!f.commit()) return Export::tr("could not write %1").arg(path);
    return {};
}

QString exportTableByExtension(const QAbstractItemModel* model, const QString& path) {
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == "csv") return exportTable(model, path, TableFormat::Csv);
    if (ext == "json") return exportTable(model, path, TableFormat::Json);
    if (ext == "md") return exportTable(model, path, TableFormat::Markdown);
    return Export::tr("unknown table format '%1' (use .csv, .json or .md)").arg(ext);
}

void exportChartInteractive(QWidget* parent, QCustomPlot* plot, const QString& baseName) {
    const QString path = tbui::getSaveFileName(
        parent, Export::tr("Export chart"), baseName + ".png",
        Export::tr("PNG image (*.png);;PDF document (*.pdf);;SVG image (*.svg)"));
    if (path.isEmpty()) return;
    const QString err = exportChartByExtension(plot, path);
    if (!err.isEmpty()) QMessageBox::warning(parent, Export::tr("Export chart"), err);
}

void exportTableInteractive(QWidget* parent, const QAbstractItemModel* model,
                            const QString& baseName) {
    const QString path =
        tbui::getSaveFileName(parent, Export::tr("Export table"), baseName + ".csv",
                              Export::tr("CSV (*.csv);;JSON (*.json);;Markdown (*.md)"));
    if (path.isEmpty()) return;
    const QString err = exportTableByExtension(model, path);
    if (!err.isEmpty()) QMessageBox::warning(parent, Export::tr("Export table"), err);
}

void installChartExportMenu(QCustomPlot* plot, const QString& baseName) {
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(
        plot, &QWidget::customContextMenuRequested, plot, [plot, baseName](QPoint pos) {
            QMenu menu(plot);
            menu.addAction(Export::tr("Export chart…"),
                           [plot, baseName] { exportChartInteractive(plot, plot, baseName); });
            menu.exec(plot->mapToGlobal(pos));
        });
}

}  // namespace tbui
