#include "app/cli/cli_common.h"

#include <csignal>
#include <cstdio>
#include <iostream>

namespace tbcli {

int fail(const tb::Error& e) { return fail(e.message); }

int fail(const std::string& message) {
    std::string line = message;
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    std::cerr << "tunebench-cli: " << line << std::endl;
    return kExitUserError;
}

tb::Result<std::vector<int64_t>> parse_id_list(const std::string& text, const std::string& flag) {
    std::vector<int64_t> ids;
    size_t start = 0;
    if (text.empty()) return tb::make_error(flag, "empty id list");
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        size_t pos = 0;
        long long v = 0;
        try {
            v = std::stoll(item, &pos);
        } catch (...) {
            pos = 0;
        }
        if (item.empty() || pos != item.size() || v < 0)
            return tb::make_error(flag, "not a non-negative integer id: '" + item + "'");
        ids.push_back(v);
        start = end + 1;
    }
    return ids;
}

static tb::CancelToken g_interrupt;

static void on_signal(int) { g_interrupt.cancel(); }

tb::CancelToken& interrupt_token() {
    static bool installed = [] {
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        return true;
    }();
    (void)installed;
    return g_interrupt;
}

}  // namespace tbcli
