// Subcommand registry for tunebench-cli. Each cmd_*.cpp defines a static CommandRegistrar
// that adds its subcommand; main() builds the CLI11 app from the registry.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace tbcli {

// Adds the subcommand to `app` and returns the function to run when it is chosen.
// The run function returns the process exit code (0 ok, 2 user error, 1 internal error).
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandEntry {
    std::string name;
    CommandSetup setup;
};

std::vector<CommandEntry>& command_registry();

struct CommandRegistrar {
    CommandRegistrar(std::string name, CommandSetup setup) {
        command_registry().push_back({std::move(name), std::move(setup)});
    }
};

}  // namespace tbcli
