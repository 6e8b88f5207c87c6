// About: the build facts a bug report needs (tunebench version, libtorch, CUDA, Qt), the
// licence, the libraries tunebench links with their versions and licences, and links to the
// documentation folder (installed: <prefix>/share/doc/tunebench; in a build tree: the source
// tree's docs/ or its README.md). Retranslates on a language change.
#pragma once

#include <QString>
#include <QWidget>

class QTextBrowser;

namespace tbui {

class AboutPanel : public QWidget {
    Q_OBJECT
  public:
    explicit AboutPanel(QWidget* parent = nullptr);

    // The documentation folder this binary uses ("" when none is found).
    static QString docsDir();
    // The panel's text as HTML (tests read it).
    QString html() const;

  protected:
    void changeEvent(QEvent* event) override;

  private:
    void retranslate();
    QTextBrowser* view_;
};

}  // namespace tbui
