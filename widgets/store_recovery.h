// A damaged experiment store in the GUI: one message that names the file, what PRAGMA
// quick_check found and the newest good backup, with a one-click "Restore newest backup".
// The check and the restore are core/store/store_backup.h's; this is only their dialog.
#pragma once

#include <QString>
#include <functional>

class QMessageBox;
class QWidget;

namespace tbui {

class StoreRecovery {
  public:
    enum class Outcome {
        Healthy,   // no store yet, or quick_check ok: nothing shown
        Restored,  // the user restored the newest good backup
        Kept,      // the user kept the damaged store (or there was no backup to restore)
        Failed,    // the restore was refused or failed (the reason was shown)
    };

    // Checks <dir>/tunebench.sqlite; when it is damaged, asks. `setStoreDir("")` must make
    // every panel close its Store of that file (a file is never replaced under an open
    // connection), `setStoreDir(dir)` reopen them; `busy`: a job may hold the store, so the
    // restore waits for it to end. Modal; call from the GUI thread.
    static Outcome checkAndOffer(QWidget* parent, const QString& dir,
                                 const std::function<void(const QString&)>& setStoreDir, bool busy);

    // Whether an error message from a store call says the store is damaged.
    static bool isDamageMessage(const QString& message);

    // The restore button's text (tests click it by name).
    static QString restoreButtonText();
};

}  // namespace tbui
