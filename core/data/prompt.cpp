#include "core/data/prompt.h"

namespace tb {

PromptParts build_instruction_prompt(const Example& ex) {
    PromptParts p;
    p.prompt.reserve(ex.instruction.size() + ex.context.size() + 64);
    p.prompt = "### Instruction:\n" + ex.instruction + "\n\n";
    if (!ex.context.empty()) p.prompt += "### Context:\n" + ex.context + "\n\n";
    p.prompt += "### Response:\n";
    p.response = ex.response;
    return p;
}

std::vector<ChatTurn> example_messages(const Example& ex) {
    if (!ex.turns.empty()) return ex.turns;
    std::string user = ex.instruction;
    if (!ex.context.empty()) user += "\n\nContext:\n" + ex.context;
    return {ChatTurn{"user", user}, ChatTurn{"assistant", ex.response}};
}

Result<PromptParts> split_rendered_chat(const std::string& rendered_prompt,
                                        const std::string& rendered_full) {
    if (rendered_full.compare(0, rendered_prompt.size(), rendered_prompt) != 0 ||
        rendered_full.size() < rendered_prompt.size())
        return make_error("chat template",
                          "the rendered conversation does not start with the rendered prompt; "
                          "cannot separate the response");
    return PromptParts{rendered_prompt, rendered_full.substr(rendered_prompt.size())};
}

}  // namespace tb
