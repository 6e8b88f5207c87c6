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
    // A legend without items has a maximum width of its margins, and the plot layout's column
    // takes the smallest maximum of its rows: the plot drew in a strip as wide as its title,
    // the empty-state message cut off (issue 14). The legend row never limits the width (a
    // set maximum below QWIDGETSIZE_MAX wins over the hint once QCustomPlot has added the
    // margins to it: 1 << 20 px, not QWIDGETSIZE_MAX - 1, which the margins push past it).
    row->setMaximumSize(1 << 20, QWIDGETSIZE_MAX);
    row->addElement(0, 0, plot->legend);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setVisible(true);
    plot->plotLayout()->setRowStretchFactor(plot->plotLayout()->rowCount() - 1, 0.001);
}

}  // namespace tbui
