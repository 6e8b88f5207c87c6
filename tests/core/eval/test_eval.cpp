// Perplexity against an independent per-token reference, and the evaluation pipeline's
// resumability (interrupt after a batch, resume: no duplicates, same final numbers).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/data/dataset_reader.h"
#include "core/eval/evaluation.h"
#include "core/eval/perplexity.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/infer/scoring.h"
#include "core/train/lora_injection.h"
#include "tests/test_paths.h"

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
    auto tok = tb::Tokenizer::load(model_dir);
    auto model = tb::load_llama_model(model_dir);
    ASSERT_TRUE(tok.ok() && model.ok());
    tb::eval::PerplexityOptions po;
    po.tokenize.max_length = 128;
    auto direct = tb::eval::compute_perplexity(*model, **tok, ex, idx, po);
    ASSERT_TRUE(direct.ok());
    for (const auto& a : full->aggregates) {
        if (a.model == "base" && a.metric == "ppl" && !a.category) {
            EXPECT_NEAR(a.value, direct->perplexity, 1e-9 * direct->perplexity);
        }
    }

    // Exports of the resumed evaluation parse and carry the stored numbers.
    auto files = (*store)->export_evaluation_json(part->eval_id, work + "/results");
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 2u);
    auto j = nlohmann::json::parse(*tb::read_file((*files)[0]));
    EXPECT_EQ(j["samples"].size(), 6u);
    EXPECT_TRUE(j["metrics"].contains("bleu"));
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
