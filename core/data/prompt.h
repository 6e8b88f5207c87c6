// Prompt building: the text the model sees before the response, and the response itself
// (the trainer masks the loss on the prompt part when data.loss_on is "response").
//
// Two paths. The instruction template (base models) is built here. The chat-template path needs
// the tokenizer module's Jinja renderer; to keep this module independent of it, it exposes the
// conversation to render (example_messages) and turns the two rendered strings back into
// prompt/response parts (split_rendered_chat).
#pragma once

#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/data/example.h"

namespace tb {

struct PromptParts {
    std::string prompt;    // everything before the response
    std::string response;  // the target text (EOS is added by the tokenizing stage)
};

// Alpaca-style instruction template:
//   "### Instruction:\n{instruction}\n\n### Context:\n{context}\n\n### Response:\n" + response
// The context block is left out when the context is empty.
PromptParts build_instruction_prompt(const Example& ex);

// The conversation for a chat template. Conversations (chat/ShareGPT) are returned as they
// are; an instruction row becomes [user: instruction (+ "\n\nContext:\n" + context when
// present), assistant: response].
std::vector<ChatTurn> example_messages(const Example& ex);

// From the chat template's rendering of all messages but the last with the generation prompt
// (`rendered_prompt`) and of the full conversation (`rendered_full`): prompt = rendered_prompt,
// response = the rest of rendered_full. Error when rendered_full does not start with
// rendered_prompt (a template that rewrites earlier turns cannot be split this way).
Result<PromptParts> split_rendered_chat(const std::string& rendered_prompt,
                                        const std::string& rendered_full);

}  // namespace tb
