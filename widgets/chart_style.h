// The one chart policy of the GUI, used by every panel's QCustomPlot:
//   - a title row (so that an exported PNG/SVG/PDF carries its title), labelled axes with units;
//   - the legend in a row of its own under the plot (never over the data);
//   - autoscale on every update with a little headroom, so the newest and the extreme points are
//     drawn whole (nothing at the very edge of the axis rect, where QCustomPlot clips);
//   - an empty-state message instead of QCustomPlot's default 0..5 axes;
//   - one colour per model / run / engine for the whole session (colorFor), so that a model keeps
//     its colour between the results, rating, runs and benchmark views.
#pragma once

#include <QColor>
#include <QString>
#include <optional>

class QCustomPlot;

namespace tbui::chart {

// The palette (colour-blind-friendly Tableau 10 order); index wraps.
QColor paletteColor(int index);
// Stable colour of a series key (model label, run name, engine): the first key asked for gets
// the first palette entry, the next new key the next one, and so on; "base" always gets the
// first entry. The same key gives the same colour everywhere in the process.
QColor colorFor(const QString& key);
// Forgets the assignments (tests).
void resetColors();

struct ChartSetup {
    QString title;         // drawn in the top row and used by exports
    QString xLabel;        // with unit, e.g. "optimizer step"
    QString yLabel;        // with unit, e.g. "memory (MiB, GPU allocated)"
    QString exportName;    // base file name of "Export chart…" (empty: no context menu)
    bool legend = true;    // legend row under the plot
    QString emptyMessage;  // shown while no plottable has data
};
// Applies the policy to a fresh plot. Call once, after construction.
void setup(QCustomPlot* plot, const ChartSetup& s);
void setTitle(QCustomPlot* plot, const QString& title);
QString title(const QCustomPlot* plot);
void setEmptyMessage(QCustomPlot* plot, const QString& message);
QString emptyMessage(const QCustomPlot* plot);

// True when a visible plottable holds at least one data point.
bool hasData(const QCustomPlot* plot);
// True while the empty-state message is drawn (set by refresh()).
bool showingEmpty(const QCustomPlot* plot);

struct Scale {
    double headroom = 0.08;      // fraction of the data span added above and below
    bool zeroBasedY = false;     // bars and counts: y starts at 0 when the data are >= 0
    std::optional<double> xMin;  // fixed lower x (e.g. 0); else the data's
    std::optional<double> xMax;  // at least this upper x (e.g. the run's total steps)
    bool keepX = false;          // categorical x axes set by the caller: leave x alone
};
// Rescales the axes to the visible data with headroom (log axes: by a factor).
void autoscale(QCustomPlot* plot, const Scale& s = {});
// Logarithmic or linear y axis (log tick labels 10^n).
void setLogY(QCustomPlot* plot, bool on);
// Shows the empty message or the axes (whichever applies), then replots.
void refresh(QCustomPlot* plot, bool queued = false);

}  // namespace tbui::chart
