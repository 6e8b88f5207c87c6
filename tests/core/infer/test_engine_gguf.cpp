// GGUF files in the inference core (core/infer/gguf_model_loader.h, engine_load.cpp, the quant
// engine), fp32 on the CPU, with a small random Llama (GQA, untied head) exported by core/gguf:
// - F16 (the source is fp16-exact, so the file is lossless): the quant engine and the eager
//   engine on the file give the source model's greedy tokens exactly (eager engine, HF folder);
// - Q8_0 and Q4_K_M: the quant engine keeps the projections and the head packed as the file
//   stores them (weight_bytes = the file's quantised bytes + the dense fp32 rest); on Q4_K_M
//   with the exact K-quant kernel (TB_KQ_KERNEL=exact) it gives the greedy tokens of the same
//   file loaded dense (dequantised, eager engine) exactly - the file's model up to fp32
//   summation order; the default kernels round the activation (Q8_K for K-quants, Q8_0 for
//   Q8_0: ggml's int8 dots), so there the margin argument below applies against the dense
//   load. Agreement with the
//   source model is reported and bounded: a logit error of at most delta cannot change an
//   argmax whose top-2 margin exceeds 2 delta; delta is measured on calibration sequences and
//   every held-out position with a margin above 2 delta must agree (teacher-forced);
// - tokenizer and chat template from the GGUF metadata equal the source tokenizer's;
// - a PEFT adapter on a GGUF base (no merging): F16 gives the source + adapter's tokens;
// - malformed files: wrong architecture, missing key, unsupported tensor type, an adapter file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/gguf/gguf_file.h"
#include "core/gguf/gguf_llama.h"
#include "core/infer/gguf_model_loader.h"
#include "core/infer/inference.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb;
using namespace tb::infer;

namespace {

std::string llama2_tokenizer() { return tbtest::shared_dir() + "/data/llama2-tokenizer.model"; }

LlamaConfig small_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 256;
    c.intermediate_size = 512;
    c.num_hidden_layers = 3;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 64;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 512;
    c.eos_token_ids = {2};
    return c;
}

const char* const kProj[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                             "gate_proj", "up_proj", "down_proj"};

// Random weights rounded to fp16 (F16 lossless), norms perturbed (so a wrong norm shows).
LlamaModel fp16_exact_model() {
    LoadOptions lo;
    LlamaModel m = init_llama(small_shape(), 21, 0.08, lo);
    at::manual_seed(3);
    auto r16 = [](at::Tensor& t) { t.copy_(t.to(at::kHalf).to(at::kFloat)); };
    for (auto& l : m.layers) {
        l.input_norm.add_(at::randn_like(l.input_norm) * 0.1);
        l.post_norm.add_(at::randn_like(l.post_norm) * 0.1);
        r16(l.input_norm);
        r16(l.post_norm);
        for (const char* p : kProj) r16(l.projection(p)->weight);
    }
    m.final_norm.add_(at::randn_like(m.final_norm) * 0.1);
    r16(m.final_norm);
    r16(m.embed_tokens);
    r16(m.lm_head);
    return m;
}

const std::string kTemplate =
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + "
    "message['content'] + eos_token }}{% elif message['role'] == 'assistant' %}{{ "
    "'<|assistant|>\\n' + message['content'] + eos_token }}{% endif %}{% if loop.last and "
    "add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}{% endfor %}";

struct Files {
    LlamaModel model;
    std::string dir, hf, tok_dir, adapter, f16, q8, q4;
};

Files* g_files = nullptr;

const Files& files() {
    if (g_files) return *g_files;
    auto* f = new Files;
    f->dir = tbtest::scratch_dir("engine_gguf");
    f->model = fp16_exact_model();
    f->hf = f->dir + "/hf";
    EXPECT_TRUE(save_llama_model(f->model, f->hf, at::kFloat).ok());
    // A tokenizer folder with a chat template, as an HF model folder has.
    f->tok_dir = f->dir + "/tok";
    fs::create_directories(f->tok_dir);
    fs::create_symlink(llama2_tokenizer(), fs::path(f->tok_dir) / "tokenizer.model");
    {
        std::string esc;
        for (char c : kTemplate) {
            if (c == '"' || c == '\\') esc += '\\';
            esc += c;
        }
        std::ofstream(f->tok_dir + "/tokenizer_config.json")
            << "{\"add_bos_token\": true, \"add_eos_token\": false, \"bos_token\": \"<s>\", "
               "\"eos_token\": \"</s>\", \"unk_token\": \"<unk>\", \"legacy\": false, "
               "\"chat_template\": \""
            << esc << "\"}";
    }
    auto write = [&](gguf::FileType ft, const std::string& name) {
        gguf::LlamaGgufOptions o;
        o.file_type = ft;
        o.name = "small";
        o.tokenizer_dir = f->tok_dir;
        const std::string path = f->dir + "/" + name;
        auto r = gguf::write_llama_gguf(f->model, path, o);
        EXPECT_TRUE(r.ok()) << r.error().message;
        return path;
    };
    f->f16 = write(gguf::FileType::MOSTLY_F16, "small-f16.gguf");
    f->q8 = write(gguf::FileType::MOSTLY_Q8_0, "small-q8_0.gguf");
    f->q4 = write(gguf::FileType::MOSTLY_Q4_K_M, "small-q4_k_m.gguf");
    // A PEFT adapter for the source model (q, k, v, o and down projections).
    LlamaModel with = fp16_exact_model();
    LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "down_proj"};
    at::manual_seed(17);
    for (auto& l : with.layers)
        for (const auto& name : s.target_modules) {
            LoraLinear* p = l.projection(name);
            p->lora.A = at::randn({s.r, p->in_features()}) * 0.3;
            p->lora.B = at::randn({p->out_features(), s.r}) * 0.3;
            p->lora.scale = lora_scale(s, s.r, s.alpha);
        }
    f->adapter = f->dir + "/adapter";
    EXPECT_TRUE(save_peft_adapter(with, s, f->adapter).ok());
    g_files = f;
    return *f;
}

std::vector<std::vector<int64_t>> prompts() {
    std::vector<std::vector<int64_t>> p;
    at::manual_seed(99);
    for (int i = 0; i < 4; ++i) {
        at::Tensor ids = at::randint(3, 32000, {6 + 2 * i}, at::kLong);
        p.emplace_back(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
    }
    return p;
}

std::unique_ptr<InferenceEngine> engine(const std::string& kind, const std::string& model) {
    EngineParams ep;
    ep.engine = kind;
    ep.model_dir = model;
    ep.device = "cpu";
    ep.dtype = "fp32";
    auto e = InferenceEngine::load(ep);
    EXPECT_TRUE(e.ok()) << kind << " " << model << ": " << e.error().message;
    return e.ok() ? std::move(e).value() : nullptr;
}

constexpr int kNew = 16;

std::vector<std::vector<int64_t>> greedy(InferenceEngine& e, const std::string& adapter = "") {
    std::vector<Request> reqs;
    for (const auto& p : prompts()) {
        Request r;
        r.prompt_ids = p;
        r.max_new_tokens = kNew;
        r.min_new_tokens = kNew;  // no early EOS: every row is kNew long
        r.adapter = adapter;
        reqs.push_back(r);
    }
    auto out = e.generate(reqs, {});
    EXPECT_TRUE(out.ok()) << out.error().message;
    std::vector<std::vector<int64_t>> ids;
    if (out.ok())
        for (const auto& c : *out) ids.push_back(c.ids);
    return ids;
}

int matching(const std::vector<std::vector<int64_t>>& a,
             const std::vector<std::vector<int64_t>>& b) {
    int n = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        for (size_t j = 0; j < a[i].size() && j < b[i].size(); ++j) n += a[i][j] == b[i][j];
    return n;
}

// Teacher-forced logits [T, V] of a sequence, one token per forward over a KV cache (so that
// packed weights take their decode kernels, as in generation).
at::Tensor logits_of(const LlamaModel& m, const std::shared_ptr<const PackedBaseWeight>& head,
                     const std::vector<int64_t>& ids) {
    at::NoGradGuard ng;
    const auto T = static_cast<int64_t>(ids.size());
    const LlamaConfig& c = m.config;
    KvCache cache(c.num_hidden_layers, 1, c.num_key_value_heads, T, c.head_dim, m.dtype, m.device);
    std::vector<at::Tensor> rows;
    for (int64_t t = 0; t < T; ++t) {
        at::Tensor h = m.hidden_states(at::full({1, 1}, ids[static_cast<size_t>(t)], at::kLong),
                                       at::full({1, 1}, t, at::kLong), at::Tensor(), &cache);
        h = h.view({1, -1});
        rows.push_back(head ? head->linear(h, at::Tensor()) : at::linear(h, m.lm_head));
    }
    return at::cat(rows, 0);
}

}  // namespace

TEST(EngineGguf, F16IsTheSourceModel) {
    const Files& f = files();
    ASSERT_TRUE(is_gguf_file(f.f16));
    EXPECT_FALSE(is_gguf_file(f.hf));
    auto src = engine("eager", f.hf);
    auto quant = engine("quant", f.f16);
    auto eager = engine("eager", f.f16);
    ASSERT_TRUE(src && quant && eager);
    const auto want = greedy(*src);
    EXPECT_EQ(greedy(*quant), want);
    EXPECT_EQ(greedy(*eager), want);
    // The config comes from the metadata.
    const LlamaConfig& c = quant->config();
    EXPECT_EQ(c.num_key_value_heads, 2);
    EXPECT_EQ(c.head_dim, 64);
    EXPECT_EQ(c.vocab_size, 32000);
    EXPECT_FALSE(c.tie_word_embeddings);
    EXPECT_EQ(quant->eos_token_ids(), std::vector<int64_t>{2});
}

namespace {

// Teacher-forced agreement of model B with model A on A's greedy sequences, and the margin
// check: delta = max |logit_B - logit_A| over the calibration sequences (0, 1); on the held-out
// ones (2, 3) every position whose top-2 margin under A exceeds 2 delta must agree.
struct MarginCheck {
    int agree = 0, total = 0, covered = 0, covered_agree = 0;
    double delta = 0;
};

MarginCheck margin_check(const LlamaModel& a, const std::shared_ptr<const PackedBaseWeight>& ha,
                         const LlamaModel& b, const std::shared_ptr<const PackedBaseWeight>& hb,
                         const std::vector<std::vector<int64_t>>& continuation) {
    MarginCheck m;
    const auto ps = prompts();
    for (size_t i = 0; i < ps.size(); ++i) {
        std::vector<int64_t> seq = ps[i];
        seq.insert(seq.end(), continuation[i].begin(), continuation[i].end() - 1);
        const int64_t P = static_cast<int64_t>(ps[i].size());
        const at::Tensor la = logits_of(a, ha, seq).narrow(0, P - 1, kNew);
        const at::Tensor lb = logits_of(b, hb, seq).narrow(0, P - 1, kNew);
        const at::Tensor agree = la.argmax(-1).eq(lb.argmax(-1));
        m.agree += agree.sum().item<int>();
        m.total += kNew;
        if (i < 2) {
            m.delta = std::max(m.delta, (lb - la).abs().max().item<double>());
            continue;
        }
        const at::Tensor top2 = std::get<0>(la.topk(2, -1));
        const at::Tensor safe = (top2.select(1, 0) - top2.select(1, 1)) > 2 * m.delta;
        m.covered += safe.sum().item<int>();
        m.covered_agree += (safe & agree).sum().item<int>();
    }
    return m;
}

}  // namespace

TEST(EngineGguf, QuantisedFilesRunPackedAndAgree) {
    const Files& f = files();
    auto src = engine("eager", f.hf);
    ASSERT_TRUE(src);
    const auto want = greedy(*src);
    for (const std::string& path : {f.q8, f.q4}) {
        SCOPED_TRACE(path);
        const bool q8 = path == f.q8;
        auto quant = engine("quant", path);
        auto dense = engine("eager", path);
        ASSERT_TRUE(quant && dense);
        const auto got = greedy(*quant);
        const auto got_dense = greedy(*dense);
        GgufLoadOptions lo;
        lo.packed = true;
        auto g = load_gguf_model(path, lo);
        lo.packed = false;
        auto gd = load_gguf_model(path, lo);
        ASSERT_TRUE(g.ok() && gd.ok());
        if (q8) {
            // Q8_0's CPU decode quantises the activation to Q8_0 as well (ggml's int8 dot,
            // core/quant/q8_0.h), so it is the file's model up to that rounding: the margin
            // argument against the dequantised dense model (free-running greedy reported).
            const MarginCheck m = margin_check(gd->model, nullptr, g->model, g->head, got_dense);
            std::printf(
                "[ q8_0 packed vs dequantised dense ] free-running %d/%d, teacher-forced "
                "%d/%d, delta %.4f, held-out margin > 2 delta: %d, agreeing %d\n",
                matching(got, got_dense), m.total, m.agree, m.total, m.delta, m.covered,
                m.covered_agree);
            EXPECT_EQ(m.covered_agree, m.covered);
        } else {
            // Q4_K / Q6_K with the exact decode kernel (TB_KQ_KERNEL=exact, q4_k.h): the file's
            // model up to fp32 summation order, so the dequantised load's tokens exactly. The
            // default (Q8_K activation) kernel: the margin argument, as for Q8_0.
            ::setenv("TB_KQ_KERNEL", "exact", 1);
            EXPECT_EQ(greedy(*quant), got_dense);
            ::unsetenv("TB_KQ_KERNEL");
            const MarginCheck m = margin_check(gd->model, nullptr, g->model, g->head, got_dense);
            std::printf(
                "[ q4_k_m packed (Q8_K activations) vs dequantised dense ] free-running "
                "%d/%d, teacher-forced %d/%d, delta %.4f, held-out margin > 2 delta: "
                "%d, agreeing %d\n",
                matching(got, got_dense), m.total, m.agree, m.total, m.delta, m.covered,
                m.covered_agree);
            EXPECT_EQ(m.covered_agree, m.covered);
        }

        // Memory: the quantised tensors as the file holds them, the rest dense fp32.
        auto r = gguf::Reader::open(path);
        ASSERT_TRUE(r.ok());
        int64_t expect = 0;
        for (const auto& t : (*r)->tensors()) {
            const bool packed = t.type == gguf::GgmlType::Q8_0 || t.type == gguf::GgmlType::Q4_K ||
                                t.type == gguf::GgmlType::Q6_K;
            expect += packed && t.name != "token_embd.weight" ? t.n_bytes() : t.n_elements() * 4;
        }
        EXPECT_EQ(quant->load_report().weight_bytes, expect);

        // Agreement with the source model: reported, and bounded by the margin argument.
        const MarginCheck m = margin_check(f.model, nullptr, g->model, g->head, want);
        std::printf(
            "[ %s ] agreement with the source: free-running greedy %d/%d, teacher-forced "
            "%d/%d; delta %.4f, held-out positions with margin > 2 delta: %d, "
            "agreeing %d\n",
            fs::path(path).filename().c_str(), matching(got, want), m.total, m.agree, m.total,
            m.delta, m.covered, m.covered_agree);
        EXPECT_EQ(m.covered_agree, m.covered);
    }
}

TEST(EngineGguf, TokenizerAndChatTemplateFromMetadata) {
    const Files& f = files();
    auto from_gguf = load_gguf_tokenizer(f.f16);
    ASSERT_TRUE(from_gguf.ok()) << from_gguf.error().message;
    ASSERT_TRUE(from_gguf.value());
    auto ref = Tokenizer::load(f.tok_dir);
    ASSERT_TRUE(ref.ok());
    const Tokenizer& a = **from_gguf;
    const Tokenizer& b = **ref;
    EXPECT_EQ(a.vocab_size(), b.vocab_size());
    EXPECT_EQ(a.bos_id(), b.bos_id());
    EXPECT_EQ(a.eos_id(), b.eos_id());
    EXPECT_EQ(a.unk_id(), b.unk_id());
    for (const std::string text :
         {"Hello world", " leading space", "<s>special</s> inside", "multi  spaces\nand lines",
          "unicode: caf\xc3\xa9 \xe2\x82\xac 12345", "\xf0\x9f\x98\x80 bytes"}) {
        EXPECT_EQ(a.encode(text), b.encode(text)) << text;
        const auto ids = b.encode(text);
        EXPECT_EQ(a.decode(ids, true), b.decode(ids, true)) << text;
    }
    EXPECT_EQ(a.chat_template(), kTemplate);
    const std::vector<ChatMessage> msgs = {{"user", "Hi there"}};
    auto ca = a.encode_chat(msgs, true);
    auto cb = b.encode_chat(msgs, true);
    ASSERT_TRUE(ca.ok() && cb.ok());
    EXPECT_EQ(*ca, *cb);
    // Through the engine: chat messages encoded with the file's template, text decoded.
    auto quant = engine("quant", f.q8);
    ASSERT_TRUE(quant);
    ASSERT_TRUE(quant->tokenizer());
    Request r;
    r.messages = msgs;
    r.max_new_tokens = 4;
    auto enc = quant->encode(r);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(*enc, *cb);
}

TEST(EngineGguf, LoraAdapterOnGgufBase) {
    const Files& f = files();
    auto src = engine("eager", f.hf);
    auto quant = engine("quant", f.f16);
    auto q4 = engine("quant", f.q4);
    ASSERT_TRUE(src && quant && q4);
    for (auto* e : {src.get(), quant.get(), q4.get()})
        ASSERT_TRUE(e->load_adapter("a", f.adapter).ok());
    const auto want = greedy(*src, "a");
    EXPECT_NE(want, greedy(*src));  // the adapter changes the tokens
    EXPECT_EQ(greedy(*quant, "a"), want);
    const auto q4a = greedy(*q4, "a");
    std::printf("[ q4_k_m + adapter ] agreement with source + adapter: %d/%d\n",
                matching(q4a, want), static_cast<int>(want.size()) * kNew);
    EXPECT_NE(q4a, greedy(*q4));  // the branches are attached to the packed base
}

namespace {

// A metadata-only Llama GGUF (a token_embd tensor) with `edit` applied to the writer.
// `omit`: a key left out.
std::string meta_file(const std::string& name, const std::function<void(gguf::Writer&)>& edit,
                      const std::string& omit = "") {
    const std::string path = tbtest::scratch_dir("engine_gguf_bad_" + name) + "/m.gguf";
    gguf::Writer w;
    auto set = [&](const std::string& k, gguf::Value v) {
        if (k != omit) w.set(k, std::move(v));
    };
    set("general.architecture", gguf::Value::str("llama"));
    set("llama.block_count", gguf::Value::u32(1));
    set("llama.context_length", gguf::Value::u32(64));
    set("llama.embedding_length", gguf::Value::u32(32));
    set("llama.feed_forward_length", gguf::Value::u32(64));
    set("llama.attention.head_count", gguf::Value::u32(2));
    set("llama.attention.layer_norm_rms_epsilon", gguf::Value::f32(1e-5f));
    edit(w);
    w.add_tensor("token_embd.weight", {32, 8}, gguf::GgmlType::F32);
    EXPECT_TRUE(w.begin(path).ok());
    std::vector<float> z(32 * 8, 0.0f);
    EXPECT_TRUE(w.write_tensor(z.data(), z.size() * 4).ok());
    EXPECT_TRUE(w.finish().ok());
    return path;
}

std::string load_error(const std::string& path) {
    auto e = InferenceEngine::load([&] {
        EngineParams ep;
        ep.engine = "quant";
        ep.model_dir = path;
        ep.device = "cpu";
        return ep;
    }());
    return e.ok() ? "" : e.error().message;
}

}  // namespace

TEST(EngineGguf, MalformedFilesGiveClearErrors) {
    // Wrong architecture.
    std::string err = load_error(meta_file(
        "arch", [](gguf::Writer& w) { w.set("general.architecture", gguf::Value::str("gpt2")); }));
    EXPECT_NE(err.find("general.architecture"), std::string::npos) << err;
    EXPECT_NE(err.find("gpt2"), std::string::npos) << err;
    // A missing required key, and invalid ones.
    err = load_error(meta_file(
        "missing", [](gguf::Writer&) {}, "llama.feed_forward_length"));
    EXPECT_NE(err.find("llama.feed_forward_length"), std::string::npos) << err;
    EXPECT_NE(err.find("missing"), std::string::npos) << err;
    err = load_error(meta_file(
        "invalid", [](gguf::Writer& w) { w.set("llama.block_count", gguf::Value::str("three")); }));
    EXPECT_NE(err.find("llama.block_count"), std::string::npos) << err;
    auto cfg = read_gguf_llama_config(meta_file(
        "zero", [](gguf::Writer& w) { w.set("llama.attention.head_count", gguf::Value::u32(0)); }));
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("llama.attention.head_count"), std::string::npos);
    // Tensors the metadata promises but the file lacks.
    err = load_error(meta_file("tensors", [](gguf::Writer&) {}));
    EXPECT_NE(err.find("blk.0.attn_norm.weight"), std::string::npos) << err;
    // An unsupported tensor type (ggml type 2, Q4_0): patched into the tensor table.
    const std::string path = meta_file("type", [](gguf::Writer&) {});
    {
        std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(io)), std::istreambuf_iterator<char>());
        const size_t at = bytes.find("token_embd.weight");
        ASSERT_NE(at, std::string::npos);
        // name, u32 n_dims = 2, u64 ne[2], then u32 type.
        const size_t type_at = at + std::strlen("token_embd.weight") + 4 + 16;
        uint32_t t = 2;
        io.seekp(static_cast<std::streamoff>(type_at));
        io.write(reinterpret_cast<const char*>(&t), 4);
    }
    err = load_error(path);
    EXPECT_NE(err.find("token_embd.weight"), std::string::npos) << err;
    EXPECT_NE(err.find("type"), std::string::npos) << err;
    // A LoRA adapter file given as the model.
    err = load_error(meta_file(
        "adapter", [](gguf::Writer& w) { w.set("general.type", gguf::Value::str("adapter")); }));
    EXPECT_NE(err.find("general.type"), std::string::npos) << err;
}
