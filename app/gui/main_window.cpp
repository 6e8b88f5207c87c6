#include "app/gui/main_window.h"

#include <QTabWidget>

#include "widgets/about_panel.h"

namespace tbui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("tunebench"));
    auto* tabs = new QTabWidget(this);
    tabs->addTab(new AboutPanel(tabs), tr("About"));
    setCentralWidget(tabs);
    resize(1100, 720);
}

}  // namespace tbui
