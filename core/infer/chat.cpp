#include "core/infer/chat.h"

namespace tb::infer {

std::vector<ChatMessage> chat_messages(const ChatTurnRequest& r, size_t column, size_t drop) {
    std::vector<ChatMessage> m;
    if (!r.system_prompt.empty()) m.push_back({"system", r.system_prompt});
    const ChatColumn& col = r.columns.at(column);
    for (size_t t = drop; t < r.user_turns.size(); ++t) {
        m.push_back({"user", r.user_turns[t]});
        if (t + 1 < r.user_turns.size()) m.push_back({"assistant", col.replies.at(t)});
    }
    return m;
}

std::string plain_transcript(const std::vector<ChatMessage>& messages) {
    std::string out;
    for (const ChatMessage& m : messages) {
        std::string role = m.role;
        if (!role.empty()) role[0] = static_cast<char>(std::toupper(role[0]));
        out += role + ": " + m.content + "\n\n";
    }
    return out + "Assistant:";
}

Request chat_request(const InferenceEngine& engine, const ChatTurnRequest& r, size_t column,
                     size_t drop) {
    Request req;
    const auto messages = chat_messages(r, column, drop);
    auto tok = engine.tokenizer();
    if (tok && !tok->chat_template().empty()) {
        req.messages = messages;
    } else {
        req.prompt_text = plain_transcript(messages);
    }
    req.sampling = r.sampling;
    req.max_new_tokens = r.max_new_tokens;
    req.stop = r.stop;
    req.adapter = r.columns[column].adapter;
    return req;
}

Result<ChatTurnResult> chat_turn(InferenceEngine& engine, const ChatTurnRequest& r,
                                 const GenerateOptions& options) {
    if (r.columns.empty()) return Error{"chat: no model to answer (columns is empty)"};
    if (r.user_turns.empty()) return Error{"chat: no user message"};
    if (!engine.tokenizer()) return Error{"chat: the model has no tokenizer"};
    const size_t turns = r.user_turns.size();
    for (size_t c = 0; c < r.columns.size(); ++c)
        if (r.columns[c].replies.size() != turns - 1)
            return Error{"chat: column " + std::to_string(c) + " has " +
                         std::to_string(r.columns[c].replies.size()) + " replies for " +
                         std::to_string(turns) + " user turns (needs " + std::to_string(turns - 1) +
                         ")"};
    const int64_t context = engine.config().max_position_embeddings;
    ChatTurnResult result;
    std::vector<Request> requests;
    for (size_t c = 0; c < r.columns.size(); ++c) {
        // Leave out the oldest pairs until prompt + new tokens fit the context.
        size_t drop = 0;
        while (true) {
            Request req = chat_request(engine, r, c, drop);
            TB_ASSIGN_OR_RETURN(std::vector<int64_t> ids, engine.encode(req));
            const int64_t need = static_cast<int64_t>(ids.size()) + r.max_new_tokens;
            if (context <= 0 || need <= context) {
                requests.push_back(std::move(req));
                break;
            }
            if (drop + 1 >= turns)
                return Error{"chat: the last message needs " + std::to_string(ids.size()) +
                             " prompt tokens; with max_new_tokens " +
                             std::to_string(r.max_new_tokens) + " that exceeds the model's " +
                             "context of " + std::to_string(context) + " tokens"};
            ++drop;
        }
        result.dropped_turns.push_back(static_cast<int64_t>(drop));
    }
    TB_ASSIGN_OR_RETURN(result.completions, engine.generate(requests, options));
    return result;
}

}  // namespace tb::infer
