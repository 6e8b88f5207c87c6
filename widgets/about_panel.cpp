#include "widgets/about_panel.h"

#include <QFormLayout>
#include <QLabel>

#include "core/core_info.h"

namespace tbui {

AboutPanel::AboutPanel(QWidget* parent) : QWidget(parent) {
    const tb::CoreInfo info = tb::core_info();
    auto* form = new QFormLayout(this);
    form->addRow(tr("tunebench version:"), new QLabel(QString::fromStdString(info.version)));
    form->addRow(tr("libtorch:"), new QLabel(QString::fromStdString(info.torch_version)));
    form->addRow(tr("CUDA kernels:"),
                 new QLabel(info.cuda_compiled ? tr("built in") : tr("CPU only")));
}

}  // namespace tbui
