// Multi-turn chat on the inference core: one user turn answered by several columns (the base
// model and adapters) of one conversation, each column continuing its own history. The GUI's
// chat playground (widgets/chat_panel.h) runs its turns through here, so the prompt each model
// sees is built in one place.
//
// What a column sees: the system prompt (when not empty), then user_turns[0], its own
// replies[0], user_turns[1], ..., user_turns.back() - the messages go through the model's
// chat template with add_generation_prompt (InferenceEngine's prompt encoder). A model
// without a chat template gets the same turns as a plain transcript (plain_transcript()).
// When the prompt and max_new_tokens would not fit the model's context
// (max_position_embeddings) the oldest turns are left out, one user/assistant pair at a
// time; the system prompt and the last user message are always kept.
//
// Torch-free header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/infer/inference.h"

namespace tb::infer {

struct ChatColumn {
    std::string adapter;               // "" = base model, else a name given to load_adapter()
    std::vector<std::string> replies;  // this column's answers to user_turns[0 .. n-2]
};

struct ChatTurnRequest {
    std::string system_prompt;            // "" = none
    std::vector<std::string> user_turns;  // every user message so far; the last is answered
    std::vector<ChatColumn> columns;      // >= 1
    Sampling sampling;                    // the same for every column; each restarts at seed
    int64_t max_new_tokens = 256;
    std::vector<std::string> stop;
};

struct ChatTurnResult {
    std::vector<Completion> completions;  // one per column
    std::vector<int64_t> dropped_turns;   // per column: oldest turns left out to fit
};

// The messages column `column` sees with its `drop` oldest turns left out.
std::vector<ChatMessage> chat_messages(const ChatTurnRequest& request, size_t column,
                                       size_t drop = 0);

// Without a chat template: "System: ...\n\nUser: ...\n\nAssistant: ...\n\n...User: ...\n\n
// Assistant:" (the roles capitalised, turns separated by a blank line).
std::string plain_transcript(const std::vector<ChatMessage>& messages);

// The engine request for one column (prompt form, sampling, adapter), `drop` turns left out.
Request chat_request(const InferenceEngine& engine, const ChatTurnRequest& request, size_t column,
                     size_t drop = 0);

// Answers the last user turn with every column in one generate() call, streaming through
// `options` (TokenEvent::request is the column). Errors: no columns or turns, a column whose
// replies do not number user_turns - 1, no tokenizer, the last message alone too long for the
// context, and generate()'s own.
Result<ChatTurnResult> chat_turn(InferenceEngine& engine, const ChatTurnRequest& request,
                                 const GenerateOptions& options = {});

}  // namespace tb::infer
