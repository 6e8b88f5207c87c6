// Ollama Modelfile for an exported GGUF: FROM, TEMPLATE (the model's Jinja chat template as an
// equivalent Go template), PARAMETER stop for the template's end and role tokens, sampling
// defaults from generation_config.json, optional ADAPTER. Torch-free.
//
// How the Go template is obtained: a general Jinja -> Go translation is not possible (Jinja is
// a full language), but a chat template is a function of the message list, and for the
// templates Llama chat models ship (Zephyr/TinyLlama, ChatML, Llama-2 [INST], Alpaca-like) each
// message renders as prefix(role) + content + suffix(role), followed by a generation prompt.
// So the Jinja template is rendered with marker contents and those pieces are read off:
//   [user U]                       -> <bos?> upre U usuf
//   [user U, assistant A]          -> ... apre A asuf
//   [system S, user U]             -> spre S ssuf ...
//   [user U] + add_generation_prompt -> ... gen
// and the Go template
//   {{- range .Messages }}{{ if eq .Role "system" }}spre{{ .Content }}ssuf{{ else if ...
//   {{ end }}{{ end }}gen
// is then checked against the Jinja rendering of a longer conversation (system, two user turns,
// an assistant turn): if the two differ the template is not of this shape and the export says
// so (error naming the first differing byte), rather than writing a TEMPLATE that serves wrong
// prompts. A leading bos token is dropped: llama.cpp/Ollama add it themselves (add_bos_token).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::gguf {

struct GoChatTemplate {
    std::string go_template;         // for TEMPLATE """..."""
    std::vector<std::string> stops;  // PARAMETER stop values (eos token, role markers)
};

// Derives the Go template from the tokenizer's chat template (see the top). Errors: no chat
// template, a template that does not render with marker messages, or one that is not
// prefix/content/suffix shaped.
Result<GoChatTemplate> chat_template_to_go(const Tokenizer& tok);

// Renders a Go template of the shape chat_template_to_go produces (only that shape) for a
// message list: used for the equivalence check and by tests.
Result<std::string> render_go_chat_template(const std::string& go_template,
                                            const std::vector<ChatMessage>& messages);

struct ModelfileParams {
    std::string from;                      // GGUF file name, relative to the Modelfile
    std::optional<std::string> adapter;    // GGUF adapter file name
    const Tokenizer* tokenizer = nullptr;  // chat template + eos (no TEMPLATE when null/absent)
    GenerationDefaults generation;         // temperature, top_p, top_k, repetition_penalty
    int64_t num_ctx = 0;                   // > 0: PARAMETER num_ctx
};

// The Modelfile text. A chat template that cannot be expressed is an error (see above).
Result<std::string> make_modelfile(const ModelfileParams& p);

}  // namespace tb::gguf
