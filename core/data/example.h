// The common record every dataset reader produces (Dolly, Alpaca, chat, ShareGPT, CSV).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tb {

// One message of a conversation. role: "system", "user" or "assistant".
struct ChatTurn {
    std::string role;
    std::string content;
};

// One training row.
//
// For instruction data (Dolly, Alpaca, CSV) `turns` is empty. For conversations (chat,
// ShareGPT) `turns` holds the whole conversation, which ends with an assistant message, and the
// flat fields are derived from it so that statistics, stratification and the instruction
// template work on every format: instruction = the last user message, response = the final
// assistant message, context = the earlier messages as "role: content" lines ("" when none).
struct Example {
    std::string instruction;
    std::string context;  // "" when the row has none
    std::string response;
    std::string category;  // "" when the format or row has none
    std::vector<ChatTurn> turns;
    size_t source_line = 0;  // 1-based line in the source file where the row starts
};

}  // namespace tb
