// tunebench-cli generate: streamed generation from a prompt (optionally chat-templated) or
// from raw ids, greedy or sampled, with the HF generation semantics of core/infer.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/model_options.h"
#include "core/infer/generate.h"
#include "core/model/model_config.h"
#include "core/tokenizer/stream_decoder.h"
#include "core/tokenizer/tokenizer.h"

namespace tbcli {
namespace {

namespace fs = std::filesystem;

struct GenerateArgs {
    ModelOptions model;
    std::string prompt;
    std::string ids;
    bool chat = false;
    int64_t max_new_tokens = 128;
    int64_t min_new_tokens = 0;
    bool greedy = false;
    double temperature = 1.0;
    int64_t top_k = 50;
    double top_p = 1.0;
    double repetition_penalty = 1.0;
    uint64_t seed = 0;
    std::vector<std::string> stop;
    bool json = false;
    CLI::Option* temperature_opt = nullptr;
    CLI::Option* top_k_opt = nullptr;
    CLI::Option* top_p_opt = nullptr;
    CLI::Option* prompt_opt = nullptr;
    CLI::Option* ids_opt = nullptr;
};

int run_generate(GenerateArgs& a) {
    const bool have_prompt = a.prompt_opt->count() > 0, have_ids = a.ids_opt->count() > 0;
    if (have_prompt == have_ids) return fail("generate: give exactly one of --prompt or --ids");
    if (a.max_new_tokens < 1) return fail("--max-new-tokens: must be >= 1");
    const bool sampling_flags =
        a.temperature_opt->count() || a.top_k_opt->count() || a.top_p_opt->count();
    if (a.greedy && sampling_flags)
        return fail("generate: --greedy excludes --temperature/--top-k/--top-p");
    // Core names fields as generation_config.json does (top_p); the user typed flags (--top-p).
    auto as_flag = [](const std::string& message) {
        std::string f = "--" + message;
        for (size_t i = 2; i < f.size() && f[i] != ':'; ++i)
            if (f[i] == '_') f[i] = '-';
        return f;
    };
    // Every given value is checked, used or not (a NaN --temperature with greedy defaults too).
    tb::SamplingParams given;
    given.greedy = false;
    given.temperature = a.temperature;
    given.top_p = a.top_p;
    given.top_k = a.top_k;
    given.repetition_penalty = a.repetition_penalty;
    if (auto st = tb::validate_sampling_params(given); !st.ok())
        return fail(as_flag(st.error().message));

    // The settings are complete and checked against the model's config before any weight or
    // tokenizer is loaded.
    auto gen_defaults = tb::load_generation_defaults(
        (fs::path(a.model.model_dir) / "generation_config.json").string());
    if (!gen_defaults) return fail(gen_defaults.error());
    auto model_config =
        tb::load_llama_config((fs::path(a.model.model_dir) / "config.json").string());
    if (!model_config) return fail(model_config.error());
    tb::GenerateParams p;
    p.max_new_tokens = a.max_new_tokens;
    p.min_new_tokens = a.min_new_tokens;
    // HF: sample only when asked (flags here, or do_sample in generation_config.json).
    const bool sample = !a.greedy && (sampling_flags || gen_defaults->do_sample.value_or(false));
    p.sampling.greedy = !sample;
    p.sampling.temperature =
        a.temperature_opt->count() ? a.temperature : gen_defaults->temperature.value_or(1.0);
    p.sampling.top_k = a.top_k_opt->count() ? a.top_k : gen_defaults->top_k.value_or(50);
    p.sampling.top_p = a.top_p_opt->count() ? a.top_p : gen_defaults->top_p.value_or(1.0);
    p.sampling.repetition_penalty = a.repetition_penalty;
    p.sampling.seed = a.seed;
    if (auto st = tb::validate_generate_params(p, *model_config); !st.ok()) {
        const std::string& m = st.error().message;
        // Sampling values given as flags passed above: the others come from the config file.
        if (m.rfind("max_new_tokens", 0) == 0 || m.rfind("min_new_tokens", 0) == 0)
            return fail(as_flag(m));
        return fail(
            tb::make_error((fs::path(a.model.model_dir) / "generation_config.json").string(), m));
    }

    // Tokenizer: required for --prompt, optional (text output) for --ids.
    std::shared_ptr<tb::Tokenizer> tok;
    const bool has_tokenizer = fs::exists(fs::path(a.model.model_dir) / "tokenizer.model");
    if (have_prompt || has_tokenizer) {
        auto t = tb::Tokenizer::load(a.model.model_dir);
        if (!t) return fail(t.error());
        tok = *t;
    }
    std::vector<int64_t> prompt_ids;
    if (have_ids) {
        if (a.chat) return fail("--chat applies to --prompt, not --ids");
        auto ids = parse_id_list(a.ids, "--ids");
        if (!ids) return fail(ids.error());
        prompt_ids = *ids;
    } else if (a.chat) {
        auto ids = tok->encode_chat({{"user", a.prompt}}, true);
        if (!ids) return fail(ids.error());
        prompt_ids = *ids;
    } else {
        prompt_ids = tok->encode(a.prompt, true);
    }

    auto model = a.model.load();
    if (!model) return fail(model.error());
    p.eos_token_ids = !gen_defaults->eos_token_ids.empty() ? gen_defaults->eos_token_ids
                                                           : model->config.eos_token_ids;
    if (p.eos_token_ids.empty() && tok && tok->eos_id() >= 0) p.eos_token_ids = {tok->eos_id()};
    p.pad_token_id =
        tok && tok->pad_id() >= 0 ? tok->pad_id() : model->config.pad_token_id.value_or(0);
    p.cancel = &interrupt_token();
    p.stop_strings = a.stop;
    if (!a.stop.empty()) {
        if (!tok) return fail("--stop: needs the model folder's tokenizer to match text");
        p.decode = [tok](const std::vector<int64_t>& ids) { return tok->decode(ids, true); };
    }
    std::unique_ptr<tb::StreamDecoder> stream;
    if (!a.json && tok) {
        stream = std::make_unique<tb::StreamDecoder>(tok, true);
        p.on_token = [&](int64_t, int64_t id) {
            std::string piece = stream->push(id);
            if (!piece.empty()) {
                std::fwrite(piece.data(), 1, piece.size(), stdout);
                std::fflush(stdout);
            }
        };
    } else if (!a.json) {
        p.on_token = [](int64_t, int64_t id) {
            std::printf("%lld ", static_cast<long long>(id));
            std::fflush(stdout);
        };
    }

    auto r = tb::generate(*model, {prompt_ids}, p);
    if (!r) return fail(r.error());
    const auto& ids = r->new_ids[0];
    const double tps =
        r->total_seconds > 0 ? static_cast<double>(ids.size()) / r->total_seconds : 0.0;
    if (a.json) {
        nlohmann::json out = {
            {"ids", ids},
            {"text", tok ? nlohmann::json(tok->decode(ids, true)) : nlohmann::json(nullptr)},
            {"tokens_per_s", tps},
            {"prompt_tokens", prompt_ids.size()},
            {"finish_reason", r->finish_reason[0]},
            {"time_to_first_token_s", r->prefill_seconds}};
        std::cout << out.dump() << "\n";
    } else {
        if (stream) {
            std::string rest = stream->flush();
            std::fwrite(rest.data(), 1, rest.size(), stdout);
        }
        std::printf("\n");
        std::fprintf(stderr, "[%zu tokens, %.1f tokens/s, first token %.3f s, %s]\n", ids.size(),
                     tps, r->prefill_seconds, r->finish_reason[0].c_str());
    }
    return r->finish_reason[0] == "cancelled" ? kExitUserError : kExitOk;
}

CommandRegistrar reg("generate", [](CLI::App& app) {
    app.description("Generate text (streamed) from a prompt or from token ids");
    auto a = std::make_shared<GenerateArgs>();
    a->model.add_to(app);
    a->prompt_opt = app.add_option("--prompt", a->prompt, "Prompt text");
    a->ids_opt = app.add_option("--ids", a->ids, "Prompt as comma-separated token ids");
    app.add_flag("--chat", a->chat,
                 "Render the prompt as one user message through the chat template");
    app.add_option("--max-new-tokens", a->max_new_tokens, "Maximum new tokens")
        ->capture_default_str();
    app.add_option("--min-new-tokens", a->min_new_tokens,
                   "EOS is forbidden before this many new tokens")
        ->capture_default_str();
    app.add_flag("--greedy", a->greedy, "Argmax decoding");
    a->temperature_opt = app.add_option("--temperature", a->temperature, "Sampling temperature");
    a->top_k_opt = app.add_option("--top-k", a->top_k, "Top-k filter (0 = off)");
    a->top_p_opt = app.add_option("--top-p", a->top_p, "Nucleus filter");
    app.add_option("--repetition-penalty", a->repetition_penalty,
                   "HF repetition penalty (1 = off)");
    app.add_option("--seed", a->seed, "Sampling seed")->capture_default_str();
    app.add_option("--stop", a->stop, "Stop string (repeatable)");
    app.add_flag("--json", a->json, "Print {ids, text, tokens_per_s} instead of streaming");
    return [a] { return run_generate(*a); };
});

}  // namespace
}  // namespace tbcli
