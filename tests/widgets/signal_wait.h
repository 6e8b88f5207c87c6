// Waiting for a signal the worker thread emits. QSignalSpy records such a signal directly in
// the worker thread, and QSignalSpy::wait() counts only emissions that arrive while it waits:
// a job that finishes before wait() starts makes it time out. This polls the count instead,
// then delivers the GUI thread's queued copies of the signal (panels update their state there)
// before returning.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

namespace guitest {

// True when `spy` has recorded more than `before` emissions within `ms` milliseconds.
inline bool waitForSignal(QSignalSpy& spy, int ms, qsizetype before = 0) {
    QElapsedTimer t;
    t.start();
    while (spy.count() <= before && t.elapsed() < ms) QTest::qWait(5);
    // The queued copies may hop through the job queue before reaching a panel: a short event
    // loop delivers the chain.
    QCoreApplication::sendPostedEvents();
    QTest::qWait(20);
    return spy.count() > before;
}

}  // namespace guitest
