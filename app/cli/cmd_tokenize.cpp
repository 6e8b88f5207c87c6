// tunebench-cli tokenize: text (or one chat turn) -> token ids, exactly as HF transformers 5.
//
//   tunebench-cli tokenize --model DIR --text TEXT [--chat] [--no-bos] [--json]
//
// Plain text: HF tokenizer(text, add_special_tokens=True)["input_ids"]; --no-bos encodes with
// add_special_tokens=False (no bos, and no eos for tokenizers that append one).
// --chat: TEXT is one user message rendered through the model's chat template with the
// generation prompt, then tokenized like HF apply_chat_template(..., tokenize=True): the
// rendered string is encoded WITHOUT adding special tokens, because the template is expected to
// contain every special token the model needs (transformers' contract; checked against
// transformers 5.17 in tests/fixtures/tokenizer/chat.json). TinyLlama's template has no <s>,
// so its chat ids start without bos - as HF's do. --no-bos therefore changes nothing with --chat.
// --json prints {"ids":[...],"text":"<rendered or input text>"} on one line.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "core/tokenizer/tokenizer.h"

namespace tbcli {
namespace {

struct TokenizeArgs {
    std::string model_dir;
    std::string text;
    bool chat = false;
    bool no_bos = false;
    bool json = false;
};

int run_tokenize(const TokenizeArgs& a) {
    auto tok = tb::Tokenizer::load(a.model_dir);
    if (!tok) return fail(tok.error());
    std::string text = a.text;
    std::vector<int64_t> ids;
    if (a.chat) {
        auto rendered =
            (*tok)->apply_chat_template({{"user", a.text}}, /*add_generation_prompt=*/true);
        if (!rendered) return fail(rendered.error());
        text = *rendered;
        ids = (*tok)->encode(text, /*add_special_tokens=*/false);
    } else {
        ids = (*tok)->encode(text, /*add_special_tokens=*/!a.no_bos);
    }
    if (a.json) {
        nlohmann::json out{{"ids", ids}, {"text", text}};
        // replace: a command-line argument that is not valid UTF-8 must not abort the output
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return kExitOk;
    }
    std::cout << "text: " << text << "\nids:";
    for (auto id : ids) std::cout << " " << id;
    std::cout << "\ntokens:";
    for (auto id : ids) std::cout << " " << (*tok)->id_to_piece(id);
    std::cout << "\ncount: " << ids.size() << "\n";
    return kExitOk;
}

CommandRegistrar register_tokenize("tokenize", [](CLI::App& app) {
    app.description("Tokenize text (or one chat turn) with a model's tokenizer, as HF does");
    auto args = std::make_shared<TokenizeArgs>();
    app.add_option("--model", args->model_dir,
                   "Model folder with tokenizer.model and tokenizer_config.json")
        ->required();
    app.add_option("--text", args->text, "Text to tokenize (UTF-8)")->required();
    app.add_flag("--chat", args->chat,
                 "Render TEXT as one user message through the chat template (with generation "
                 "prompt) and tokenize that, like apply_chat_template(tokenize=True)");
    app.add_flag(
        "--no-bos", args->no_bos,
        "Plain text: do not add bos/eos (add_special_tokens=False); no effect with --chat");
    app.add_flag("--json", args->json, "Print {\"ids\":[...],\"text\":\"...\"}");
    return [args] { return run_tokenize(*args); };
});

}  // namespace
}  // namespace tbcli
