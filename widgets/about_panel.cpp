#include "widgets/about_panel.h"

#include <sqlite3.h>

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "core/core_info.h"
#include "widgets/qcp.h"

#ifndef TB_SOURCE_DIR
#define TB_SOURCE_DIR ""
#endif

namespace tbui {

namespace {

QString link(const QString& url, const QString& text) {
    return QString("<a href=\"%1\">%2</a>").arg(url.toHtmlEscaped(), text.toHtmlEscaped());
}

QString fileLink(const QString& path) {
    return link(QUrl::fromLocalFile(path).toString(), QDir::toNativeSeparators(path));
}

}  // namespace

AboutPanel::AboutPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    view_ = new QTextBrowser(this);
    view_->setObjectName("about");
    view_->setOpenExternalLinks(true);  // file:// and https:// through QDesktopServices
    view_->setFrameShape(QFrame::NoFrame);
    layout->addWidget(view_);
    retranslate();
}

QString AboutPanel::docsDir() {
    // Installed: <prefix>/bin/tunebench -> <prefix>/share/doc/tunebench (README.md there).
    const QString installed =
        QDir(QCoreApplication::applicationDirPath()).absoluteFilePath("../share/doc/tunebench");
    if (QFileInfo::exists(installed + "/README.md")) return QDir(installed).canonicalPath();
    // A build-tree binary: the source tree's docs/, else the folder holding README.md.
    const QString source = QString::fromUtf8(TB_SOURCE_DIR);
    if (!source.isEmpty() && QFileInfo(source + "/docs").isDir()) return source + "/docs";
    if (!source.isEmpty() && QFileInfo::exists(source + "/README.md")) return source;
    return QString();
}

QString AboutPanel::html() const { return view_->toHtml(); }

void AboutPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) retranslate();
    QWidget::changeEvent(event);
}

void AboutPanel::retranslate() {
    const tb::CoreInfo info = tb::core_info();
    QString h;
    h += QString("<h2>tunebench %1</h2>").arg(QString::fromStdString(info.version).toHtmlEscaped());
    h += "<p>" +
         tr("A desktop workbench for fine-tuning, comparing, chatting with and evaluating "
            "Llama-family language models.")
             .toHtmlEscaped() +
         "</p>";
    h += "<table cellspacing='0' cellpadding='3'>";
    auto row = [&h](const QString& k, const QString& v) {
        h += QString("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(k.toHtmlEscaped(), v);
    };
    row(tr("Version"), QString::fromStdString(info.version).toHtmlEscaped());
    row(tr("Licence"), link("https://opensource.org/license/mit", "MIT"));
    row(tr("libtorch"), QString::fromStdString(info.torch_version).toHtmlEscaped());
    row(tr("CUDA kernels"), info.cuda_compiled ? tr("built in") : tr("CPU only"));
    row(tr("Qt"), QString::fromLatin1(qVersion()));
    h += "</table>";

    h += "<h3>" + tr("Documentation").toHtmlEscaped() + "</h3><p>";
    const QString docs = docsDir();
    if (docs.isEmpty()) {
        h += tr("No documentation folder was found beside this binary.").toHtmlEscaped();
    } else {
        h += tr("Documentation folder:").toHtmlEscaped() + " " + fileLink(docs) + "<br>";
        if (QFileInfo::exists(docs + "/README.md"))
            h += tr("Read me first:").toHtmlEscaped() + " " + fileLink(docs + "/README.md");
        else if (QFileInfo::exists(docs + "/../README.md"))
            h += tr("Read me first:").toHtmlEscaped() + " " +
                 fileLink(QDir(docs + "/..").canonicalPath() + "/README.md");
    }
    h += "</p>";

    h += "<h3>" + tr("Libraries").toHtmlEscaped() + "</h3>";
    h += "<table border='1' cellspacing='0' cellpadding='4'>";
    h += QString("<tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th></tr>")
             .arg(tr("Library").toHtmlEscaped(), tr("Version").toHtmlEscaped(),
                  tr("Licence").toHtmlEscaped(), tr("Used for").toHtmlEscaped());
    struct Lib {
        QString name, url, version, licence, use;
    };
    const QString jsonVersion = QString("%1.%2.%3")
                                    .arg(NLOHMANN_JSON_VERSION_MAJOR)
                                    .arg(NLOHMANN_JSON_VERSION_MINOR)
                                    .arg(NLOHMANN_JSON_VERSION_PATCH);
    const Lib libs[] = {
        {"PyTorch libtorch", "https://pytorch.org", QString::fromStdString(info.torch_version),
         "BSD-3-Clause", tr("tensors, autograd, CUDA")},
        {"Qt", "https://www.qt.io", QString::fromLatin1(qVersion()), "LGPL-3.0-only",
         tr("the window and its widgets")},
        {"QCustomPlot", "https://www.qcustomplot.com", QCUSTOMPLOT_VERSION_STR, "GPL-3.0-or-later",
         tr("charts")},
        {"SQLite", "https://sqlite.org", QString::fromLatin1(sqlite3_libversion()),
         tr("public domain"), tr("the experiment store")},
        {"SentencePiece", "https://github.com/google/sentencepiece", QString(), "Apache-2.0",
         tr("tokenizers")},
        {"yaml-cpp", "https://github.com/jbeder/yaml-cpp", QString(), "MIT",
         tr("configuration files")},
        {"nlohmann/json", "https://github.com/nlohmann/json", jsonVersion, "MIT", tr("JSON files")},
        {"cpp-httplib", "https://github.com/yhirose/cpp-httplib", QString(), "MIT",
         tr("benchmarks against inference servers")},
        {"CLI11", "https://github.com/CLIUtils/CLI11", QString(), "BSD-3-Clause",
         tr("the command line (tunebench-cli)")},
    };
    for (const Lib& l : libs)
        h += QString("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td></tr>")
                 .arg(link(l.url, l.name), l.version.isEmpty() ? "–" : l.version.toHtmlEscaped(),
                      l.licence.toHtmlEscaped(), l.use.toHtmlEscaped());
    if (info.cuda_compiled)
        h += QString("<tr><td>%1</td><td>–</td><td>%2</td><td>%3</td></tr>")
                 .arg(link("https://developer.nvidia.com/cuda-toolkit", "CUDA runtime"),
                      tr("NVIDIA CUDA EULA").toHtmlEscaped(), tr("GPU kernels").toHtmlEscaped());
    h += "</table>";
    h += "<p>" +
         tr("The versions are those this build was compiled against (SQLite and Qt: loaded at "
            "run time). Each library's licence text is in its Debian package "
            "(/usr/share/doc/<package>/copyright).")
             .toHtmlEscaped() +
         "</p>";
    view_->setHtml(h);
}

}  // namespace tbui
