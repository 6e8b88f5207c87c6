// tunebench: the workbench window.
//   tunebench [--demo | --model DIR --data FILE --workspace DIR] [--tab N]
//             [--screenshot FILE [--screenshot-delay MS]]
// --demo opens (creating if needed) the embedded demo workspace; --screenshot grabs the window
// after it is shown and exits (used to check the layout headlessly under Xvfb/offscreen).
// --help and --version answer without a display: they run on a QCoreApplication, created
// instead of the QApplication (which needs a display server) when one of them is asked.
#include <QApplication>
#include <QCommandLineParser>
#include <QLocale>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>
#include <cstring>
#include <memory>

#include "app/gui/main_window.h"
#include "widgets/language.h"
#include "widgets/workspace_panel.h"

namespace {

// The options QCommandLineParser answers by printing and exiting.
bool asksHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strcmp(a, "--") == 0) break;
        for (const char* o : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(a, o) == 0) return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    const bool infoOnly = asksHelpOrVersion(argc, argv);
    std::unique_ptr<QCoreApplication> appHolder;
    if (infoOnly)
        appHolder = std::make_unique<QCoreApplication>(argc, argv);
    else
        appHolder = std::make_unique<QApplication>(argc, argv);
    QCoreApplication& app = *appHolder;
    QCoreApplication::setApplicationName("tunebench");
    QCoreApplication::setOrganizationName("tunebench");
    QCoreApplication::setApplicationVersion(TUNEBENCH_VERSION);
    if (!infoOnly) QApplication::setWindowIcon(QIcon(":/icons/tunebench.svg"));

    // Language: the saved choice, else the system locale (the .qm files are embedded); the
    // Language menu switches it while running (widgets/language.h).
    tbui::applyLanguage(QSettings().value("ui/language").toString());

    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption demo("demo", QApplication::translate("main", "Open the demo workspace."));
    QCommandLineOption tab("tab", QApplication::translate("main", "Tab to show first."), "N");
    QCommandLineOption shot("screenshot", "", "FILE");
    shot.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption delay("screenshot-delay", "", "MS", "1500");
    delay.setFlags(QCommandLineOption::HiddenFromHelp);
    QCommandLineOption model("model", QApplication::translate("main", "Model folder."), "DIR");
    QCommandLineOption data("data", QApplication::translate("main", "Dataset file."), "FILE");
    QCommandLineOption workspace("workspace", QApplication::translate("main", "Workspace folder."),
                                 "DIR");
    parser.addOptions({demo, tab, shot, delay, model, data, workspace});
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "tunebench: fine-tune, compare, chat with and evaluate Llama-family models."));
    parser.process(app);  // --help / --version print and exit here

    tbui::MainWindow w;
    if (parser.isSet(tab)) w.tabs()->setCurrentIndex(parser.value(tab).toInt());
    w.show();
    if (parser.isSet(model) && parser.isSet(data) && parser.isSet(workspace)) {
        w.workspacePanel()->setWorkspace(
            {parser.value(workspace), parser.value(model), parser.value(data), false});
    }
    if (parser.isSet(demo))
        QTimer::singleShot(0, w.workspacePanel(), &tbui::WorkspacePanel::openDemo);
    if (parser.isSet(shot)) {
        const QString file = parser.value(shot);
        QTimer::singleShot(parser.value(delay).toInt(), &w, [&w, file] {
            const bool ok = w.grab().save(file);
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return QApplication::exec();
}
