// Perplexity against an independent per-token reference, and the evaluation pipeline's
// resumability (interrupt after a batch, resume: no duplicates, same final numbers).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/common/torch_compat.h"
#include "core/data/data_config.h"
#include "core/data/dataset_reader.h"
#include "core/data/prompt.h"
#include "core/eval/eval_fingerprint.h"
#include "core/eval/evaluation.h"
#include "core/eval/perplexity.h"
#include "core/infer/generate.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/infer/scoring.h"
#include "core/metrics/chrf.h"
#include "core/metrics/ter.h"
#include "core/train/lora_injection.h"
#include "tests/test_paths.h"

#ifdef TB_TEST_HAVE_BERTSCORE
#include "core/bertscore/bertscore.h"
#endif

namespace fs = std::filesystem;

namespace {

// TinyLlama's tokenizer_config.json (chat template included) as recorded from HF.
std::string tinyllama_tokenizer_config() {
    auto text = tb::read_file(tbtest::fixtures_dir() + "/tokenizer/plain_legacy_false.json");
    EXPECT_TRUE(text.ok());
    return nlohmann::json::parse(text.value()).at("tokenizer_config").dump(1);
}

// Random Llama with the Llama-2 vocabulary (32000) and tiny dimensions + the real tokenizer.
std::string make_tiny_model_dir(const std::string& name) {
    const std::string dir = tbtest::scratch_dir(name);
    tb::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 512;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.pad_token_id = 2;
    tb::LlamaModel m = tb::init_llama(c, 7, 0.05, {});
    EXPECT_TRUE(tb::save_llama_model(m, dir, at::kFloat).ok());
    fs::copy_file(tbtest::shared_dir() + "/data/llama2-tokenizer.model", dir + "/tokenizer.model");
    std::ofstream(dir + "/tokenizer_config.json") << tinyllama_tokenizer_config();
    return dir;
}

// A PEFT adapter with non-zero random B so that it changes the model.
std::string make_adapter_dir(const std::string& model_dir, const std::string& name) {
    const std::string dir = tbtest::scratch_dir(name);
    auto model = tb::load_llama_model(model_dir);
    EXPECT_TRUE(model.ok());
    tb::LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.target_modules = {"q_proj", "v_proj"};
    EXPECT_TRUE(tb::inject_lora(*model, s, 3).ok());
    torch::NoGradGuard ng;
    torch::manual_seed(5);
    for (auto& layer : model->layers)
        for (const char* p : {"q_proj", "v_proj"}) layer.projection(p)->lora.B.normal_(0.0, 0.2);
    EXPECT_TRUE(tb::save_peft_adapter(*model, s, dir).ok());
    return dir;
}

std::vector<tb::Example> dolly() {
    tb::ReadOptions ro;
    ro.format = tb::DataFormat::Dolly;
    auto ds = tb::load_dataset(tbtest::shared_dir() + "/data/dolly-sample.jsonl", ro);
    EXPECT_TRUE(ds.ok());
    return ds.ok() ? ds->examples : std::vector<tb::Example>{};
}

// Reference: one row at a time, no padding, through score_sequence (teacher-forced log-probs
// of the next token), summing -log p over positions whose next label carries loss.
double reference_ppl(const tb::LlamaModel& model, const tb::Tokenizer& tok,
                     const std::vector<tb::Example>& ex, const std::vector<size_t>& idx,
                     const tb::TokenizeOptions& topt, int64_t* tokens_out) {
    double nll = 0;
    int64_t tokens = 0;
    for (size_t i : idx) {
        auto row = tb::tokenize_example(ex[i], tok, topt);
        EXPECT_TRUE(row.ok());
        auto sc = tb::score_sequence(model, row->ids, 1);
        EXPECT_TRUE(sc.ok());
        for (size_t t = 0; t + 1 < row->ids.size(); ++t) {
            if (row->labels[t + 1] == tb::kIgnoreIndex) continue;
            nll -= (*sc)[t].next_logprob;
            ++tokens;
        }
    }
    *tokens_out = tokens;
    return std::exp(nll / static_cast<double>(tokens));
}

}  // namespace

TEST(Perplexity, EqualsExpOfTokenMeanNllFromIndependentReference) {
    const std::string dir = make_tiny_model_dir("ppl_model");
    auto model = tb::load_llama_model(dir);
    ASSERT_TRUE(model.ok());
    auto tok = tb::Tokenizer::load(dir);
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    auto ex = dolly();
    ASSERT_GE(ex.size(), 10u);
    std::vector<size_t> idx = {0, 3, 5, 7, 8, 9, 1};

    for (bool response_only : {true, false}) {
        tb::eval::PerplexityOptions po;
        po.tokenize.max_length = 96;  // some Dolly rows are truncated
        po.tokenize.prompt_template = tb::PromptTemplate::Chat;
        po.tokenize.loss_on_response_only = response_only;
        po.batch_size = 3;  // mixed lengths: right padding inside a batch
        int64_t progress_calls = 0;
        po.on_progress = [&](int64_t, int64_t) { ++progress_calls; };
        auto r = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
        ASSERT_TRUE(r.ok()) << r.error().message;
        int64_t ref_tokens = 0;
        const double ref = reference_ppl(*model, **tok, ex, idx, po.tokenize, &ref_tokens);
        EXPECT_EQ(r->loss_tokens, ref_tokens);
        EXPECT_NEAR(r->perplexity, ref, 1e-4 * ref) << "response_only=" << response_only;
        EXPECT_NEAR(std::log(r->perplexity), r->mean_nll, 1e-12);
        const int64_t kept = static_cast<int64_t>(idx.size() - r->dropped);
        EXPECT_EQ(progress_calls, (kept + 2) / 3);
        // Random weights over 32000 tokens: perplexity near the vocabulary size.
        EXPECT_GT(r->perplexity, 1000.0);
        // Token-weighted, not the mean of per-row perplexities.
        double sum_nll = 0;
        int64_t sum_tok = 0;
        for (size_t i = 0; i < idx.size(); ++i) {
            sum_nll += r->item_nll[i];
            sum_tok += r->item_tokens[i];
        }
        EXPECT_EQ(sum_tok, r->loss_tokens);
        EXPECT_NEAR(std::exp(sum_nll / sum_tok), r->perplexity, 1e-9 * r->perplexity);
        // The additive form reproduces the corpus value.
        EXPECT_NEAR(tb::eval::perplexity_metric(*r).value(), r->perplexity, 1e-9 * r->perplexity);
    }

    // Cancellation before the first batch.
    tb::CancelToken cancel;
    cancel.cancel();
    tb::eval::PerplexityOptions po;
    po.cancel = &cancel;
    auto c = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->cancelled);
    EXPECT_EQ(c->loss_tokens, 0);
}

// The same rows give the same bits whatever the batch size and whichever other rows are
// scored with them (the property the evaluation's resume and its comparison with a direct
// computation rely on, on any CPU).
TEST(Perplexity, IndependentOfBatchComposition) {
    const std::string dir = make_tiny_model_dir("ppl_batch_model");
    auto model = tb::load_llama_model(dir);
    ASSERT_TRUE(model.ok());
    auto tok = tb::Tokenizer::load(dir);
    ASSERT_TRUE(tok.ok());
    auto ex = dolly();
    const std::vector<size_t> idx = {0, 3, 5, 7, 8, 9, 1};
    tb::eval::PerplexityOptions po;
    po.tokenize.max_length = 96;
    po.batch_size = 1;
    auto one = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
    ASSERT_TRUE(one.ok());
    for (int64_t bs : {2, 3, 8}) {
        po.batch_size = bs;
        auto r = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
        ASSERT_TRUE(r.ok());
        for (size_t i = 0; i < idx.size(); ++i) EXPECT_EQ(r->item_nll[i], one->item_nll[i]);
        EXPECT_EQ(r->nll_sum, one->nll_sum);
        EXPECT_EQ(r->perplexity, one->perplexity) << "batch size " << bs;
    }
    // Other neighbours: rows 3 and 8 scored among different rows keep their values.
    po.batch_size = 4;
    auto other = tb::eval::compute_perplexity(*model, **tok, ex, {2, 8, 4, 3}, po);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->item_nll[1], one->item_nll[4]);
    EXPECT_EQ(other->item_nll[3], one->item_nll[1]);
}

// A planted perplexity drop over a small sample, with the per-item NLL spread a base model
// shows: the paired test on the log scale finds it; on the ppl scale the exp skew hides it.
TEST(Perplexity, PairedTestOnLogScaleDetectsPlantedDrop) {
    tb::eval::PerplexityResult base, tuned;
    uint64_t s = 12345;
    auto uniform = [&] {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<double>(s >> 11) / 9007199254740992.0;
    };
    for (int i = 0; i < 17; ++i) {
        const int64_t tokens = 20 + static_cast<int64_t>(uniform() * 60);
        const double nll_base = 5.5 + 4.0 * uniform();   // per-token NLL 5.5..9.5 (ppl ~1800)
        const double nll_tuned = 1.6 + 1.2 * uniform();  // 1.6..2.8 (ppl ~9)
        base.item_nll.push_back(nll_base * static_cast<double>(tokens));
        base.item_tokens.push_back(tokens);
        tuned.item_nll.push_back(nll_tuned * static_cast<double>(tokens));
        tuned.item_tokens.push_back(tokens);
    }
    tb::metrics::BootstrapOptions bo;
    bo.resamples = 2000;
    auto mb = tb::eval::perplexity_metric(base), mt = tb::eval::perplexity_metric(tuned);
    auto on_ppl = tb::metrics::paired_bootstrap_test(mt, mb, bo);
    auto on_log = tb::metrics::paired_bootstrap_test(tb::eval::log_perplexity_metric(mt),
                                                     tb::eval::log_perplexity_metric(mb), bo);
    ASSERT_TRUE(on_ppl.ok() && on_log.ok());
    std::printf("planted ppl drop: p on ppl scale %.4f, on log scale %.4f\n", on_ppl->p_value,
                on_log->p_value);
    EXPECT_LT(on_log->p_value, 0.01);
    EXPECT_LT(on_log->p_value, on_ppl->p_value);
    // Identical systems: nothing to find on either scale.
    auto same = tb::metrics::paired_bootstrap_test(tb::eval::log_perplexity_metric(mb),
                                                   tb::eval::log_perplexity_metric(mb), bo);
    ASSERT_TRUE(same.ok());
    EXPECT_GT(same->p_value, 0.9);
}

TEST(Perplexity, AdapterChangesPerplexity) {
    const std::string dir = make_tiny_model_dir("ppl_adapter_model");
    const std::string adapter = make_adapter_dir(dir, "ppl_adapter");
    auto tok = tb::Tokenizer::load(dir);
    ASSERT_TRUE(tok.ok());
    auto ex = dolly();
    std::vector<size_t> idx = {2, 4, 6};
    tb::eval::PerplexityOptions po;
    po.tokenize.max_length = 64;
    auto base = tb::load_llama_model(dir);
    ASSERT_TRUE(base.ok());
    auto b = tb::eval::compute_perplexity(*base, **tok, ex, idx, po);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(tb::apply_peft_adapter(*base, adapter).ok());
    auto a = tb::eval::compute_perplexity(*base, **tok, ex, idx, po);
    ASSERT_TRUE(a.ok());
    int64_t ref_tokens = 0;
    const double ref = reference_ppl(*base, **tok, ex, idx, po.tokenize, &ref_tokens);
    EXPECT_NEAR(a->perplexity, ref, 1e-4 * ref);
    EXPECT_GT(std::fabs(a->perplexity - b->perplexity), 1e-3 * b->perplexity);
}

namespace {

tb::AppConfig eval_config(const std::string& model_dir, const std::string& base_dir) {
    std::string yaml = "model:\n  name: " + model_dir +
                       "\n  max_length: 128\n  device: cpu\n  dtype: float32\n"
                       "data:\n  path: " +
                       tbtest::shared_dir() +
                       "/data/dolly-sample.jsonl\n  format: dolly\n"
                       "eval:\n  max_new_tokens: 5\n  batch_size: 2\n  limit: 6\n"
                       "  metrics: [bleu, rouge_l]\n";
    auto cfg = tb::parse_app_config(yaml, base_dir + "/config.yaml");
    EXPECT_TRUE(cfg.ok()) << (cfg.ok() ? "" : cfg.error().message);
    return cfg.ok() ? *cfg : tb::AppConfig{};
}

int64_t count(const std::string& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

}  // namespace

TEST(Evaluation, ResumesAfterInterruptWithoutDuplicatesAndSameNumbers) {
    const std::string model_dir = make_tiny_model_dir("eval_model");
    const std::string adapter = make_adapter_dir(model_dir, "eval_adapter");
    const std::string work = tbtest::scratch_dir("eval_work");

    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.models = {"base", adapter};
    p.metrics = {"bleu", "rouge", "ppl"};
    p.bootstrap.resamples = 200;

    // Uninterrupted reference run.
    p.store_path = work + "/full.sqlite";
    auto full = tb::eval::run_evaluation(p);
    ASSERT_TRUE(full.ok()) << full.error().message;
    ASSERT_FALSE(full->cancelled);
    EXPECT_EQ(full->items, 6u);
    EXPECT_EQ(full->generated_now, 12);
    const std::vector<std::string> expected_metrics = {"bleu",   "rouge1",    "rouge2",
                                                       "rougeL", "rougeLsum", "ppl"};
    EXPECT_EQ(full->metrics, expected_metrics);

    // Interrupted run: cancel as soon as the first batch of the base model is committed.
    tb::CancelToken cancel;
    p.store_path = work + "/resumed.sqlite";
    p.cancel = &cancel;
    p.on_progress = [&](const tb::eval::EvalProgress& e) {
        if (e.stage == "generate" && e.done >= 2) cancel.cancel();
    };
    auto part = tb::eval::run_evaluation(p);
    ASSERT_TRUE(part.ok()) << part.error().message;
    EXPECT_TRUE(part->cancelled);
    EXPECT_EQ(part->generated_now, 2);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM generations"), 2);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM metrics_aggregate"), 0);

    // Resume.
    cancel.reset();
    p.on_progress = nullptr;
    p.resume_eval_id = part->eval_id;
    auto resumed = tb::eval::run_evaluation(p);
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    ASSERT_FALSE(resumed->cancelled);
    EXPECT_EQ(resumed->eval_id, part->eval_id);
    EXPECT_EQ(resumed->generated_now, 10);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM generations"), 12);
    EXPECT_EQ(count(p.store_path,
                    "SELECT count(*) FROM (SELECT DISTINCT eval_id, model, item_id FROM "
                    "generations)"),
              12);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM runs WHERE status = 'completed'"), 1);

    // Same final numbers as the uninterrupted run.
    ASSERT_EQ(resumed->aggregates.size(), full->aggregates.size());
    for (size_t i = 0; i < full->aggregates.size(); ++i) {
        const auto& a = full->aggregates[i];
        const auto& b = resumed->aggregates[i];
        SCOPED_TRACE(a.model + " " + a.metric + " " + a.category.value_or("(all)"));
        EXPECT_EQ(a.metric, b.metric);
        EXPECT_EQ(a.category, b.category);
        EXPECT_DOUBLE_EQ(a.value, b.value);
        EXPECT_DOUBLE_EQ(a.ci_lo, b.ci_lo);
        EXPECT_DOUBLE_EQ(a.ci_hi, b.ci_hi);
        EXPECT_EQ(a.p_value.has_value(), b.p_value.has_value());
        if (a.p_value && b.p_value) {
            EXPECT_DOUBLE_EQ(*a.p_value, *b.p_value);
        }
        EXPECT_LE(a.ci_lo, a.value + 1e-9);
        EXPECT_GE(a.ci_hi, a.value - 1e-9);
    }
    // p-values only for the adapter (vs base); categories present (Dolly has them).
    int with_p = 0, per_cat = 0;
    for (const auto& a : full->aggregates) {
        with_p += a.p_value.has_value();
        per_cat += a.category.has_value();
        EXPECT_EQ(a.p_value.has_value(), a.model != "base");
    }
    EXPECT_GT(with_p, 0);
    EXPECT_GT(per_cat, 0);

    // The overall ppl of each model equals a direct perplexity computation on the same items.
    auto store = tb::store::Store::open(p.store_path);
    ASSERT_TRUE(store.ok());
    auto gens = (*store)->generations(part->eval_id, "base");
    ASSERT_TRUE(gens.ok());
    ASSERT_EQ(gens->size(), 6u);
    auto ex = dolly();
    std::vector<size_t> idx;
    for (const auto& g : *gens) idx.push_back(std::stoul(g.item_id));
    // Raters see each item's user message as the dataset row holds it (not the template).
    auto messages = (*store)->user_messages(part->eval_id);
    ASSERT_TRUE(messages.ok());
    ASSERT_EQ(messages->size(), 6u);
    for (const auto& m : *messages) {
        const auto& row = ex.at(std::stoul(m.item_id));
        EXPECT_EQ(m.instruction, row.instruction);
        EXPECT_EQ(m.context, row.context);
    }
    auto tok = tb::Tokenizer::load(model_dir);
    auto model = tb::load_llama_model(model_dir);
    ASSERT_TRUE(tok.ok() && model.ok());
    tb::eval::PerplexityOptions po;
    po.tokenize.max_length = 128;
    auto direct = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
    ASSERT_TRUE(direct.ok());
    // No tolerance: the evaluation scores rows in batches of eval.batch_size (2) and the direct
    // computation in batches of 8, but every row is its own unpadded forward pass and the sums
    // run in fp64 in item order (core/eval/perplexity.h), so both perform the same floating-
    // point operations in the same order. (With padded batches the GEMM shapes differed and
    // so did the fp32 rounding: 1.2e-8 relative on an AMD EPYC, failing a 1e-9 tolerance.)
    int checked = 0;
    for (const auto& a : full->aggregates) {
        if (a.model == "base" && a.metric == "ppl" && !a.category) {
            EXPECT_DOUBLE_EQ(a.value, direct->perplexity);
            ++checked;
        }
    }
    EXPECT_EQ(checked, 1);

    // Exports of the resumed evaluation parse and carry the stored numbers.
    auto files = (*store)->export_evaluation_json(part->eval_id, work + "/results");
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 2u);
    auto j = nlohmann::json::parse(*tb::read_file((*files)[0]));
    EXPECT_EQ(j["samples"].size(), 6u);
    EXPECT_TRUE(j["metrics"].contains("bleu"));
}

// The evaluation generates through the inference core: its stored answers are the core's
// greedy completions of the same prompts, batched the same way, for the base model and for an
// adapter applied without merging; and they are still the answers of the generation path
// evaluations used before the core (tb::generate with the old EOS/pad rule), so stored
// evaluations stay comparable. No tolerance: fp32 on the CPU, and the same prompts in the same
// batches give the same argmax.
TEST(Evaluation, AnswersAreTheInferenceCoresGreedyCompletions) {
    const std::string model_dir = make_tiny_model_dir("eval_core_model");
    const std::string adapter = make_adapter_dir(model_dir, "eval_core_adapter");
    const std::string work = tbtest::scratch_dir("eval_core_work");
    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.config.eval.max_new_tokens = 12;  // long enough for the adapter to change some answers
    p.models = {"base", adapter};
    p.metrics = {"bleu"};
    p.bootstrap.resamples = 50;
    p.store_path = work + "/core.sqlite";
    auto r = tb::eval::run_evaluation(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->items, 6u);
    auto store = tb::store::Store::open(p.store_path);
    ASSERT_TRUE(store.ok());

    // The items in evaluation order: the test split of the config, limited.
    auto ds = tb::load_dataset_from_config(p.config);
    ASSERT_TRUE(ds.ok());
    auto split = tb::split_dataset(ds->examples, tb::split_options_from_config(p.config.data));
    ASSERT_TRUE(split.ok());
    std::vector<size_t> items(split->test.begin(), split->test.begin() + 6);

    tb::infer::EngineParams ep;
    ep.model_dir = model_dir;
    ep.device = "cpu";
    ep.dtype = "fp32";
    ep.max_batch = p.config.eval.batch_size;
    auto engine = tb::infer::InferenceEngine::load(ep);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    ASSERT_TRUE((*engine)->load_adapter("a", adapter).ok());
    auto tok = (*engine)->tokenizer();
    // The training rendering (core/train/batching.h): the template of the conversation without
    // its answer, as text; the core's text form puts the bos in front, as training does.
    auto request = [&](size_t idx, const std::string& name) {
        std::vector<tb::ChatMessage> head;
        const auto turns = tb::example_messages(ds->examples[idx]);
        for (size_t i = 0; i + 1 < turns.size(); ++i)
            head.push_back({turns[i].role, turns[i].content});
        tb::infer::Request q;
        q.prompt_text = tok->apply_chat_template(head, true).value();
        q.max_new_tokens = p.config.eval.max_new_tokens;
        q.adapter = name;
        return q;
    };
    auto strip = [](std::string s) {
        const char* ws = " \t\r\n\f\v";
        const size_t a = s.find_first_not_of(ws);
        return a == std::string::npos ? std::string() : s.substr(a, s.find_last_not_of(ws) - a + 1);
    };
    // The generation path before the core, with its EOS/pad rule for this model.
    auto model = tb::load_llama_model(model_dir);
    ASSERT_TRUE(model.ok());
    auto adapted = tb::load_llama_model(model_dir);
    ASSERT_TRUE(adapted.ok());
    ASSERT_TRUE(tb::apply_peft_adapter(*adapted, adapter).ok());
    tb::GenerateParams gp;
    gp.max_new_tokens = p.config.eval.max_new_tokens;
    gp.eos_token_ids = {2};
    gp.pad_token_id = tok->pad_id() >= 0 ? tok->pad_id() : 2;

    std::map<std::string, std::string> base_answers;
    int differing = 0;
    for (const std::string& label : p.models) {
        const std::string name = label == "base" ? "" : "a";
        auto gens = (*store)->generations(r->eval_id, label);
        ASSERT_TRUE(gens.ok());
        ASSERT_EQ(gens->size(), 6u);
        std::map<std::string, const tb::store::GenerationRow*> by_item;
        for (const auto& g : *gens) by_item[g.item_id] = &g;
        for (size_t start = 0; start < items.size(); start += 2) {
            std::vector<tb::infer::Request> batch;
            std::vector<std::vector<int64_t>> prompts;
            for (size_t i = start; i < start + 2; ++i) {
                batch.push_back(request(items[i], name));
                prompts.push_back((*engine)->encode(batch.back()).value());
            }
            auto out = (*engine)->generate(batch);
            ASSERT_TRUE(out.ok()) << out.error().message;
            auto legacy = tb::generate(label == "base" ? *model : *adapted, prompts, gp);
            ASSERT_TRUE(legacy.ok()) << legacy.error().message;
            for (size_t i = start; i < start + 2; ++i) {
                const std::string id = std::to_string(items[i]);
                SCOPED_TRACE(label + " item " + id);
                ASSERT_TRUE(by_item.count(id));
                const tb::store::GenerationRow& g = *by_item[id];
                const tb::infer::Completion& c = (*out)[i - start];
                EXPECT_EQ(g.output, strip(c.text));
                EXPECT_EQ(g.tokens, static_cast<int64_t>(c.ids.size()));
                EXPECT_EQ(g.prompt, tok->decode(c.prompt_ids, false));
                EXPECT_EQ(c.ids, legacy->new_ids[i - start]);
                if (label == "base")
                    base_answers[id] = g.output;
                else
                    differing += base_answers.at(id) != g.output;
            }
        }
    }
    EXPECT_GT(differing, 0) << "the adapter changed no answer: its requests did not use it";
}

TEST(Evaluation, UnavailableOrUnknownEngineFailsBeforeWork) {
    const std::string model_dir = make_tiny_model_dir("eval_engine_model");
    const std::string work = tbtest::scratch_dir("eval_engine_work");
    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.models = {"base"};
    p.metrics = {"bleu"};
    p.store_path = work + "/engine.sqlite";
    p.engine = "bogus";
    auto r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("engine: unknown engine 'bogus'", 0), 0u)
        << r.error().message;
    // Set in code (the GUI): the config's key is named.
    p.engine.clear();
    p.config.inference.engine = "bogus";
    r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("inference.engine"), std::string::npos) << r.error().message;
    // A known engine this machine lacks (graph without CUDA) says why, before any work.
    const auto avail = tb::infer::available_engines();
    if (std::find(avail.begin(), avail.end(), "graph") == avail.end()) {
        p.config.inference.engine = "graph";
        r = tb::eval::run_evaluation(p);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("inference.engine: engine 'graph' is not available"),
                  std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find("CUDA"), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(fs::exists(p.store_path));  // nothing was created
}

TEST(Evaluation, RejectsBadRequests) {
    const std::string work = tbtest::scratch_dir("eval_bad");
    tb::eval::EvaluationParams p;
    p.config = eval_config(work + "/no-model", work);
    p.store_path = work + "/db.sqlite";
    p.models = {"base", work + "/not-an-adapter"};
    auto r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not-an-adapter"), std::string::npos);
    p.models = {"base"};
    p.metrics = {"bleu", "meteor"};
    r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("meteor"), std::string::npos);
    // BERTScore without a local encoder folder (or without the module): a clear error.
    p.metrics = {"bertscore"};
    p.bertscore_model = work + "/no-encoder";
    r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("bertscore"), std::string::npos);
}

namespace {

std::string run_status(const std::string& db_path, int64_t id) {
    auto store = tb::store::Store::open(db_path);
    EXPECT_TRUE(store.ok());
    auto run = (*store)->get_run(id);
    EXPECT_TRUE(run.ok() && run->has_value());
    return run.ok() && run->has_value() ? (*run)->status : "";
}

}  // namespace

// Every argument is checked before the data, a model or the store is touched: a bad request
// fails at once, names its field, and leaves no run behind.
TEST(Evaluation, ValidatesEveryArgumentBeforeWork) {
    const std::string model_dir = make_tiny_model_dir("eval_validate_model");
    const std::string work = tbtest::scratch_dir("eval_validate");
    tb::eval::EvaluationParams good;
    good.config = eval_config(model_dir, work);
    good.metrics = {"bleu"};
    good.store_path = work + "/db.sqlite";
    // Generation must never start: a progress report would mean work began.
    bool worked = false;
    good.on_progress = [&](const tb::eval::EvalProgress&) { worked = true; };

    struct Case {
        const char* field;
        void (*change)(tb::eval::EvaluationParams&, const std::string& work);
    };
    const Case cases[] = {
        {"resamples", [](auto& p, auto&) { p.bootstrap.resamples = -1; }},
        {"resamples", [](auto& p, auto&) { p.bootstrap.resamples = 1000000000; }},
        {"confidence", [](auto& p, auto&) { p.bootstrap.confidence = 1.5; }},
        {"limit", [](auto& p, auto&) { p.limit = 0; }},
        {"limit", [](auto& p, auto&) { p.limit = -5; }},
        {"paired_test", [](auto& p, auto&) { p.paired_test = "t-test"; }},
        {"metrics",
         [](auto& p, auto&) {
             p.metrics = {"bleu", "meteor"};
         }},
        {"models",
         [](auto& p, auto& w) {
             p.models = {"base", w + "/no-adapter"};
         }},
        {"models",
         [](auto& p, auto&) {
             p.models = {"base", "base"};
         }},
        {"model.dtype", [](auto& p, auto&) { p.dtype = "int7"; }},
        {"model.device", [](auto& p, auto&) { p.device = "tpu"; }},
        {"model.name", [](auto& p, auto& w) { p.config.model.name = w + "/no-model"; }},
        {"eval.max_new_tokens", [](auto& p, auto&) { p.config.eval.max_new_tokens = 0; }},
        {"resume", [](auto& p, auto&) { p.resume_eval_id = -3; }},
        {"is a folder", [](auto& p, auto& w) { p.store_path = w; }},
        {"does not exist", [](auto& p, auto& w) { p.store_path = w + "/nowhere/db.sqlite"; }},
        {"store", [](auto& p, auto&) { p.store_path.clear(); }},
    };
    for (const auto& k : cases) {
        auto p = good;
        k.change(p, work);
        auto r = tb::eval::run_evaluation(p);
        ASSERT_FALSE(r.ok()) << k.field;
        EXPECT_NE(r.error().message.find(k.field), std::string::npos) << r.error().message;
        EXPECT_FALSE(worked) << k.field;
    }
    if (!tb::compat::cuda_available()) {
        auto p = good;
        p.device = "cuda";
        auto r = tb::eval::run_evaluation(p);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("no CUDA device"), std::string::npos);
    }
    EXPECT_FALSE(fs::exists(work + "/db.sqlite"));
}

// The run records what it measured on; resuming with another split is refused before work.
TEST(Evaluation, RecordsSplitAndGenerationFingerprint) {
    const std::string model_dir = make_tiny_model_dir("eval_fp_model");
    const std::string work = tbtest::scratch_dir("eval_fp");
    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.metrics = {"bleu"};
    p.limit = 2;
    p.store_path = work + "/db.sqlite";
    p.bootstrap.resamples = 50;
    auto r = tb::eval::run_evaluation(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto store = tb::store::Store::open(p.store_path);
    ASSERT_TRUE(store.ok());
    auto run = (*store)->get_run(r->eval_id);
    ASSERT_TRUE(run.ok() && run->has_value());
    EXPECT_EQ((*run)->status, "completed");
    // Still the run's config...
    auto cfg = tb::parse_app_config((*run)->config_yaml, "");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->eval.max_new_tokens, 5);
    // ...plus the fingerprint.
    auto fp = tb::eval::eval_fingerprint_from_run_yaml((*run)->config_yaml);
    ASSERT_TRUE(fp.ok()) << fp.error().message;
    EXPECT_TRUE(fp->recorded);
    auto file = tb::eval::fingerprint_file(tbtest::shared_dir() + "/data/dolly-sample.jsonl");
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(fp->split.data_hash, file->hash);
    EXPECT_EQ(fp->split.data_bytes, file->bytes);
    EXPECT_EQ(fp->split.rows, static_cast<int64_t>(dolly().size()));
    EXPECT_EQ(fp->split.test_items, 2);
    EXPECT_EQ(fp->split.seed, 42);
    EXPECT_FALSE(fp->split.stratify);
    EXPECT_EQ(fp->generation.max_new_tokens, 5);
    EXPECT_TRUE(fp->generation.greedy);
    EXPECT_EQ(fp->generation.batch_size, 2);
    EXPECT_EQ(fp->generation.limit, 2);
    EXPECT_EQ(fp->generation.dtype, "float32");
    EXPECT_EQ(fp->generation.device, "cpu");
    EXPECT_EQ(fp->generation.max_length, 128);
    EXPECT_EQ(fp->generation.engine, "eager");  // the config's inference.engine default

    // The same settings again: comparable. A stratified split: not, and resuming the first
    // evaluation with it is refused.
    auto again = tb::eval::run_evaluation(p);
    ASSERT_TRUE(again.ok());
    auto fp2 =
        tb::eval::eval_fingerprint_from_run_yaml((*(*store)->get_run(again->eval_id))->config_yaml);
    ASSERT_TRUE(fp2.ok());
    EXPECT_TRUE(tb::eval::compare_evaluations(*fp, *fp2).comparable);
    p.config.data.stratify = true;
    p.resume_eval_id = r->eval_id;
    auto resumed = tb::eval::run_evaluation(p);
    ASSERT_FALSE(resumed.ok());
    EXPECT_NE(resumed.error().message.find("split stratify: false vs true"), std::string::npos)
        << resumed.error().message;
    EXPECT_EQ(run_status(p.store_path, r->eval_id), "completed");
}

// A failure after the run exists marks it failed (never left running); a cancel marks it
// cancelled.
TEST(Evaluation, FailedAndCancelledRunsAreMarked) {
    const std::string model_dir = make_tiny_model_dir("eval_fail_model");
    const std::string work = tbtest::scratch_dir("eval_fail");
    // An adapter folder that passes the up-front check (adapter_config.json) but whose weights
    // are not safetensors: it fails when applied, after the base model's generations.
    const std::string adapter = make_adapter_dir(model_dir, "eval_fail_adapter");
    std::ofstream(adapter + "/adapter_model.safetensors", std::ios::binary | std::ios::trunc)
        << "not safetensors";
    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.metrics = {"bleu"};
    p.models = {"base", adapter};
    p.limit = 2;
    p.store_path = work + "/db.sqlite";
    auto r = tb::eval::run_evaluation(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM runs"), 1);
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM runs WHERE status = 'failed'"), 1);
    EXPECT_EQ(
        count(p.store_path,
              "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL AND finished_at != ''"),
        1);
    // The base model's finished batches stay (a resume after fixing the adapter keeps them).
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM generations WHERE model = 'base'"), 2);

    tb::CancelToken cancel;
    cancel.cancel();
    p.models = {"base"};
    p.cancel = &cancel;
    auto c = tb::eval::run_evaluation(p);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(c->cancelled);
    EXPECT_EQ(run_status(p.store_path, c->eval_id), "cancelled");
    EXPECT_EQ(count(p.store_path, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
}

#ifdef TB_TEST_HAVE_BERTSCORE
// chrF, chrF++, TER and BERTScore in evaluate (issue 16): every stored value equals the
// library's computation on the stored generations (the library is checked against sacrebleu
// and bert_score elsewhere), with CIs, p-values against base, per-category rows and the
// results/evaluation export.
TEST(Evaluation, ChrfTerAndBertScoreWithCisTestsAndCategories) {
    const std::string model_dir = make_tiny_model_dir("eval_chrf_model");
    const std::string adapter = make_adapter_dir(model_dir, "eval_chrf_adapter");
    const std::string work = tbtest::scratch_dir("eval_chrf_work");
    tb::eval::EvaluationParams p;
    p.config = eval_config(model_dir, work);
    p.models = {"base", adapter};
    p.metrics = {"bleu", "chrf", "chrfpp", "ter", "bertscore"};
    p.bertscore_model = tbtest::fixtures_dir() + "/bertscore/bert";
    p.bertscore_layers = 2;
    p.bootstrap.resamples = 200;
    p.store_path = work + "/store.sqlite";
    auto r = tb::eval::run_evaluation(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::vector<std::string> expected = {
        "bleu", "chrf", "chrfpp", "ter", "bertscore_precision", "bertscore_recall", "bertscore_f1"};
    EXPECT_EQ(r->metrics, expected);

    auto store = tb::store::Store::open(p.store_path);
    ASSERT_TRUE(store.ok());
    for (const std::string& model : p.models) {
        auto gens = (*store)->generations(r->eval_id, model);
        ASSERT_TRUE(gens.ok());
        ASSERT_EQ(gens->size(), 6u);
        std::vector<std::string> outs;
        std::vector<std::vector<std::string>> refs;
        for (const auto& g : *gens) {
            outs.push_back(g.output);
            refs.push_back({g.reference});
        }
        tb::bertscore::BertScoreOptions bo;
        bo.model_dir = p.bertscore_model;
        bo.num_layers = 2;
        auto bs = tb::bertscore::bert_score(outs, refs, bo);
        ASSERT_TRUE(bs.ok()) << bs.error().message;
        auto mean = [](const std::vector<double>& v) {
            double s = 0;
            for (double x : v) s += x;
            return s / static_cast<double>(v.size());
        };
        const std::map<std::string, double> want = {
            {"chrf", *tb::metrics::corpus_chrf(outs, refs, tb::metrics::ChrfOptions::chrf())},
            {"chrfpp",
             *tb::metrics::corpus_chrf(outs, refs, tb::metrics::ChrfOptions::chrf_plus_plus())},
            {"ter", *tb::metrics::corpus_ter(outs, refs)},
            {"bertscore_precision", mean(bs->precision)},
            {"bertscore_recall", mean(bs->recall)},
            {"bertscore_f1", mean(bs->f1)}};
        for (const auto& [metric, value] : want) {
            SCOPED_TRACE(model + " " + metric);
            int found = 0, cats = 0;
            for (const auto& a : r->aggregates) {
                if (a.model != model || a.metric != metric) continue;
                if (a.category) {
                    ++cats;
                    continue;
                }
                ++found;
                // Same items, same order: the sums run in the same order as the library's.
                EXPECT_NEAR(a.value, value, 1e-12);
                EXPECT_LE(a.ci_lo, a.value + 1e-9);
                EXPECT_GE(a.ci_hi, a.value - 1e-9);
                EXPECT_EQ(a.p_value.has_value(), model != "base");
                EXPECT_EQ(a.n_items, 6);
            }
            EXPECT_EQ(found, 1);
            EXPECT_GT(cats, 0);
        }
        // Per-item values: sentence-level scores.
        auto items = (*store)->metric_items(r->eval_id);
        ASSERT_TRUE(items.ok());
        int ter_items = 0;
        for (const auto& it : *items) {
            if (it.model != model || it.metric != "ter") continue;
            for (size_t i = 0; i < gens->size(); ++i)
                if ((*gens)[i].item_id == it.item_id) {
                    EXPECT_DOUBLE_EQ(it.value, *tb::metrics::sentence_ter(outs[i], refs[i]));
                    ++ter_items;
                }
        }
        EXPECT_EQ(ter_items, 6);
    }
    auto files = (*store)->export_evaluation_json(r->eval_id, work + "/results");
    ASSERT_TRUE(files.ok());
    auto j = nlohmann::json::parse(*tb::read_file((*files)[0]));
    for (const auto& m : expected) EXPECT_TRUE(j["metrics"].contains(m)) << m;
    EXPECT_TRUE(j["samples"][0]["metrics"].contains("chrfpp"));
}
#endif  // TB_TEST_HAVE_BERTSCORE
