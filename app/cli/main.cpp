// tunebench-cli entry point: builds the subcommands from the registry, runs the chosen one,
// and turns any escaped exception into a one-line error (exit 1) instead of a crash.
#include <algorithm>
#include <exception>
#include <functional>
#include <iostream>
#include <map>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/crash_report.h"
#include "core/core_info.h"

int main(int argc, char** argv) {
    tbcli::install_crash_report(argc > 1 ? argv[1] : "");
    CLI::App app{"tunebench-cli: fine-tune once, serve anywhere (command-line engine)"};
    app.require_subcommand(1);
    bool show_version = false;
    app.add_flag("--version", show_version, "Print version and build facts");

    auto& reg = tbcli::command_registry();
    std::sort(reg.begin(), reg.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::map<CLI::App*, std::function<int()>> runners;
    for (auto& entry : reg) {
        CLI::App* sub = app.add_subcommand(entry.name);
        runners[sub] = entry.setup(*sub);
    }
    if (argc == 2 && std::string(argv[1]) == "--version") {
        auto info = tb::core_info();
        std::cout << "tunebench " << info.version << " (libtorch " << info.torch_version
                  << (info.cuda_compiled ? ", CUDA" : ", CPU only") << ")\n";
        return 0;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return tbcli::fail(e.what());
    }
    try {
        for (auto& [sub, run] : runners)
            if (sub->parsed()) return run();
    } catch (const std::exception& e) {
        std::cerr << "tunebench-cli: internal error: " << e.what() << std::endl;
        return tbcli::kExitInternal;
    }
    return tbcli::fail("no subcommand given");
}
