// What the Hyperparameters tab hands to the panels that start jobs (training, evaluation):
// the configuration on screen and what keeps it from running. One source for both jobs, so
// they run exactly the settings shown, and neither runs while the form shows an invalid field.
#pragma once

#include <QString>
#include <QStringList>
#include <functional>
#include <utility>

#include "core/config/app_config.h"

namespace tbui {

struct ConfigSnapshot {
    ConfigSnapshot() = default;
    // Implicit on purpose: a source that has a config and nothing to report (tests, tools)
    // can return the AppConfig itself.
    ConfigSnapshot(tb::AppConfig c) : config(std::move(c)) {}

    tb::AppConfig config;
    // One line per problem ("training.learning_rate: must be in (0, 1], got -1"); any entry
    // blocks Start training and Run evaluation.
    QStringList problems;
    QString sourcePath;  // the configuration file the form is tied to ("" when none)

    bool runnable() const { return problems.isEmpty(); }
};

using ConfigSource = std::function<ConfigSnapshot()>;

}  // namespace tbui
