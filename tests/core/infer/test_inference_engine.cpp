// The inference core (core/infer/inference.h) with the eager engine, fp32 on the CPU:
// greedy tokens equal HF's (fixtures of tests/fixtures/llama, batched prompts of different
// lengths, repetition penalty, a PEFT adapter applied without merging) and the reference
// generate path; streaming order; cancel; stop strings; min_new_tokens; validation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/common/torch_compat.h"
#include "core/infer/generate.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace tb::infer;
using tb::LlamaConfig;

namespace {

std::vector<std::string> cases() {
    std::vector<std::string> out;
    const fs::path root = fs::path(tbtest::fixtures_dir()) / "llama";
    for (auto& e : fs::directory_iterator(root))
        if (fs::exists(e.path() / "expected.json")) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::unique_ptr<InferenceEngine> load_or_die(const EngineParams& p) {
    auto e = InferenceEngine::load(p);
    if (!e.ok()) throw std::runtime_error(e.error().message);
    return std::move(e).value();
}

std::vector<Completion> run_or_die(InferenceEngine& e, const std::vector<Request>& reqs,
                                   const GenerateOptions& o = {}) {
    auto r = e.generate(reqs, o);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
}

Request greedy_request(const std::vector<int64_t>& ids, int64_t n, double rep = 1.0) {
    Request r;
    r.prompt_ids = ids;
    r.max_new_tokens = n;
    r.min_new_tokens = n;  // as the fixtures were made: EOS never ends a row early
    r.sampling.repetition_penalty = rep;
    return r;
}

// A small random model with the Llama-2 vocabulary, so that the shared tokenizer applies.
LlamaConfig small_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 64;
    c.intermediate_size = 128;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 16;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 512;
    c.eos_token_ids = {2};
    return c;
}

EngineParams small_params(bool with_tokenizer) {
    EngineParams p;
    p.random_shape = small_shape();
    p.seed = 3;
    p.device = "cpu";
    p.dtype = "fp32";
    if (with_tokenizer) p.tokenizer = tbtest::shared_dir() + "/data/llama2-tokenizer.model";
    return p;
}

TEST(InferenceEngine, GreedyEqualsHfFixtures) {
    ASSERT_GE(cases().size(), 3u);
    for (const auto& c : cases()) {
        SCOPED_TRACE(c);
        std::ifstream in(fs::path(tbtest::fixtures_dir()) / "llama" / c / "expected.json");
        const json e = json::parse(in);
        EngineParams p;
        p.model_dir = (fs::path(tbtest::fixtures_dir()) / "llama" / c).string();
        p.device = "cpu";
        p.dtype = "fp32";
        auto eng = load_or_die(p);
        const auto ids = e["input_ids"].get<std::vector<int64_t>>();
        EXPECT_EQ(run_or_die(*eng, {greedy_request(ids, 32)})[0].ids,
                  e["greedy32"].get<std::vector<int64_t>>());
        // Prompts of different lengths in one batch (left padded).
        auto prompts = e["batch_prompts"].get<std::vector<std::vector<int64_t>>>();
        auto expect = e["batch_greedy12"].get<std::vector<std::vector<int64_t>>>();
        ASSERT_NE(prompts[0].size(), prompts[1].size());
        std::vector<Request> reqs;
        for (const auto& pr : prompts) reqs.push_back(greedy_request(pr, 12));
        auto out = run_or_die(*eng, reqs);
        for (size_t r = 0; r < prompts.size(); ++r) EXPECT_EQ(out[r].ids, expect[r]) << "row " << r;
        EXPECT_EQ(run_or_die(*eng, {greedy_request(ids, 16, 1.3)})[0].ids,
                  e["greedy16_reppen1.3"].get<std::vector<int64_t>>());
        if (e.contains("adapter_greedy16")) {
            const std::string dir =
                (fs::path(tbtest::fixtures_dir()) / "llama" / (c + "_adapter")).string();
            auto st = eng->load_adapter("a", dir);
            ASSERT_TRUE(st.ok()) << st.error().message;
            Request r = greedy_request(ids, 16);
            r.adapter = "a";
            // Base and adapter rows in one submission: two groups, each with its weights.
            auto both = run_or_die(*eng, {r, greedy_request(ids, 32)});
            EXPECT_EQ(both[0].ids, e["adapter_greedy16"].get<std::vector<int64_t>>());
            EXPECT_EQ(both[1].ids, e["greedy32"].get<std::vector<int64_t>>());
        }
    }
}

TEST(InferenceEngine, EqualsReferenceGeneratePathAndSingleRequests) {
    auto eng = load_or_die(small_params(false));
    // The same random weights through core/infer/generate.cpp.
    tb::LoadOptions lo;
    tb::LlamaModel ref = tb::init_llama(small_shape(), 3, 0.02, lo);
    const std::vector<std::vector<int64_t>> prompts = {
        {1, 450, 4996, 17354, 1701, 29916}, {1, 306}, {1, 15043, 29892, 920, 526, 366, 29973, 13}};
    tb::GenerateParams gp;
    gp.max_new_tokens = 20;
    gp.min_new_tokens = 20;
    gp.eos_token_ids = {2};
    auto want = tb::generate(ref, prompts, gp);
    ASSERT_TRUE(want.ok()) << want.error().message;
    std::vector<Request> reqs;
    for (const auto& p : prompts) reqs.push_back(greedy_request(p, 20));
    auto batched = run_or_die(*eng, reqs);
    for (size_t i = 0; i < prompts.size(); ++i) {
        EXPECT_EQ(batched[i].ids, want->new_ids[i]) << "row " << i;
        EXPECT_EQ(batched[i].prompt_ids, prompts[i]);
        // Alone, without padding, the same tokens.
        EXPECT_EQ(run_or_die(*eng, {reqs[i]})[0].ids, batched[i].ids) << "row " << i;
    }
    // Different max_new_tokens per row: each stops at its own length.
    reqs[1].max_new_tokens = reqs[1].min_new_tokens = 5;
    auto mixed = run_or_die(*eng, reqs);
    EXPECT_EQ(mixed[1].ids,
              std::vector<int64_t>(want->new_ids[1].begin(), want->new_ids[1].begin() + 5));
    EXPECT_EQ(mixed[1].finish_reason, "length");
    EXPECT_EQ(mixed[0].ids, want->new_ids[0]);
    // More rows than max_batch: split into batches, same tokens.
    EngineParams small = small_params(false);
    small.max_batch = 2;
    auto split = load_or_die(small);
    reqs[1].max_new_tokens = reqs[1].min_new_tokens = 20;
    auto parts = run_or_die(*split, reqs);
    for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(parts[i].ids, want->new_ids[i]);
}

TEST(InferenceEngine, StreamingOrderAndText) {
    auto eng = load_or_die(small_params(true));
    Request a, b;
    a.prompt_text = "The capital of France is";
    a.max_new_tokens = 9;
    b.messages = {{"user", "Hi"}};  // no chat template in a bare .model: an error ...
    std::vector<TokenEvent> events;
    GenerateOptions o;
    o.on_token = [&](const TokenEvent& e) { events.push_back(e); };
    auto bad = eng->generate({a, b}, o);
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(events.empty()) << "validation happens before any step";
    b = Request();
    b.prompt_text = "Once";
    b.max_new_tokens = 6;
    auto out = run_or_die(*eng, {a, b}, o);
    ASSERT_EQ(out[0].ids.size() + out[1].ids.size(), events.size());
    // Step by step, request order within a step; indices count up per request; times rise.
    std::vector<int64_t> next(2, 0);
    std::vector<std::string> text(2);
    double last = 0;
    for (size_t k = 0; k < events.size(); ++k) {
        const TokenEvent& e = events[k];
        EXPECT_EQ(e.index, next[e.request]++);
        EXPECT_EQ(e.token, out[e.request].ids[static_cast<size_t>(e.index)]);
        EXPECT_GE(e.seconds, last);
        last = e.seconds;
        text[e.request] += e.text;
        if (k > 0 && events[k - 1].index == e.index) {
            EXPECT_LT(events[k - 1].request, e.request);
        }
    }
    for (size_t r = 0; r < 2; ++r) {
        EXPECT_EQ(text[r], out[r].text) << "streamed text = decoded text";
        EXPECT_EQ(out[r].token_seconds.size(), out[r].ids.size());
    }
    EXPECT_EQ(out[0].prompt_ids, eng->tokenizer()->encode("The capital of France is", true));
}

TEST(InferenceEngine, GraphEngineNeedsCudaAndSaysSo) {
    EngineParams p = small_params(false);
    p.engine = "graph";
    auto e = InferenceEngine::load(p);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("needs a CUDA device (this one: cpu)"), std::string::npos)
        << e.error().message;
    const auto avail = available_engines();
    EXPECT_EQ(std::find(avail.begin(), avail.end(), "graph") != avail.end(),
              tb::compat::cuda_available());
}

TEST(InferenceEngine, CancelStopsBetweenSteps) {
    auto eng = load_or_die(small_params(false));
    tb::CancelToken cancel;
    GenerateOptions o;
    o.cancel = &cancel;
    o.on_token = [&](const TokenEvent& e) {
        if (e.index == 2) cancel.cancel();
    };
    auto out =
        run_or_die(*eng, {greedy_request({1, 2000, 3000}, 50), greedy_request({1, 7}, 50)}, o);
    for (const auto& c : out) {
        EXPECT_EQ(c.finish_reason, "cancelled");
        EXPECT_EQ(c.ids.size(), 3u);  // the step in flight completes for every row
    }
}

TEST(InferenceEngine, StopStringsEndARowAndKeepItsTokens) {
    auto eng = load_or_die(small_params(true));
    Request r;
    r.prompt_text = "Hello";
    r.max_new_tokens = 30;
    r.min_new_tokens = 30;
    auto full = run_or_die(*eng, {r})[0];
    ASSERT_EQ(full.ids.size(), 30u);
    auto tok = eng->tokenizer();
    // A stop string that the decoded text first contains after token k (k > 3).
    std::string stop;
    size_t k = 0;
    for (size_t n = 5; n <= full.ids.size() && stop.empty(); ++n) {
        std::string t = tok->decode({full.ids.begin(), full.ids.begin() + n}, true);
        std::string prev = tok->decode({full.ids.begin(), full.ids.begin() + n - 1}, true);
        if (t.size() >= prev.size() + 2 && t.compare(0, prev.size(), prev) == 0) {
            std::string cand = t.substr(t.size() - 2);
            if (prev.find(cand) == std::string::npos) {
                stop = cand;
                k = n;
            }
        }
    }
    ASSERT_FALSE(stop.empty()) << "no usable stop string in: " << full.text;
    r.stop = {"never-in-this-text-\x01", stop};
    auto cut = run_or_die(*eng, {r})[0];
    EXPECT_EQ(cut.finish_reason, "stop");
    ASSERT_EQ(cut.ids.size(), k);
    EXPECT_EQ(cut.ids, std::vector<int64_t>(full.ids.begin(), full.ids.begin() + k));
    EXPECT_NE(cut.text.find(stop), std::string::npos);
    // Without a tokenizer stop strings are refused.
    auto bare = load_or_die(small_params(false));
    Request ids_only = greedy_request({1, 5}, 4);
    ids_only.stop = {"x"};
    EXPECT_FALSE(bare->generate({ids_only}).ok());
}

TEST(InferenceEngine, MinNewTokensHoldsBackEos) {
    // Make the third greedy token the EOS id: it ends the row unless min_new_tokens forbids it.
    auto probe = load_or_die(small_params(false));
    Request r = greedy_request({1, 450, 4996}, 8);
    auto free_run = run_or_die(*probe, {r})[0];
    const int64_t eos = free_run.ids[2];
    if (eos == free_run.ids[0] || eos == free_run.ids[1]) GTEST_SKIP() << "token repeats early";
    EngineParams p = small_params(false);
    LlamaConfig shape = small_shape();
    shape.eos_token_ids = {eos};
    p.random_shape = shape;
    auto eng = load_or_die(p);
    EXPECT_EQ(eng->eos_token_ids(), std::vector<int64_t>{eos});
    r.min_new_tokens = 0;
    auto ended = run_or_die(*eng, {r})[0];
    EXPECT_EQ(ended.finish_reason, "eos");
    EXPECT_EQ(ended.ids, std::vector<int64_t>(free_run.ids.begin(), free_run.ids.begin() + 3));
    r.min_new_tokens = 5;
    auto held = run_or_die(*eng, {r})[0];
    ASSERT_GE(held.ids.size(), 5u);
    for (size_t i = 0; i < 5; ++i) EXPECT_NE(held.ids[i], eos) << "position " << i;
    EXPECT_EQ(std::vector<int64_t>(held.ids.begin(), held.ids.begin() + 2),
              std::vector<int64_t>(free_run.ids.begin(), free_run.ids.begin() + 2));
}

TEST(InferenceEngine, SamplingIsSeededAndValidated) {
    auto eng = load_or_die(small_params(false));
    Request r = greedy_request({1, 450}, 12);
    r.sampling.greedy = false;
    r.sampling.temperature = 1.5;
    r.sampling.seed = 11;
    auto a = run_or_die(*eng, {r})[0].ids;
    auto b = run_or_die(*eng, {r})[0].ids;
    EXPECT_EQ(a, b);
    r.sampling.temperature = 0;
    EXPECT_FALSE(eng->generate({r}).ok());
}

TEST(InferenceEngine, ValidationErrors) {
    auto eng = load_or_die(small_params(false));
    Request r = greedy_request({1, 5}, 4);
    r.min_new_tokens = 9;
    EXPECT_FALSE(eng->generate({r}).ok());
    r = greedy_request({1, 32000}, 4);
    auto e = eng->generate({r});
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("vocabulary"), std::string::npos);
    r = greedy_request({1, 5}, 4);
    r.adapter = "nope";
    EXPECT_FALSE(eng->generate({r}).ok());
    r = greedy_request({1, 5}, 600);
    EXPECT_FALSE(eng->generate({r}).ok()) << "beyond max_position_embeddings";
    Request none;
    EXPECT_FALSE(eng->generate({none}).ok());
    EngineParams g = small_params(false);
    g.engine = "warp";
    auto ge = InferenceEngine::load(g);
    ASSERT_FALSE(ge.ok());
    EXPECT_NE(ge.error().message.find("unknown engine 'warp'"), std::string::npos)
        << ge.error().message;
}

TEST(InferenceEngine, NonFiniteLogitsAreAnError) {
    tb::LoadOptions lo;
    tb::LlamaModel m = tb::init_llama(small_shape(), 3, 0.02, lo);
    m.final_norm.fill_(std::numeric_limits<float>::quiet_NaN());
    const std::string dir = tbtest::scratch_dir("engine_nan") + "/model";
    ASSERT_TRUE(tb::save_llama_model(m, dir, at::kFloat).ok());
    EngineParams p;
    p.model_dir = dir;
    p.device = "cpu";
    auto eng = load_or_die(p);
    auto r = eng->generate({greedy_request({1, 5, 7}, 4)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("new token 1"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("not finite"), std::string::npos) << r.error().message;
}

TEST(InferenceEngine, LoadReport) {
    auto eng = load_or_die(small_params(false));
    const LoadReport& r = eng->load_report();
    EXPECT_GT(r.seconds, 0);
    const LlamaConfig c = small_shape();
    const int64_t per_layer =
        2 * c.hidden_size +
        c.hidden_size * c.head_dim * (2 * c.num_attention_heads + 2 * c.num_key_value_heads) +
        3 * c.hidden_size * c.intermediate_size;
    const int64_t params =
        2 * c.vocab_size * c.hidden_size + c.hidden_size + c.num_hidden_layers * per_layer;
    EXPECT_EQ(r.weight_bytes, params * 4);
    EXPECT_EQ(r.device, "cpu");
    EXPECT_EQ(r.dtype, "float32");
    EXPECT_GT(r.rss_bytes, 0);
}

}  // namespace
