#include "widgets/chart_style.h"

#include <QHash>
#include <algorithm>
#include <cmath>

#include "widgets/export.h"
#include "widgets/qcp.h"

namespace tbui::chart {

namespace {

constexpr const char* kTitleName = "tbChartTitle";
constexpr const char* kEmptyName = "tbEmptyText";

QHash<QString, int>& assignments() {
    static QHash<QString, int> map;
    return map;
}

QCPTextElement* titleElement(const QCustomPlot* cplot) {
    auto* plot = const_cast<QCustomPlot*>(cplot);
    auto* layout = plot->plotLayout();
    for (int i = 0; i < layout->elementCount(); ++i) {
        auto* el = qobject_cast<QCPTextElement*>(layout->elementAt(i));
        if (el && el->objectName() == QLatin1String(kTitleName)) return el;
    }
    return nullptr;
}

QCPItemText* emptyItem(const QCustomPlot* cplot) {
    auto* plot = const_cast<QCustomPlot*>(cplot);
    for (int i = 0; i < plot->itemCount(); ++i) {
        auto* it = qobject_cast<QCPItemText*>(plot->item(i));
        if (it && it->objectName() == QLatin1String(kEmptyName)) return it;
    }
    return nullptr;
}

int dataCount(QCPAbstractPlottable* p) {
    if (auto* one = p->interface1D()) return one->dataCount();
    return 0;
}

}  // namespace

QColor paletteColor(int index) {
    // Tableau 10 (colour-blind-friendly order).
    static const QColor colors[] = {
        QColor(31, 119, 180),  QColor(255, 127, 14), QColor(44, 160, 44),   QColor(214, 39, 40),
        QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127),
        QColor(188, 189, 34),  QColor(23, 190, 207)};
    const int n = static_cast<int>(sizeof(colors) / sizeof(colors[0]));
    return colors[((index % n) + n) % n];
}

QColor colorFor(const QString& key) {
    auto& map = assignments();
    if (key == QLatin1String("base")) return paletteColor(0);
    auto it = map.find(key);
    if (it != map.end()) return paletteColor(it.value());
    // Entry 0 is base's; others take 1, 2, ... in order of first use.
    const int k = static_cast<int>(map.size()) + 1;
    map.insert(key, k);
    return paletteColor(k);
}

void resetColors() { assignments().clear(); }

void setup(QCustomPlot* plot, const ChartSetup& s) {
    if (!titleElement(plot)) {
        QFont f = plot->font();
        f.setBold(true);
        plot->plotLayout()->insertRow(0);
        auto* el = new QCPTextElement(plot, s.title, f);
        el->setObjectName(kTitleName);
        plot->plotLayout()->addElement(0, 0, el);
    } else {
        setTitle(plot, s.title);
    }
    plot->xAxis->setLabel(s.xLabel);
    plot->yAxis->setLabel(s.yLabel);
    plot->setProperty("tbLegend", s.legend);
    if (s.legend) placeLegendBelow(plot);
    if (!s.exportName.isEmpty()) installChartExportMenu(plot, s.exportName);
    auto* text = new QCPItemText(plot);
    text->setObjectName(kEmptyName);
    text->setClipToAxisRect(false);
    text->position->setType(QCPItemPosition::ptAxisRectRatio);
    text->position->setAxisRect(plot->axisRect());
    text->position->setCoords(0.5, 0.5);
    text->setPositionAlignment(Qt::AlignCenter);
    text->setTextAlignment(Qt::AlignCenter);
    text->setColor(QColor(110, 110, 110));
    text->setText(s.emptyMessage);
    refresh(plot);
}

void setTitle(QCustomPlot* plot, const QString& title) {
    if (auto* el = titleElement(plot)) el->setText(title);
}

QString title(const QCustomPlot* plot) {
    const auto* el = titleElement(plot);
    return el ? el->text() : QString();
}

void setEmptyMessage(QCustomPlot* plot, const QString& message) {
    if (auto* it = emptyItem(plot)) it->setText(message);
}

QString emptyMessage(const QCustomPlot* plot) {
    const auto* it = emptyItem(plot);
    return it ? it->text() : QString();
}

bool hasData(const QCustomPlot* cplot) {
    // QCustomPlot's accessors are not const.
    auto* plot = const_cast<QCustomPlot*>(cplot);
    for (int i = 0; i < plot->plottableCount(); ++i) {
        auto* p = plot->plottable(i);
        if (p->visible() && dataCount(p) > 0) return true;
    }
    return false;
}

bool showingEmpty(const QCustomPlot* plot) {
    const auto* it = emptyItem(plot);
    return it && it->visible();
}

void autoscale(QCustomPlot* plot, const Scale& s) {
    const bool logY = plot->yAxis->scaleType() == QCPAxis::stLogarithmic;
    bool anyX = false, anyY = false;
    QCPRange xr, yr;
    for (int i = 0; i < plot->plottableCount(); ++i) {
        auto* p = plot->plottable(i);
        if (!p->visible() || dataCount(p) == 0) continue;
        bool found = false;
        QCPRange r = p->getKeyRange(found, QCP::sdBoth);
        if (found) {
            xr = anyX ? QCPRange(std::min(xr.lower, r.lower), std::max(xr.upper, r.upper)) : r;
            anyX = true;
        }
        r = p->getValueRange(found, logY ? QCP::sdPositive : QCP::sdBoth);
        if (found) {
            yr = anyY ? QCPRange(std::min(yr.lower, r.lower), std::max(yr.upper, r.upper)) : r;
            anyY = true;
        }
    }
    if (!s.keepX) {
        double lo = s.xMin.value_or(anyX ? xr.lower : 0.0);
        double hi = std::max(anyX ? xr.upper : 1.0, s.xMax.value_or(lo));
        if (hi <= lo) hi = lo + 1.0;
        // Room for the newest point's marker: half a percent of nothing is still clipped.
        const double pad = 0.02 * (hi - lo);
        plot->xAxis->setRange(s.xMin ? lo : lo - pad, hi + pad);
    }
    if (!anyY) return;
    double lo = yr.lower, hi = yr.upper;
    if (logY) {
        if (lo <= 0) lo = hi > 0 ? hi / 10 : 1e-3;
        if (hi <= lo) hi = lo * 10;
        const double f = std::pow(hi / lo, s.headroom);
        plot->yAxis->setRange(lo / std::max(f, 1.05), hi * std::max(f, 1.05));
        return;
    }
    if (hi - lo <= 0) {
        const double d = std::max(std::abs(hi) * 0.1, 1e-9);
        lo -= d;
        hi += d;
    }
    // Zero-based axes: the headroom is a share of the whole bar (0..hi), else of the data span.
    const bool zero = s.zeroBasedY && lo >= 0;
    const double pad = s.headroom * (zero ? hi : hi - lo);
    plot->yAxis->setRange(zero ? 0.0 : lo - pad, hi + pad);
}

void setLogY(QCustomPlot* plot, bool on) {
    auto* ax = plot->yAxis;
    ax->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on) {
        QSharedPointer<QCPAxisTickerLog> t(new QCPAxisTickerLog);
        ax->setTicker(t);
        ax->setNumberFormat("gb");
    } else {
        ax->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        ax->setNumberFormat("gb");
    }
}

void refresh(QCustomPlot* plot, bool queued) {
    const bool empty = !hasData(plot);
    if (auto* it = emptyItem(plot)) it->setVisible(empty && !it->text().isEmpty());
    for (auto* ax : {plot->xAxis, plot->yAxis}) {
        ax->setVisible(!empty);
        ax->grid()->setVisible(!empty);
    }
    // The legend has a row of its own (placeLegendBelow): hide it with the data.
    if (plot->property("tbLegend").toBool())
        plot->legend->setVisible(!empty && plot->legend->itemCount() > 0);
    plot->replot(queued ? QCustomPlot::rpQueuedReplot : QCustomPlot::rpRefreshHint);
}

}  // namespace tbui::chart
