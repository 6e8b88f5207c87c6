// File dialogs that never open the files they list.
//
// Why: Qt's own QFileDialog (and GTK's, used in-process by a native platform theme) fills its
// "Type" column and icons by content sniffing: QAbstractFileIconProvider::type() calls
// QMimeDatabase::mimeTypeForFile(), which open()s and close()s every file whose name matches no
// MIME glob -- tunebench.sqlite, -wal and -shm among them. close() of ANY descriptor on a file
// drops ALL of the process's POSIX (fcntl) locks on it, including the ones SQLite holds for its
// open connections. An outside `sqlite3` then saw no reader, checkpointed, deleted the WAL and
// re-initialised the -shm while the app kept writing into the unlinked files: the store
// corruption of issue 10 (evidence in core/store/store.h). These dialogs are Qt's widget-based
// dialog with an icon provider that decides by file name only (MatchExtension), so listing a
// workspace folder never touches the store. Every file dialog of the GUI goes through here.
#pragma once

#include <QString>

class QWidget;

namespace tbui {

// Same arguments and results as QFileDialog's static functions of the same name; an empty
// string when the user cancels.
QString getOpenFileName(QWidget* parent, const QString& caption, const QString& dir = QString(),
                        const QString& filter = QString());
QString getSaveFileName(QWidget* parent, const QString& caption, const QString& dir = QString(),
                        const QString& filter = QString());
QString getExistingDirectory(QWidget* parent, const QString& caption,
                             const QString& dir = QString());

}  // namespace tbui
