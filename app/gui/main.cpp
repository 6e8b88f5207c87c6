#include <QApplication>

#include "app/gui/main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("tunebench");
    QApplication::setOrganizationName("tunebench");
    tbui::MainWindow w;
    w.show();
    return QApplication::exec();
}
