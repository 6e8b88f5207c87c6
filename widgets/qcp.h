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
