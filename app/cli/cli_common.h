// Helpers shared by the subcommands: the error convention (one line on stderr, exit 2),
// id-list parsing and SIGINT -> cancellation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"

namespace tbcli {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUserError = 2;

// Prints "tunebench-cli: <message>" as one line on stderr and returns kExitUserError.
int fail(const tb::Error& e);
int fail(const std::string& message);

// "1,2,3" -> ids; error names the flag and the bad element.
tb::Result<std::vector<int64_t>> parse_id_list(const std::string& text, const std::string& flag);

// Token cancelled by SIGINT/SIGTERM (installed on first call).
tb::CancelToken& interrupt_token();

}  // namespace tbcli
