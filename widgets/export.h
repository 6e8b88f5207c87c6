// Chart and table export. Charts: PNG (raster, 2x for high-DPI), PDF and SVG (vector, through
// QSvgGenerator + QCPPainter). Tables: CSV (RFC 4180), JSON (array of objects keyed by header)
// and Markdown (pipe table). Errors come back as a message for the caller to show.
#pragma once

#include <QString>

class QCustomPlot;
class QAbstractItemModel;
class QWidget;

namespace tbui {

enum class ChartFormat { Png, Pdf, Svg };
enum class TableFormat { Csv, Json, Markdown };

// Returns an empty string on success, else the reason.
QString exportChart(QCustomPlot* plot, const QString& path, ChartFormat format, int width = 0,
                    int height = 0);
// Format from the file extension (.png/.pdf/.svg); unknown extension is an error.
QString exportChartByExtension(QCustomPlot* plot, const QString& path);

QString tableToText(const QAbstractItemModel* model, TableFormat format);
QString exportTable(const QAbstractItemModel* model, const QString& path, TableFormat format);
QString exportTableByExtension(const QAbstractItemModel* model, const QString& path);

// File dialogs + message boxes around the functions above (used by context menus/buttons).
void exportChartInteractive(QWidget* parent, QCustomPlot* plot, const QString& baseName);
void exportTableInteractive(QWidget* parent, const QAbstractItemModel* model,
                            const QString& baseName);
// Adds a right-click "Export chart…" menu to a plot.
void installChartExportMenu(QCustomPlot* plot, const QString& baseName);

}  // namespace tbui
