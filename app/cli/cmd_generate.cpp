// tunebench-cli generate: streamed generation from a prompt (optionally chat-templated) or
// from raw ids, greedy or sampled, with the HF generation semantics of core/infer.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/model_options.h"
#include "core/infer/engine_choice.h"
#include "core/infer/generate.h"
#include "core/infer/gguf_model_loader.h"
#include "core/infer/inference.h"
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
    std::string engine = "eager";
    std::string quant = "q8_0";
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
    // An engine this build or machine cannot run is known before anything is read.
    if (auto st = tb::infer::check_engine(a.engine, "--engine"); !st.ok()) return fail(st.error());
    if (!tb::infer::is_quant_format_name(a.quant))
        return fail("--quant: unknown weight format '" + a.quant + "' (expected q8_0, nf4)");
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
    // --model: an HF folder, or a GGUF file (its metadata is the config; generation_config.json
    // is read beside it).
    const bool gguf = tb::infer::is_gguf_file(a.model.model_dir);
    const fs::path model_folder =
        gguf ? fs::path(a.model.model_dir).parent_path() : fs::path(a.model.model_dir);
    auto gen_defaults =
        tb::load_generation_defaults((model_folder / "generation_config.json").string());
    if (!gen_defaults) return fail(gen_defaults.error());
    auto model_config =
        gguf ? tb::infer::read_gguf_llama_config(a.model.model_dir)
             : tb::load_llama_config((fs::path(a.model.model_dir) / "config.json").string());
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
        return fail(tb::make_error((model_folder / "generation_config.json").string(), m));
    }

    // Generation goes through the inference core (core/infer/inference.h): it owns prompt
    // encoding (chat template), the EOS/stop/pad rule and the decode loop.
    if (have_ids && a.chat) return fail("--chat applies to --prompt, not --ids");
    const bool has_tokenizer = gguf ? tb::infer::gguf_has_tokenizer(a.model.model_dir)
                                    : fs::exists(fs::path(a.model.model_dir) / "tokenizer.model");
    if (!a.stop.empty() && !has_tokenizer)
        return fail("--stop: needs the model folder's tokenizer to match text");
    tb::infer::Request req;
    if (have_ids) {
        auto ids = parse_id_list(a.ids, "--ids");
        if (!ids) return fail(ids.error());
        req.prompt_ids = *ids;
    } else if (a.chat) {
        req.messages = {{"user", a.prompt}};
    } else {
        req.prompt_text = a.prompt;
    }
    req.max_new_tokens = p.max_new_tokens;
    req.min_new_tokens = p.min_new_tokens;
    req.sampling.greedy = p.sampling.greedy;
    req.sampling.temperature = p.sampling.temperature;
    req.sampling.top_k = p.sampling.top_k;
    req.sampling.top_p = p.sampling.top_p;
    req.sampling.repetition_penalty = p.sampling.repetition_penalty;
    req.sampling.seed = p.sampling.seed;
    req.stop = a.stop;

    tb::infer::EngineParams ep;
    ep.engine = a.engine;
    ep.quant = a.quant;
    ep.model_dir = a.model.model_dir;
    // --prompt needs the tokenizer: naming the folder makes a missing file a load error.
    if (have_prompt) ep.tokenizer = a.model.model_dir;
    ep.device = a.model.device;
    ep.dtype = a.model.dtype;
    ep.max_batch = 1;
    ep.cancel = &interrupt_token();
    auto engine = tb::infer::InferenceEngine::load(ep);
    if (!engine) return fail(engine.error());
    if (!a.model.adapter_dir.empty()) {
        if (auto st = (*engine)->load_adapter("adapter", a.model.adapter_dir); !st.ok())
            return fail(st.error());
        req.adapter = "adapter";
    }
    const bool have_text = (*engine)->tokenizer() != nullptr;
    tb::infer::GenerateOptions go;
    go.cancel = &interrupt_token();
    if (!a.json) {
        go.on_token = [have_text](const tb::infer::TokenEvent& ev) {
            if (have_text) {
                std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
            } else {
                std::printf("%lld ", static_cast<long long>(ev.token));
            }
            std::fflush(stdout);
        };
    }
    auto r = (*engine)->generate({req}, go);
    if (!r) return fail(r.error());
    const tb::infer::Completion& c = r->front();
    const auto& ids = c.ids;
    const double ttft = c.token_seconds.empty() ? 0.0 : c.token_seconds.front();
    const double tps = c.end_seconds > 0 ? static_cast<double>(ids.size()) / c.end_seconds : 0.0;
    if (a.json) {
        nlohmann::json out = {
            {"ids", ids},
            {"text", have_text ? nlohmann::json(c.text) : nlohmann::json(nullptr)},
            {"tokens_per_s", tps},
            {"prompt_tokens", c.prompt_ids.size()},
            {"finish_reason", c.finish_reason},
            {"time_to_first_token_s", ttft},
            {"load_seconds", (*engine)->load_report().seconds}};
        std::cout << out.dump() << "\n";
    } else {
        std::printf("\n");
        std::fprintf(stderr, "[%zu tokens, %.1f tokens/s, first token %.3f s, load %.2f s, %s]\n",
                     ids.size(), tps, ttft, (*engine)->load_report().seconds,
                     c.finish_reason.c_str());
    }
    return c.finish_reason == "cancelled" ? kExitUserError : kExitOk;
}

CommandRegistrar register_generate("generate", [](CLI::App& app) {
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
    app.add_option("--quant", a->quant, "Weight format of --engine quant: q8_0 (default) or nf4");
    app.add_option("--engine", a->engine,
                   "Inference engine: eager, graph (CUDA), quant or paged, where this build has "
                   "it")
        ->capture_default_str();
    return [a] { return run_generate(*a); };
});

}  // namespace
}  // namespace tbcli
