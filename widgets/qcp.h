// QCustomPlot under QT_NO_KEYWORDS. The widgets are built with QT_NO_KEYWORDS because libtorch
// headers use `slots` as an identifier; qcustomplot.h still says `signals:`/`slots:`/`foreach`, so
// the keywords are mapped for this one include (moc never reads it, only the C++ compiler).
#pragma once

#if defined(QT_NO_KEYWORDS) && !defined(signals)
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef foreach
#else
#include <qcustomplot.h>
#endif

namespace tbui {

// Moves the legend out of the axis rect into a row of its own under the plot (entries side by
// side), so that it never covers bars or points whatever the data.
inline void placeLegendBelow(QCustomPlot* plot) {
    auto* row = new QCPLayoutGrid;
    plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, row);
    row->setMargins(QMargins(5, 0, 5, 5));
    row->addElement(0, 0, plot->legend);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setVisible(true);
    plot->plotLayout()->setRowStretchFactor(plot->plotLayout()->rowCount() - 1, 0.001);
}

}  // namespace tbui
