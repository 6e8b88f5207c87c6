// The core's UTF-8 std::string as a QString, the one conversion every panel makes.
#pragma once

#include <QString>
#include <string>

namespace tbui {

inline QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace tbui
