// Build facts panel (version, libtorch, CUDA): the first thing a bug report needs.
#pragma once

#include <QWidget>

namespace tbui {

class AboutPanel : public QWidget {
    Q_OBJECT
  public:
    explicit AboutPanel(QWidget* parent = nullptr);
};

}  // namespace tbui
