// The serving core's paged engine (core/serve/batcher.h), fp32 on the CPU: greedy answers of
// concurrent requests equal single-request answers equal InferenceEngine's eager answers
// (same prompt ids), with adapters mixed in one batch, with chunked prefill splitting prompts,
// with prefix sharing on and with preemption; sampling seeded per request; stop strings and
// streamed text; cancel frees the blocks; stop() is graceful; validation errors are the
// inference core's.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/serve/batcher.h"
#include "core/serve/paged_model.h"
#include "tests/test_paths.h"

using namespace tb::infer;
using tb::LlamaConfig;
using tb::serve::Batcher;
using tb::serve::BatcherParams;
using tb::serve::StreamEvent;

namespace {

LlamaConfig small_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;  // the Llama-2 vocabulary: the shared tokenizer applies
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

EngineParams small_params(bool with_tokenizer = false) {
    EngineParams p;
    p.random_shape = small_shape();
    p.seed = 3;
    p.device = "cpu";
    p.dtype = "fp32";
    if (with_tokenizer) p.tokenizer = tbtest::shared_dir() + "/data/llama2-tokenizer.model";
    return p;
}

std::unique_ptr<InferenceEngine> eager_or_die(const EngineParams& p) {
    auto e = InferenceEngine::load(p);
    if (!e.ok()) throw std::runtime_error(e.error().message);
    return std::move(e).value();
}

std::unique_ptr<Batcher> batcher_or_die(const BatcherParams& p) {
    auto b = Batcher::start(p);
    if (!b.ok()) throw std::runtime_error(b.error().message);
    return std::move(b).value();
}

Request greedy(const std::vector<int64_t>& ids, int64_t n, const std::string& adapter = "") {
    Request r;
    r.prompt_ids = ids;
    r.max_new_tokens = n;
    r.min_new_tokens = n;  // EOS never ends a row early: long enough answers to compare
    r.adapter = adapter;
    return r;
}

// Deterministic prompts: ids from 3 (never bos/eos/unk), lengths as given.
std::vector<int64_t> prompt(int64_t len, int64_t salt) {
    std::vector<int64_t> p = {1};
    for (int64_t i = 1; i < len; ++i) p.push_back(3 + (salt * 7919 + i * 104729) % 31990);
    return p;
}

struct Answer {
    std::vector<int64_t> ids;
    std::string text;
    StreamEvent final_event;
    bool ordered = true;  // token indices 0, 1, ... and one final event, last
};

// Submits every request at once (from this thread) and waits for all final events.
std::vector<Answer> run_all(Batcher& b, const std::vector<Request>& reqs,
                            std::function<void(Batcher&, const StreamEvent&)> hook = {}) {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Answer> out(reqs.size());
    size_t open = reqs.size();
    std::vector<bool> done(reqs.size(), false);
    for (size_t i = 0; i < reqs.size(); ++i) {
        auto id = b.submit(reqs[i], [&, i](const StreamEvent& e) {
            if (hook) hook(b, e);
            std::lock_guard<std::mutex> lk(mu);
            Answer& a = out[i];
            if (done[i]) a.ordered = false;  // an event after the final one
            if (e.finished) {
                a.final_event = e;
                done[i] = true;
                --open;
                cv.notify_all();
                return;
            }
            if (e.index != static_cast<int64_t>(a.ids.size())) a.ordered = false;
            a.ids.push_back(e.token);
            a.text += e.text;
        });
        if (!id.ok()) throw std::runtime_error(id.error().message);
    }
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return open == 0; });
    return out;
}

std::vector<std::vector<int64_t>> eager_answers(InferenceEngine& e,
                                                const std::vector<Request>& reqs) {
    std::vector<std::vector<int64_t>> out;
    for (const auto& r : reqs) {  // one request per call: no padding
        auto c = e.generate({r});
        if (!c.ok()) throw std::runtime_error(c.error().message);
        out.push_back(c.value()[0].ids);
    }
    return out;
}

// Waits until the scheduler has published that nothing runs (stats are published per step).
tb::serve::BatcherStats settled(const Batcher& b) {
    for (int i = 0; i < 500; ++i) {
        auto s = b.stats();
        if (s.running == 0 && s.waiting == 0) return s;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return b.stats();
}

// A random PEFT adapter for the small shape, saved as a folder.
std::string make_adapter(const std::string& name, std::vector<std::string> targets, int64_t r,
                         uint64_t seed) {
    tb::LoadOptions lo;
    tb::LlamaModel m = tb::init_llama(small_shape(), 3, 0.02, lo);
    tb::LoraSettings ls;
    ls.r = r;
    ls.alpha = 2.0 * static_cast<double>(r);
    ls.target_modules = targets;
    torch::manual_seed(seed);
    for (auto& L : m.layers)
        for (const auto& t : targets) {
            tb::LoraLinear* lin = L.projection(t);
            lin->lora.A = at::randn({r, lin->in_features()}) * 0.2;
            lin->lora.B = at::randn({lin->out_features(), r}) * 0.2;
            lin->lora.scale = tb::lora_scale(ls, r, ls.alpha);
        }
    const std::string dir = tbtest::scratch_dir("batcher_adapter_" + name);
    EXPECT_TRUE(tb::save_peft_adapter(m, ls, dir).ok());
    return dir;
}

// The decode-attention seam against a per-sequence reference: keys gathered one by one
// through the block table, softmax in double. fp32 sums of at most L products lose ~L 2^-24
// relative: 1e-5 absolute on outputs of magnitude ~1.
TEST(PagedAttention, SeamEqualsPerSequenceReference) {
    torch::manual_seed(4);
    const int64_t D = 5, nh = 4, nkv = 2, hd = 8, bs = 4, NB = 30;
    at::Tensor q = at::randn({D, nh, hd});
    at::Tensor kp = at::randn({NB, bs, nkv, hd});
    at::Tensor vp = at::randn({NB, bs, nkv, hd});
    const std::vector<int64_t> lens = {1, 4, 5, 13, 9};
    const int64_t width = 4;
    at::Tensor tables = at::randint(0, NB, {D, width}, at::TensorOptions().dtype(at::kLong));
    at::Tensor out = tb::serve::paged_decode_attention(
        q, kp, vp, tables, at::tensor(lens, at::kLong), 13, 1 / std::sqrt(8.0), true);
    ASSERT_EQ(out.sizes(), q.sizes());
    for (int64_t d = 0; d < D; ++d)
        for (int64_t h = 0; h < nh; ++h) {
            const int64_t g = h / (nh / nkv);  // the query head's KV head
            std::vector<double> w;
            double mx = -1e300, sum = 0;
            for (int64_t p = 0; p < lens[static_cast<size_t>(d)]; ++p) {
                const int64_t blk = tables[d][p / bs].item<int64_t>();
                double s = 0;
                for (int64_t i = 0; i < hd; ++i)
                    s += q[d][h][i].item<double>() * kp[blk][p % bs][g][i].item<double>();
                w.push_back(s / std::sqrt(8.0));
                mx = std::max(mx, w.back());
            }
            for (double& x : w) sum += (x = std::exp(x - mx));
            for (int64_t i = 0; i < hd; ++i) {
                double o = 0;
                for (int64_t p = 0; p < lens[static_cast<size_t>(d)]; ++p) {
                    const int64_t blk = tables[d][p / bs].item<int64_t>();
                    o += w[static_cast<size_t>(p)] / sum * vp[blk][p % bs][g][i].item<double>();
                }
                EXPECT_NEAR(out[d][h][i].item<double>(), o, 1e-5) << d << " " << h << " " << i;
            }
        }
}

TEST(Batcher, ConcurrentEqualsSingleEqualsEager) {
    auto eager = eager_or_die(small_params());
    std::vector<Request> reqs;
    const int64_t lens[] = {1, 2, 5, 16, 17, 33, 8, 40};
    for (size_t i = 0; i < 8; ++i)
        reqs.push_back(
            greedy(prompt(lens[i], static_cast<int64_t>(i)), 6 + 3 * static_cast<int64_t>(i % 3)));
    const auto want = eager_answers(*eager, reqs);

    BatcherParams bp;
    bp.engine = small_params();
    bp.block_size = 4;          // prompts span many blocks, decodes cross block edges
    bp.max_prefill_tokens = 7;  // chunked prefill: the longer prompts take several steps
    auto b = batcher_or_die(bp);
    const auto got = run_all(*b, reqs);
    for (size_t i = 0; i < reqs.size(); ++i) {
        SCOPED_TRACE("request " + std::to_string(i));
        EXPECT_EQ(got[i].ids, want[i]);
        EXPECT_TRUE(got[i].ordered);
        EXPECT_EQ(got[i].final_event.finish_reason, "length");
        EXPECT_EQ(got[i].final_event.prompt_tokens, lens[i]);
        EXPECT_EQ(got[i].final_event.completion_tokens, static_cast<int64_t>(want[i].size()));
        EXPECT_GT(got[i].final_event.ttft_seconds, 0);
        EXPECT_GE(got[i].final_event.total_seconds, got[i].final_event.ttft_seconds);
    }
    // One at a time: the same answers.
    for (size_t i = 0; i < reqs.size(); i += 3)
        EXPECT_EQ(run_all(*b, {reqs[i]})[0].ids, want[i]) << "request " << i;
    const auto s = settled(*b);
    EXPECT_EQ(s.kv_blocks_used, 0) << "finished sequences hold no blocks";
    EXPECT_GT(s.steps, 0);
    EXPECT_EQ(s.requests_finished, static_cast<int64_t>(reqs.size()) + 3);
}

TEST(Batcher, AdaptersMixedInOneBatch) {
    const std::string a = make_adapter("a", {"q_proj", "v_proj", "o_proj", "down_proj"}, 4, 5);
    const std::string c = make_adapter("c", {"k_proj", "gate_proj", "up_proj"}, 8, 6);
    auto eager = eager_or_die(small_params());
    ASSERT_TRUE(eager->load_adapter("a", a).ok());
    ASSERT_TRUE(eager->load_adapter("c", c).ok());
    std::vector<Request> reqs;
    const char* names[] = {"", "a", "c", "a", "", "c"};
    for (int i = 0; i < 6; ++i) reqs.push_back(greedy(prompt(9 + 5 * i, i % 2), 8, names[i]));
    // The same prompt under three adapters: different answers (the adapters are not no-ops).
    reqs.push_back(greedy(prompt(12, 9), 8, "a"));
    reqs.push_back(greedy(prompt(12, 9), 8, "c"));
    reqs.push_back(greedy(prompt(12, 9), 8, ""));
    const auto want = eager_answers(*eager, reqs);
    EXPECT_NE(want[6], want[8]);
    EXPECT_NE(want[7], want[8]);

    BatcherParams bp;
    bp.engine = small_params();
    bp.adapters = {{"a", a}, {"c", c}};
    bp.block_size = 8;
    bp.max_prefill_tokens = 16;
    auto b = batcher_or_die(bp);
    EXPECT_EQ(b->model_names(), (std::vector<std::string>{"random", "a", "c"}));
    EXPECT_EQ(b->adapter_for_model("c").value(), "c");
    EXPECT_EQ(b->adapter_for_model("random").value(), "");
    EXPECT_FALSE(b->adapter_for_model("zzz").ok());
    const auto got = run_all(*b, reqs);
    for (size_t i = 0; i < reqs.size(); ++i)
        EXPECT_EQ(got[i].ids, want[i]) << "request " << i << " adapter '" << reqs[i].adapter << "'";
}

TEST(Batcher, PrefixSharingPrefillsTheSharedPrefixOnce) {
    auto eager = eager_or_die(small_params());
    // A 24-token "system prompt" and different questions after it.
    const auto system = prompt(24, 42);
    std::vector<Request> reqs;
    for (int i = 0; i < 5; ++i) {
        auto p = system;
        const auto q = prompt(3 + i, 100 + i);
        p.insert(p.end(), q.begin() + 1, q.end());
        reqs.push_back(greedy(p, 7));
    }
    const auto want = eager_answers(*eager, reqs);
    BatcherParams bp;
    bp.engine = small_params();
    bp.block_size = 4;
    auto b = batcher_or_die(bp);
    // The first one alone registers the prefix blocks, the others reuse them (6 full blocks).
    EXPECT_EQ(run_all(*b, {reqs[0]})[0].ids, want[0]);
    auto s0 = settled(*b);
    EXPECT_GE(s0.prefix_blocks_cached, 6);
    EXPECT_EQ(s0.prefix_tokens_reused, 0);
    const auto got = run_all(*b, {reqs.begin() + 1, reqs.end()});
    for (size_t i = 1; i < reqs.size(); ++i) EXPECT_EQ(got[i - 1].ids, want[i]) << i;
    auto s1 = settled(*b);
    EXPECT_EQ(s1.prefix_tokens_reused, 4 * 24) << "24 shared tokens = 6 blocks, four times";
    EXPECT_EQ(s1.kv_blocks_used, 0);
    // Without prefix caching: the same answers, nothing reused.
    BatcherParams off = bp;
    off.prefix_caching = false;
    auto plain = batcher_or_die(off);
    const auto got_off = run_all(*plain, reqs);
    for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(got_off[i].ids, want[i]) << i;
    EXPECT_EQ(settled(*plain).prefix_tokens_reused, 0);
}

TEST(Batcher, PreemptionWhenThePoolRunsOut) {
    auto eager = eager_or_die(small_params());
    std::vector<Request> reqs;
    for (int i = 0; i < 6; ++i) reqs.push_back(greedy(prompt(10 + i, 200 + i), 24));
    const auto want = eager_answers(*eager, reqs);
    BatcherParams bp;
    bp.engine = small_params();
    bp.block_size = 4;
    // 24 blocks = 96 tokens: two or three of the six (10-15 + 24 tokens each) at a time.
    bp.kv_cache_bytes =
        24 * tb::serve::PagedModel::block_bytes(small_shape(), bp.block_size, at::kFloat);
    auto b = batcher_or_die(bp);
    EXPECT_EQ(b->kv_blocks(), 24);
    const auto got = run_all(*b, reqs);
    for (size_t i = 0; i < reqs.size(); ++i) {
        EXPECT_EQ(got[i].ids, want[i]) << "request " << i;
        EXPECT_TRUE(got[i].ordered) << "request " << i << ": a preempted request streams on";
    }
    const auto s = settled(*b);
    EXPECT_GT(s.preemptions, 0) << "the pool was meant to run out";
    EXPECT_EQ(s.kv_blocks_used, 0);
    // A request that cannot fit even alone is refused up front, naming the pool.
    auto r = b->submit(greedy(prompt(50, 1), 60), {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("KV blocks"), std::string::npos) << r.error().message;
}

TEST(Batcher, SamplingIsPerRequestAndEqualsTheCore) {
    auto eager = eager_or_die(small_params());
    std::vector<Request> reqs;
    for (int i = 0; i < 4; ++i) {
        Request r = greedy(prompt(6 + i, 300 + i), 10);
        r.sampling.greedy = i == 3;
        r.sampling.temperature = 1.3;
        r.sampling.top_k = 40;
        r.sampling.top_p = 0.9;
        r.sampling.repetition_penalty = i == 3 ? 1.4 : 1.0;
        r.sampling.seed = 17 + static_cast<uint64_t>(i);
        reqs.push_back(r);
    }
    const auto want = eager_answers(*eager, reqs);
    BatcherParams bp;
    bp.engine = small_params();
    auto b = batcher_or_die(bp);
    const auto got = run_all(*b, reqs);
    for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(got[i].ids, want[i]) << "request " << i;
}

TEST(Batcher, TextStopStringsAndTheEngineInterface) {
    auto eager = eager_or_die(small_params(true));
    Request r;
    r.prompt_text = "The capital of France is";
    r.max_new_tokens = 24;
    auto full = eager->generate({r});
    ASSERT_TRUE(full.ok()) << full.error().message;
    const Completion& c = full.value()[0];
    ASSERT_GE(c.text.size(), 6u);
    // A stop string taken from the middle of the eager text.
    Request s = r;
    s.stop = {c.text.substr(c.text.size() / 2, 2)};
    auto stopped = eager->generate({s});
    ASSERT_TRUE(stopped.ok());

    BatcherParams bp;
    bp.engine = small_params(true);
    auto b = batcher_or_die(bp);
    const auto got = run_all(*b, {r, s});
    EXPECT_EQ(got[0].ids, c.ids);
    EXPECT_EQ(got[0].text, c.text) << "streamed text = the core's decoded text";
    EXPECT_EQ(got[0].final_event.finish_reason, c.finish_reason);
    EXPECT_EQ(got[1].ids, stopped.value()[0].ids);
    EXPECT_EQ(got[1].final_event.finish_reason, stopped.value()[0].finish_reason);
    EXPECT_EQ(got[0].final_event.prompt_tokens, static_cast<int64_t>(b->check(r).value().size()));

    // The paged engine behind InferenceEngine (generate --engine paged, bench infer): the
    // same completions, times and streamed events as eager.
    EngineParams pp = small_params(true);
    pp.engine = "paged";
    auto paged = eager_or_die(pp);
    std::vector<TokenEvent> events;
    GenerateOptions o;
    o.on_token = [&](const TokenEvent& e) { events.push_back(e); };
    auto both = paged->generate({r, s}, o);
    ASSERT_TRUE(both.ok()) << both.error().message;
    EXPECT_EQ(both.value()[0].ids, c.ids);
    EXPECT_EQ(both.value()[0].text, c.text);
    EXPECT_EQ(both.value()[1].finish_reason, stopped.value()[0].finish_reason);
    EXPECT_EQ(both.value()[0].token_seconds.size(), c.ids.size());
    EXPECT_EQ(events.size(), both.value()[0].ids.size() + both.value()[1].ids.size());
    const auto avail = available_engines();
    EXPECT_NE(std::find(avail.begin(), avail.end(), "paged"), avail.end());
}

TEST(Batcher, CancelFreesBlocksAtOnce) {
    BatcherParams bp;
    bp.engine = small_params();
    bp.block_size = 4;
    bp.prefix_caching = false;
    auto b = batcher_or_die(bp);
    std::vector<Request> reqs = {greedy(prompt(20, 1), 300), greedy(prompt(7, 2), 8)};
    const uint64_t first = 1;  // a fresh Batcher numbers requests from 1, in submit order
    const auto got = run_all(*b, reqs, [&](Batcher& bb, const StreamEvent& e) {
        // Called on the scheduler thread: cancel() is allowed from a callback.
        if (e.request_id == first && !e.finished && e.index == 3) bb.cancel(e.request_id);
    });
    EXPECT_EQ(got[0].final_event.finish_reason, "cancelled");
    EXPECT_LE(got[0].ids.size(), 5u) << "cancelled before the next step";
    EXPECT_EQ(got[1].final_event.finish_reason, "length");
    EXPECT_EQ(got[1].ids.size(), 8u);
    const auto s = settled(*b);
    EXPECT_EQ(s.kv_blocks_used, 0);
    b->cancel(first);      // finished: no-op
    b->cancel(987654321);  // unknown: no-op
}

TEST(Batcher, StopIsGraceful) {
    BatcherParams bp;
    bp.engine = small_params();
    auto b = batcher_or_die(bp);
    std::mutex mu;
    std::vector<StreamEvent> finals;
    auto on = [&](const StreamEvent& e) {
        if (!e.finished) return;
        std::lock_guard<std::mutex> lk(mu);
        finals.push_back(e);
    };
    ASSERT_TRUE(b->submit(greedy(prompt(5, 1), 12), on).ok());
    ASSERT_TRUE(b->submit(greedy(prompt(9, 2), 10), on).ok());
    b->stop(60);  // running ones finish
    ASSERT_EQ(finals.size(), 2u);
    for (const auto& f : finals) EXPECT_EQ(f.finish_reason, "length");
    auto late = b->submit(greedy(prompt(5, 1), 4), on);
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.error().message.find("stopping"), std::string::npos);
    b->stop(0);  // idempotent

    // Grace 0: running requests are cancelled, each with its one final event.
    auto c = batcher_or_die(bp);
    finals.clear();
    ASSERT_TRUE(c->submit(greedy(prompt(5, 1), 400), on).ok());
    ASSERT_TRUE(c->submit(greedy(prompt(6, 1), 400), on).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c->stop(0);
    ASSERT_EQ(finals.size(), 2u);
    for (const auto& f : finals) EXPECT_EQ(f.finish_reason, "cancelled");
}

TEST(Batcher, ValidationErrorsAreTheCores) {
    auto eager = eager_or_die(small_params());
    BatcherParams bp;
    bp.engine = small_params();
    bp.max_model_len = 64;
    auto b = batcher_or_die(bp);
    std::vector<Request> bad;
    Request r = greedy({1, 5}, 4);
    r.min_new_tokens = 9;
    bad.push_back(r);
    bad.push_back(greedy({1, 32000}, 4));  // outside the vocabulary
    r = greedy({1, 5}, 4);
    r.adapter = "nope";
    bad.push_back(r);
    bad.push_back(greedy({1, 5}, 600));  // beyond max_position_embeddings
    bad.push_back(Request());            // no prompt
    r = greedy({1, 5}, 4);
    r.stop = {"x"};  // no tokenizer
    bad.push_back(r);
    r = greedy({1, 5}, 4);
    r.sampling.greedy = false;
    r.sampling.temperature = 0;
    bad.push_back(r);
    r = greedy({1, 5}, 0);
    r.min_new_tokens = 0;
    bad.push_back(r);
    for (size_t i = 0; i < bad.size(); ++i) {
        SCOPED_TRACE("case " + std::to_string(i));
        auto e = eager->generate({bad[i]});
        auto s = b->submit(bad[i], {});
        ASSERT_FALSE(e.ok());
        ASSERT_FALSE(s.ok());
        std::string em = e.error().message, sm = s.error().message;
        // The core names the request by index ("request 0: ..."), the Batcher as "request".
        if (em.rfind("request 0: ", 0) == 0) em = "request: " + em.substr(11);
        EXPECT_EQ(sm, em);
    }
    // The Batcher's own bound: prompt + max_new_tokens within max_model_len.
    auto over = b->submit(greedy(prompt(40, 1), 30), {});
    ASSERT_FALSE(over.ok());
    EXPECT_NE(over.error().message.find("max_model_len (64)"), std::string::npos)
        << over.error().message;
    // Bad parameters name the field.
    BatcherParams wrong = bp;
    wrong.block_size = 0;
    auto w = Batcher::start(wrong);
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.error().message.find("block_size"), std::string::npos);
    wrong = bp;
    wrong.kv_cache_bytes = 100;  // not one block
    w = Batcher::start(wrong);
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.error().message.find("no room for one KV block"), std::string::npos)
        << w.error().message;
    wrong = bp;
    wrong.adapters = {{"x", "/nonexistent/adapter"}};
    w = Batcher::start(wrong);
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.error().message.find("adapter x"), std::string::npos) << w.error().message;
}

}  // namespace
