#include "app/cli/command_registry.h"

namespace tbcli {

std::vector<CommandEntry>& command_registry() {
    static std::vector<CommandEntry> registry;
    return registry;
}

}  // namespace tbcli
