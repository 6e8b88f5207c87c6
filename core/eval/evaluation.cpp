#include "core/eval/evaluation.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "core/common/torch_compat.h"
#include "core/data/data_config.h"
#include "core/data/prompt.h"
#include "core/eval/eval_fingerprint.h"
#include "core/eval/perplexity.h"
#include "core/eval/prediction_metrics.h"
#include "core/infer/engine_choice.h"
#include "core/infer/generate.h"
#include "core/infer/inference.h"
#include "core/infer/llama_model.h"
#include "core/infer/peft_adapter.h"
#include "core/metrics/text_metrics.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/batching.h"

namespace tb::eval {

namespace fs = std::filesystem;

namespace {

struct Selection {
    bool bleu = false, rouge = false, ppl = false, bertscore = false;
    bool chrf = false, chrfpp = false, ter = false;
};

Result<Selection> parse_metrics(const std::vector<std::string>& names) {
    Selection s;
    for (const auto& n : names) {
        if (n == "bleu")
            s.bleu = true;
        else if (n == "rouge" || n == "rouge_l")
            s.rouge = true;
        else if (n == "ppl" || n == "perplexity")
            s.ppl = true;
        else if (n == "bertscore")
            s.bertscore = true;
        else if (n == "chrf")
            s.chrf = true;
        else if (n == "chrfpp")
            s.chrfpp = true;
        else if (n == "ter")
            s.ter = true;
        else
            return make_error("metrics", "unknown metric '" + n +
                                             "' (bleu, rouge, chrf, chrfpp, ter, bertscore, ppl)");
    }
    if (!s.bleu && !s.rouge && !s.ppl && !s.bertscore && !s.chrf && !s.chrfpp && !s.ter)
        return make_error("metrics", "no metric selected");
    return s;
}

Result<at::Device> resolve_device(const std::string& name) {
    if (name == "auto" || name.empty())
        return compat::cuda_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    auto d = parse_device(name);
    if (!d.ok()) return make_error("model.device", d.error().message);
    return d.value();
}

Result<at::ScalarType> resolve_dtype(const std::string& name, at::Device device) {
    if (name == "auto" || name.empty()) return device.is_cuda() ? at::kBFloat16 : at::kFloat;
    auto d = parse_dtype(name);
    if (!d.ok()) return make_error("model.dtype", d.error().message);
    return d.value();
}

// The generation prompt of an example, as training renders it (core/train/batching.cpp).
// Handed to the inference core as prompt ids (its Request form for prompts rendered
// elsewhere) rather than as chat messages: the core's chat form is HF's
// apply_chat_template(tokenize=True), which adds no bos, while training put a bos in front of
// the template, and a model is evaluated on the prompts it was trained on.
Result<std::vector<int64_t>> prompt_ids(const Example& ex, const Tokenizer& tok,
                                        PromptTemplate tmpl) {
    std::string prompt;
    if (tmpl == PromptTemplate::Chat) {
        std::vector<ChatTurn> turns = example_messages(ex);
        if (turns.empty() || turns.back().role != "assistant")
            return make_error("data", "conversation does not end with an assistant message");
        std::vector<ChatMessage> head;
        for (size_t i = 0; i + 1 < turns.size(); ++i)
            head.push_back({turns[i].role, turns[i].content});
        TB_ASSIGN_OR_RETURN(prompt, tok.apply_chat_template(head, true));
    } else {
        prompt = build_instruction_prompt(ex).prompt;
    }
    std::vector<int64_t> ids = tok.encode(prompt, /*add_special_tokens=*/false);
    if (tok.add_bos_token() && tok.bos_id() >= 0 && (ids.empty() || ids[0] != tok.bos_id()))
        ids.insert(ids.begin(), tok.bos_id());
    return ids;
}

std::string strip(const std::string& s) {
    const char* ws = " \t\r\n\f\v";
    const size_t a = s.find_first_not_of(ws);
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

struct ModelScores {
    std::map<std::string, metrics::AdditiveMetric> additive;  // metric -> additive form
};

std::string dtype_name(at::ScalarType t) {
    switch (t) {
        case at::kFloat:
            return "float32";
        case at::kBFloat16:
            return "bfloat16";
        case at::kHalf:
            return "float16";
        case at::kDouble:
            return "float64";
        default:
            return c10::toString(t);
    }
}

// Whatever ends the evaluation after its run exists (an error value, an exception from a
// bug, a crash of the batch code) leaves the run `failed`, never `running`; the completed and
// cancelled paths settle it themselves.
class RunSettler {
  public:
    RunSettler(store::Store& db, int64_t run_id) : db_(db), run_id_(run_id) {}
    ~RunSettler() {
        if (!settled_) (void)db_.finish_run(run_id_, "failed");
    }
    RunSettler(const RunSettler&) = delete;
    RunSettler& operator=(const RunSettler&) = delete;
    Status settle(const std::string& status) {
        settled_ = true;
        return db_.finish_run(run_id_, status);
    }

  private:
    store::Store& db_;
    int64_t run_id_;
    bool settled_ = false;
};

// The store file is checked before anything runs, so a bad --store fails in a second rather
// than after the generations.
Status check_store_path(const std::string& path) {
    if (path.empty()) return make_error("store", "no experiment store path given");
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return make_error(path, "is a folder; the store must be a file (e.g. tunebench.sqlite)");
    const fs::path parent = fs::absolute(fs::path(path), ec).parent_path();
    if (!fs::is_directory(parent, ec))
        return make_error(path, "folder '" + parent.string() + "' does not exist");
    return Status::Ok();
}

// Largest resampling count accepted: 1e6 replicates already put the Monte Carlo error of a
// p-value below 5e-4 (sqrt(0.25 / 1e6)); more only costs memory (8 bytes per replicate and
// metric) and time.
constexpr int kMaxResamples = 1000000;

}  // namespace

Result<EvaluationResult> run_evaluation(const EvaluationParams& params) {
    const AppConfig& cfg = params.config;
    TB_ASSIGN_OR_RETURN(Selection sel,
                        parse_metrics(params.metrics.empty() ? cfg.eval.metrics : params.metrics));
#ifndef TB_HAVE_BERTSCORE
    if (sel.bertscore)
        return make_error("metrics",
                          "bertscore is not available in this build (the BERTScore "
                          "module core/bertscore was not built in this tree)");
#endif
    std::string bert_dir;
    if (sel.bertscore) {
        bert_dir = resolve_path(cfg, params.bertscore_model.empty() ? cfg.eval.bertscore_model
                                                                    : params.bertscore_model);
        if (!fs::exists(fs::path(bert_dir) / "config.json"))
            return make_error("bertscore_model", "'" + bert_dir +
                                                     "' is not a local encoder folder (no "
                                                     "config.json); pass --bertscore-model DIR");
    }
    if (params.models.empty()) return make_error("models", "no model given");
    {
        std::set<std::string> seen;
        for (const auto& m : params.models) {
            if (m.empty()) return make_error("models", "empty model entry");
            if (!seen.insert(m).second) return make_error("models", "'" + m + "' given twice");
            if (m != "base" && !fs::exists(fs::path(m) / "adapter_config.json"))
                return make_error("models", "'" + m +
                                                "' is neither 'base' nor an adapter folder "
                                                "(no adapter_config.json)");
        }
    }
    if (params.paired_test != "bootstrap" && params.paired_test != "permutation")
        return make_error("paired_test", "must be bootstrap or permutation");
    // Every argument is checked here, before the data, the model or the store is touched:
    // a bad request fails at once instead of after the generations.
    TB_TRY_STATUS(validate_app_config(cfg));
    if (params.bootstrap.resamples < 1 || params.bootstrap.resamples > kMaxResamples)
        return make_error("resamples", "must be in [1, " + std::to_string(kMaxResamples) +
                                           "], got " + std::to_string(params.bootstrap.resamples));
    if (!(params.bootstrap.confidence > 0.0 && params.bootstrap.confidence < 1.0))
        return make_error("confidence", "must be in (0, 1)");
    if (params.limit != -2 && params.limit != -1 && params.limit < 1)
        return make_error(
            "limit", "must be >= 1 or -1 (all test items), got " + std::to_string(params.limit));
    if (params.bertscore_layers < -1)
        return make_error("bertscore_layers", "must be >= 0 or -1 (bert_score's table)");
    if (params.resume_eval_id < 0) return make_error("resume", "must be an evaluation id >= 1");
    TB_ASSIGN_OR_RETURN(PromptTemplate tmpl, parse_prompt_template(cfg.data.prompt_template));
    TB_ASSIGN_OR_RETURN(at::Device device,
                        resolve_device(params.device.empty() ? cfg.model.device : params.device));
    if (device.is_cuda() && !compat::cuda_available())
        return make_error("device",
                          "'" + device.str() + "' requested but no CUDA device is available");
    TB_ASSIGN_OR_RETURN(
        at::ScalarType dtype,
        resolve_dtype(params.dtype.empty() ? cfg.model.dtype : params.dtype, device));
    const std::string model_dir = resolve_model_path(cfg);
    if (!fs::exists(fs::path(model_dir) / "config.json"))
        return make_error("model.name",
                          "'" + model_dir + "' is not a local model folder (no config.json)");
    TB_TRY_STATUS(check_store_path(params.store_path));
    // The engine: named here or by the config (whose loader checked the spelling); whether this
    // build and machine can run it is known before any work.
    const std::string engine_name = params.engine.empty() ? cfg.inference.engine : params.engine;
    TB_TRY_STATUS(
        infer::check_engine(engine_name, params.engine.empty() ? "inference.engine" : "engine"));
    const std::string quant_format = params.quant.empty() ? cfg.inference.quant : params.quant;
    if (!infer::is_quant_format_name(quant_format))
        return make_error(params.quant.empty() ? "inference.quant" : "quant",
                          "unknown weight format '" + quant_format + "' (expected q8_0, nf4)");

    // Data: the test split exactly as training split it, and its fingerprint.
    EvalFingerprint fingerprint;
    fingerprint.split = split_fingerprint_from_config(cfg);
    {
        TB_ASSIGN_OR_RETURN(FileFingerprint file, fingerprint_file(fingerprint.split.data_path));
        fingerprint.split.data_hash = file.hash;
        fingerprint.split.data_bytes = file.bytes;
    }
    TB_ASSIGN_OR_RETURN(Dataset dataset, load_dataset_from_config(cfg));
    TB_ASSIGN_OR_RETURN(DatasetSplit split,
                        split_dataset(dataset.examples, split_options_from_config(cfg.data)));
    std::vector<size_t> items = split.test;
    const int64_t limit = params.limit == -2 ? cfg.eval.limit : params.limit;
    if (limit >= 0 && static_cast<size_t>(limit) < items.size())
        items.resize(static_cast<size_t>(limit));
    if (items.empty()) return make_error("data", "the test split is empty");
    fingerprint.split.rows = static_cast<int64_t>(dataset.examples.size());
    fingerprint.split.test_items = static_cast<int64_t>(items.size());

    TB_ASSIGN_OR_RETURN(std::shared_ptr<Tokenizer> tok, Tokenizer::load(model_dir));
    GenerationDefaults gen_defaults;
    const std::string gen_path = (fs::path(model_dir) / "generation_config.json").string();
    if (fs::exists(gen_path)) {
        TB_ASSIGN_OR_RETURN(gen_defaults, load_generation_defaults(gen_path));
    }
    {
        // eval.max_new_tokens against the model's context (core/infer's one rule), before work.
        TB_ASSIGN_OR_RETURN(LlamaConfig mc,
                            load_llama_config((fs::path(model_dir) / "config.json").string()));
        GenerateParams probe;
        probe.max_new_tokens = cfg.eval.max_new_tokens;
        Status st = validate_generate_params(probe, mc);
        if (!st.ok()) return Error{"eval." + st.error().message};
    }

    // Generation settings: greedy decoding with the sampler's defaults (what the requests
    // below use), recorded so that evaluations with other settings are never compared.
    {
        GenerationFingerprint& g = fingerprint.generation;
        const SamplingParams sampling;  // gp.sampling below: greedy, defaults
        g.max_new_tokens = cfg.eval.max_new_tokens;
        g.greedy = true;
        g.temperature = sampling.temperature;
        g.top_k = sampling.top_k;
        g.top_p = sampling.top_p;
        g.repetition_penalty = sampling.repetition_penalty;
        g.batch_size = cfg.eval.batch_size;
        g.limit = limit;
        g.dtype = dtype_name(dtype);
        g.device = device.is_cuda() ? "cuda" : "cpu";
        g.max_length = cfg.model.max_length;
        g.prompt_template = cfg.data.prompt_template;
        g.engine = engine_name;
        if (engine_name == "quant") g.quant = quant_format;
    }

    TB_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> db, store::Store::open(params.store_path));
    EvaluationResult result;
    result.models = params.models;
    result.items = items.size();
    if (params.resume_eval_id > 0) {
        TB_ASSIGN_OR_RETURN(std::optional<store::RunRecord> run,
                            db->get_run(params.resume_eval_id));
        if (!run || run->kind != "eval")
            return make_error(params.store_path,
                              "no evaluation run with id " + std::to_string(params.resume_eval_id));
        // Resuming with other settings would mix two measurements in one evaluation.
        auto stored = eval_fingerprint_from_run_yaml(run->config_yaml);
        if (stored.ok() && stored->recorded) {
            const Comparability c = compare_evaluations(*stored, fingerprint);
            if (!c.comparable)
                return make_error("resume", "evaluation " + std::to_string(run->id) +
                                                " was run with other settings (" +
                                                describe_differences(c) +
                                                "); resume it with the same configuration");
        }
        result.eval_id = run->id;
        TB_TRY_STATUS(db->finish_run(result.eval_id, "running"));
    } else {
        store::RunRecord run;
        run.kind = "eval";
        run.name = "models=" + join(params.models, ",");
        run.config_yaml = eval_run_config_yaml(app_config_to_yaml(cfg), fingerprint);
        run.status = "running";
        TB_ASSIGN_OR_RETURN(result.eval_id, db->add_run(run));
    }
    RunSettler settler(*db, result.eval_id);
    // Raters are shown the user's message as the row holds it; generations.prompt is the
    // rendered template (special tokens and all), which cannot be split back reliably.
    {
        std::vector<store::UserMessageRow> messages;
        for (size_t idx : items) {
            const Example& ex = dataset.examples[idx];
            messages.push_back({result.eval_id, std::to_string(idx), ex.instruction, ex.context});
        }
        TB_TRY_STATUS(db->add_user_messages(messages));
    }
    auto progress = [&](const std::string& stage, const std::string& model, int64_t done,
                        int64_t total) {
        if (params.on_progress) params.on_progress({stage, model, done, total});
    };
    auto cancelled = [&] { return params.cancel && params.cancel->cancelled(); };

    TokenizeOptions topt;
    topt.max_length = cfg.model.max_length;
    topt.prompt_template = tmpl;
    topt.loss_on_response_only = cfg.data.loss_on != "all";

    // ---- generation: one inference engine (core/infer/inference.h) for every model --------
    // The base weights are loaded once, each adapter is loaded under its label and applied,
    // without merging, to the requests that name it. The core owns the EOS/pad rule and the
    // decode loop; prompts are training's rendering, as ids (prompt_ids above says why).
    std::unique_ptr<infer::InferenceEngine> engine;
    for (const std::string& label : params.models) {
        TB_ASSIGN_OR_RETURN(std::vector<std::string> done_ids,
                            db->generated_item_ids(result.eval_id, label));
        std::set<std::string> done(done_ids.begin(), done_ids.end());
        std::vector<size_t> pending;
        for (size_t idx : items)
            if (!done.count(std::to_string(idx))) pending.push_back(idx);
        if (pending.empty()) continue;  // resumed: nothing left to generate for this model

        if (!engine) {
            infer::EngineParams ep;
            ep.engine = engine_name;
            ep.quant = quant_format;
            ep.model_dir = model_dir;
            ep.tokenizer = model_dir;
            ep.device = device.str();
            ep.dtype = dtype_name(dtype);
            // A batch of eval.batch_size prompts is one forward batch, as before the core.
            ep.max_batch = cfg.eval.batch_size;
            ep.cancel = params.cancel;
            auto loaded = infer::InferenceEngine::load(ep);
            if (!loaded.ok()) {
                if (cancelled()) {
                    result.cancelled = true;
                    break;
                }
                return loaded.error();
            }
            engine = std::move(loaded).value();
        }
        std::string adapter;  // "" = the base model
        if (label != "base") {
            Status s = engine->load_adapter(label, label);
            if (!s.ok()) return make_error(label, s.error().message);
            adapter = label;
        }

        const int64_t total = static_cast<int64_t>(items.size());
        int64_t finished = total - static_cast<int64_t>(pending.size());
        progress("generate", label, finished, total);
        const size_t bs = static_cast<size_t>(cfg.eval.batch_size);
        infer::GenerateOptions go;
        go.cancel = params.cancel;
        for (size_t start = 0; start < pending.size(); start += bs) {
            if (cancelled()) {
                result.cancelled = true;
                break;
            }
            const size_t end = std::min(pending.size(), start + bs);
            std::vector<infer::Request> requests;
            for (size_t i = start; i < end; ++i) {
                const Example& ex = dataset.examples[pending[i]];
                auto ids = prompt_ids(ex, *tok, tmpl);
                if (!ids.ok())
                    return make_error("line " + std::to_string(ex.source_line),
                                      ids.error().message);
                infer::Request r;
                r.prompt_ids = std::move(ids).value();
                r.max_new_tokens = cfg.eval.max_new_tokens;
                r.sampling.greedy = true;  // the fingerprint's settings (sampler defaults)
                r.adapter = adapter;
                requests.push_back(std::move(r));
            }
            const auto t0 = std::chrono::steady_clock::now();
            TB_ASSIGN_OR_RETURN(std::vector<infer::Completion> out, engine->generate(requests, go));
            const double batch_seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (std::any_of(out.begin(), out.end(), [](const infer::Completion& c) {
                    return c.finish_reason == "cancelled";
                })) {
                result.cancelled = true;  // the batch in flight is dropped, never half-stored
                break;
            }
            std::vector<store::GenerationRow> rows;
            for (size_t i = start; i < end; ++i) {
                const Example& ex = dataset.examples[pending[i]];
                const infer::Completion& c = out[i - start];
                store::GenerationRow r;
                r.eval_id = result.eval_id;
                r.model = label;
                r.item_id = std::to_string(pending[i]);
                r.prompt = tok->decode(c.prompt_ids, false);
                r.output = strip(c.text);  // decoded by the core with skip_special_tokens
                r.reference = ex.response;
                r.category = ex.category;
                r.tokens = static_cast<int64_t>(c.ids.size());
                r.seconds = batch_seconds / static_cast<double>(end - start);
                rows.push_back(std::move(r));
            }
            TB_TRY_STATUS(db->add_generations(rows));
            result.generated_now += static_cast<int64_t>(rows.size());
            finished += static_cast<int64_t>(rows.size());
            progress("generate", label, finished, total);
        }
        if (result.cancelled) break;
    }
    engine.reset();  // perplexity below loads the weights its own way: never twice in memory

    // ---- perplexity: teacher-forced scoring, not generation (core/eval/perplexity.h) -------
    std::map<std::string, PerplexityResult> ppl;
    for (size_t m = 0; sel.ppl && !result.cancelled && m < params.models.size(); ++m) {
        const std::string& label = params.models[m];
        LoadOptions lopt;
        lopt.device = device;
        lopt.dtype = dtype;
        TB_ASSIGN_OR_RETURN(LlamaModel model, load_llama_model(model_dir, lopt));
        if (label != "base") {
            Status s = apply_peft_adapter(model, label);
            if (!s.ok()) return make_error(label, s.error().message);
        }
        PerplexityOptions po;
        po.tokenize = topt;
        po.batch_size = cfg.eval.batch_size;
        po.cancel = params.cancel;
        po.on_progress = [&](int64_t d, int64_t t) { progress("perplexity", label, d, t); };
        TB_ASSIGN_OR_RETURN(PerplexityResult pr,
                            compute_perplexity(model, *tok, dataset.examples, items, po));
        if (pr.cancelled) {
            result.cancelled = true;
            break;
        }
        ppl[label] = std::move(pr);
    }
    if (result.cancelled) {
        TB_TRY_STATUS(settler.settle("cancelled"));
        return result;
    }

    // ---- scoring ------------------------------------------------------------------------
    std::vector<std::string> labels;  // category per item, in `items` order
    for (size_t idx : items) labels.push_back(dataset.examples[idx].category);
    std::vector<std::vector<std::string>> refs;
    for (size_t idx : items) refs.push_back({dataset.examples[idx].response});

    std::map<std::string, ModelScores> scores;
    std::vector<store::MetricItemRow> item_rows;
    for (const std::string& label : params.models) {
        progress("score", label, 0, static_cast<int64_t>(items.size()));
        TB_ASSIGN_OR_RETURN(std::vector<store::GenerationRow> gens,
                            db->generations(result.eval_id, label));
        std::map<std::string, const store::GenerationRow*> by_item;
        for (const auto& g : gens) by_item[g.item_id] = &g;
        std::vector<std::string> preds;
        for (size_t idx : items) {
            auto it = by_item.find(std::to_string(idx));
            if (it == by_item.end())
                return make_error(params.store_path, "evaluation " +
                                                         std::to_string(result.eval_id) +
                                                         ": no generation of item " +
                                                         std::to_string(idx) + " for " + label);
            preds.push_back(it->second->output);
        }
        ModelScores& ms = scores[label];
        // Text metrics and BERTScore through the same entry point as `tunebench-cli metrics`.
        PredictionMetricsOptions po;
        po.text.bleu = sel.bleu;
        po.text.rouge = sel.rouge;
        po.text.chrf = sel.chrf;
        po.text.chrfpp = sel.chrfpp;
        po.text.ter = sel.ter;
        po.bertscore = sel.bertscore;
        po.bertscore_settings.model_dir = bert_dir;
        po.bertscore_settings.num_layers = params.bertscore_layers;
        po.bertscore_settings.device = device.str();
        TB_ASSIGN_OR_RETURN(std::vector<metrics::MetricResult> mr,
                            score_predictions(preds, refs, po));
        for (auto& m : mr) {
            for (size_t i = 0; i < items.size(); ++i)
                item_rows.push_back(
                    {result.eval_id, label, m.name, std::to_string(items[i]), m.per_item[i]});
            ms.additive[m.name] = std::move(m.additive);
        }
        if (sel.ppl) {
            const PerplexityResult& pr = ppl.at(label);
            for (size_t i = 0; i < items.size(); ++i)
                if (pr.item_tokens[i] > 0)
                    item_rows.push_back(
                        {result.eval_id, label, "ppl", std::to_string(items[i]),
                         std::exp(pr.item_nll[i] / static_cast<double>(pr.item_tokens[i]))});
            ms.additive["ppl"] = perplexity_metric(pr);
        }
    }
    TB_TRY_STATUS(db->add_metric_items(item_rows));

    for (const char* name :
         {"bleu", "rouge1", "rouge2", "rougeL", "rougeLsum", "chrf", "chrfpp", "ter",
          "bertscore_precision", "bertscore_recall", "bertscore_f1", "ppl"})
        if (scores.begin()->second.additive.count(name)) result.metrics.push_back(name);

    const bool has_base =
        std::find(params.models.begin(), params.models.end(), "base") != params.models.end();
    // Perplexity is tested on its log (log_perplexity_metric says why).
    auto paired = [&](const std::string& metric, const metrics::AdditiveMetric& a0,
                      const metrics::AdditiveMetric& b0) {
        const metrics::AdditiveMetric a = metric == "ppl" ? log_perplexity_metric(a0) : a0;
        const metrics::AdditiveMetric b = metric == "ppl" ? log_perplexity_metric(b0) : b0;
        return params.paired_test == "permutation"
                   ? metrics::paired_permutation_test(a, b, params.bootstrap)
                   : metrics::paired_bootstrap_test(a, b, params.bootstrap);
    };
    // Category -> item positions (sorted by category name, as per_category does).
    std::map<std::string, std::vector<size_t>> cats;
    for (size_t i = 0; i < labels.size(); ++i) cats[labels[i]].push_back(i);
    // Perplexity's additive form holds only the rows that kept a loss token after truncation
    // (the same rows for every model: tokenization does not depend on the weights).
    std::map<std::string, std::vector<size_t>> ppl_cats;
    if (sel.ppl) {
        const PerplexityResult& pr = ppl.begin()->second;
        size_t pos = 0;
        for (size_t i = 0; i < items.size(); ++i)
            if (pr.item_tokens[i] > 0) ppl_cats[labels[i]].push_back(pos++);
    }

    std::vector<store::MetricAggregateRow> overall, by_cat;
    for (const std::string& label : params.models) {
        for (const std::string& metric : result.metrics) {
            const metrics::AdditiveMetric& m = scores[label].additive.at(metric);
            const metrics::AdditiveMetric* base =
                has_base && label != "base" ? &scores["base"].additive.at(metric) : nullptr;
            auto aggregate =
                [&](const metrics::AdditiveMetric& mm, const metrics::AdditiveMetric* bb,
                    std::optional<std::string> cat) -> Result<store::MetricAggregateRow> {
                TB_ASSIGN_OR_RETURN(metrics::ConfidenceInterval ci,
                                    metrics::bootstrap_ci(mm, params.bootstrap));
                store::MetricAggregateRow row;
                row.eval_id = result.eval_id;
                row.model = label;
                row.metric = metric;
                row.category = std::move(cat);
                row.value = ci.value;
                row.ci_lo = ci.lower;
                row.ci_hi = ci.upper;
                row.n_items = static_cast<int64_t>(mm.n_items());
                if (bb) {
                    TB_ASSIGN_OR_RETURN(metrics::PairedTestResult pt, paired(metric, mm, *bb));
                    row.p_value = pt.p_value;
                }
                return row;
            };
            TB_ASSIGN_OR_RETURN(store::MetricAggregateRow row, aggregate(m, base, std::nullopt));
            overall.push_back(std::move(row));
            if (cats.size() > 1 || !cats.begin()->first.empty()) {
                for (const auto& [cat, idx] : metric == "ppl" ? ppl_cats : cats) {
                    metrics::AdditiveMetric sub = metrics::subset(m, idx);
                    std::optional<metrics::AdditiveMetric> sub_base;
                    if (base) sub_base = metrics::subset(*base, idx);
                    TB_ASSIGN_OR_RETURN(store::MetricAggregateRow crow,
                                        aggregate(sub, sub_base ? &*sub_base : nullptr, cat));
                    by_cat.push_back(std::move(crow));
                }
            }
        }
    }
    result.aggregates = overall;
    result.aggregates.insert(result.aggregates.end(), by_cat.begin(), by_cat.end());
    TB_TRY_STATUS(db->replace_metric_aggregates(result.eval_id, result.aggregates));
    TB_TRY_STATUS(settler.settle("completed"));
    return result;
}

Result<std::vector<std::vector<int64_t>>> test_split_prompt_ids(const AppConfig& cfg, int64_t n) {
    if (n < 1) return make_error("prompts", "must be >= 1");
    const std::string model_dir = resolve_model_path(cfg);
    if (!fs::exists(fs::path(model_dir) / "config.json"))
        return make_error("model.name",
                          "'" + model_dir + "' is not a local model folder (no config.json)");
    TB_ASSIGN_OR_RETURN(PromptTemplate tmpl, parse_prompt_template(cfg.data.prompt_template));
    TB_ASSIGN_OR_RETURN(Dataset dataset, load_dataset_from_config(cfg));
    TB_ASSIGN_OR_RETURN(DatasetSplit split,
                        split_dataset(dataset.examples, split_options_from_config(cfg.data)));
    if (split.test.empty()) return make_error("data", "the test split is empty");
    TB_ASSIGN_OR_RETURN(std::shared_ptr<Tokenizer> tok, Tokenizer::load(model_dir));
    std::vector<std::vector<int64_t>> out;
    for (size_t i = 0; i < split.test.size() && static_cast<int64_t>(out.size()) < n; ++i) {
        const Example& ex = dataset.examples[split.test[i]];
        auto ids = prompt_ids(ex, *tok, tmpl);
        if (!ids.ok())
            return make_error("line " + std::to_string(ex.source_line), ids.error().message);
        out.push_back(std::move(ids).value());
    }
    return out;
}

}  // namespace tb::eval
