#include "widgets/store_safe_file_dialog.h"

#include <QFileDialog>
#include <QFileIconProvider>
#include <QFileInfo>
#include <QMimeDatabase>

namespace tbui {
namespace {

// Icons and type names from the file name alone: never opens a file (see the header).
class NameOnlyIconProvider : public QFileIconProvider {
  public:
    QIcon icon(IconType type) const override { return QFileIconProvider::icon(type); }
    QIcon icon(const QFileInfo& info) const override {
        if (info.isDir()) return QFileIconProvider::icon(QFileIconProvider::Folder);
        return QFileIconProvider::icon(QFileIconProvider::File);
    }
    QString type(const QFileInfo& info) const override {
        if (!info.isFile()) return QFileIconProvider::type(info);  // folders, drives: no sniffing
        const QMimeType mime = db_.mimeTypeForFile(info, QMimeDatabase::MatchExtension);
        return mime.comment().isEmpty() ? mime.name() : mime.comment();
    }

  private:
    QMimeDatabase db_;
};

QString run(QWidget* parent, const QString& caption, const QString& dir, const QString& filter,
            QFileDialog::FileMode mode, QFileDialog::AcceptMode accept,
            QFileDialog::Options extra) {
    NameOnlyIconProvider icons;
    QFileDialog dialog(parent, caption, dir, filter);
    // Native dialogs (GTK in-process) sniff content too; Qt's own dialog takes our provider.
    dialog.setOptions(QFileDialog::DontUseNativeDialog | QFileDialog::DontUseCustomDirectoryIcons |
                      extra);
    dialog.setIconProvider(&icons);
    dialog.setFileMode(mode);
    dialog.setAcceptMode(accept);
    if (dialog.exec() != QDialog::Accepted) return {};
    const QStringList files = dialog.selectedFiles();
    return files.isEmpty() ? QString() : files.first();
}

}  // namespace

QString getOpenFileName(QWidget* parent, const QString& caption, const QString& dir,
                        const QString& filter) {
    return run(parent, caption, dir, filter, QFileDialog::ExistingFile, QFileDialog::AcceptOpen,
               {});
}

QString getSaveFileName(QWidget* parent, const QString& caption, const QString& dir,
                        const QString& filter) {
    return run(parent, caption, dir, filter, QFileDialog::AnyFile, QFileDialog::AcceptSave, {});
}

QString getExistingDirectory(QWidget* parent, const QString& caption, const QString& dir) {
    return run(parent, caption, dir, QString(), QFileDialog::Directory, QFileDialog::AcceptOpen,
               QFileDialog::ShowDirsOnly);
}

}  // namespace tbui
