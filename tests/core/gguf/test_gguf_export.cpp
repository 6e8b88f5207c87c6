// Llama export to GGUF (core/gguf/gguf_llama.h, export.h) checked inside tunebench:
// - metadata (general.*, llama.*, tokenizer from the real Llama-2 tokenizer.model) and the
//   tensor table (names, ggml dims, types per file type, Q4_K_M's Q6_K picks, tied output);
// - the Q/K permutation is convert_hf_to_gguf.py's (checked on a hand-made 2-head example) and
//   undone on reading;
// - an F16 export read back and run through tunebench's own forward gives exactly the source
//   model's greedy tokens (the source is fp16-exact, so nothing is lost);
// - every file type reads back within its format's error of the source weights;
// - LoRA adapters as GGUF (names, dims, alpha, rsLoRA folded into lora_b);
// - run_export end to end: merged GGUF, gguf-lora, hf, the Modelfile (Go template equal to the
//   Jinja rendering), the ollama create line, cancellation, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/common/file_io.h"
#include "core/gguf/export.h"
#include "core/gguf/gguf_llama.h"
#include "core/gguf/ollama_modelfile.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb;
using namespace tb::gguf;

namespace {

std::string llama2_tokenizer() { return tbtest::shared_dir() + "/data/llama2-tokenizer.model"; }

LlamaConfig small_shape(bool tied = false) {
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
    c.tie_word_embeddings = tied;
    c.eos_token_ids = {2};
    return c;
}

// Random weights rounded to fp16 (so F16 is lossless), norms perturbed.
LlamaModel fp16_exact_model(bool tied = false) {
    LoadOptions lo;
    LlamaModel m = init_llama(small_shape(tied), 21, 0.08, lo);
    at::manual_seed(3);
    auto r16 = [](at::Tensor& t) { t.copy_(t.to(at::kHalf).to(at::kFloat)); };
    for (auto& l : m.layers) {
        l.input_norm.add_(at::randn_like(l.input_norm) * 0.1);
        l.post_norm.add_(at::randn_like(l.post_norm) * 0.1);
        r16(l.input_norm);
        r16(l.post_norm);
        for (const char* p :
             {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}) {
            r16(l.projection(p)->weight);
        }
    }
    m.final_norm.add_(at::randn_like(m.final_norm) * 0.1);
    r16(m.final_norm);
    r16(m.embed_tokens);
    if (!tied) r16(m.lm_head);
    return m;
}

std::vector<int64_t> greedy(const LlamaModel& m, std::vector<int64_t> ids, int n) {
    at::NoGradGuard ng;
    std::vector<int64_t> out;
    for (int s = 0; s < n; ++s) {
        const auto T = static_cast<int64_t>(ids.size());
        at::Tensor logits = m.forward(at::tensor(ids, at::kLong).view({1, T}),
                                      at::arange(T, at::kLong).view({1, T}), at::Tensor(), nullptr);
        out.push_back(logits[0][T - 1].argmax().item<int64_t>());
        ids.push_back(out.back());
    }
    return out;
}

std::string write(const LlamaModel& m, FileType ft, const std::string& path) {
    LlamaGgufOptions o;
    o.file_type = ft;
    o.name = "small";
    o.tokenizer_dir = llama2_tokenizer();
    auto r = write_llama_gguf(m, path, o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return path;
}

// An HF model folder: fp16 safetensors, the Llama-2 tokenizer (symlinked, not copied), a
// TinyLlama (Zephyr) chat template, generation_config.json.
std::string model_folder(const std::string& dir, const LlamaModel& m) {
    EXPECT_TRUE(save_llama_model(m, dir, at::kHalf).ok());
    fs::create_symlink(llama2_tokenizer(), fs::path(dir) / "tokenizer.model");
    const std::string tpl =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + "
        "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ "
        "'<|system|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == "
        "'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif "
        "%}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% "
        "endfor %}";
    std::string cfg =
        "{\"add_bos_token\": true, \"add_eos_token\": false, \"bos_token\": \"<s>\", "
        "\"eos_token\": \"</s>\", \"unk_token\": \"<unk>\", \"pad_token\": \"</s>\", "
        "\"legacy\": false, \"tokenizer_class\": \"LlamaTokenizer\", \"chat_template\": ";
    std::string esc = "\"";
    for (char c : tpl) {
        if (c == '\n')
            esc += "\\n";
        else if (c == '"' || c == '\\') {
            esc += '\\';
            esc += c;
        } else
            esc += c;
    }
    cfg += esc + "\"}";
    EXPECT_TRUE(write_file_atomic(dir + "/tokenizer_config.json", cfg).ok());
    EXPECT_TRUE(
        write_file_atomic(dir + "/generation_config.json",
                          "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"temperature\": 0.7, "
                          "\"top_p\": 0.9, \"max_new_tokens\": 256, \"do_sample\": true}")
            .ok());
    return dir;
}

LoraSettings adapter_on(LlamaModel& m, bool rslora = false) {
    LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.use_rslora = rslora;
    s.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "down_proj"};
    at::manual_seed(17);
    for (auto& l : m.layers) {
        for (const auto& name : s.target_modules) {
            LoraLinear* p = l.projection(name);
            p->lora.A = at::randn({s.r, p->in_features()}) * 0.2;
            p->lora.B = at::randn({p->out_features(), s.r}) * 0.2;
            p->lora.scale = lora_scale(s, s.r, s.alpha);
        }
    }
    return s;
}

}  // namespace

TEST(GgufExport, PermutationIsConvertHfToGguf) {
    // 2 heads of head_dim 4, one column: HF rows per head [x0 x1 | y0 y1] (rotate-half pairs
    // (x_i, y_i)) become GGML's interleaved [x0 y0 x1 y1].
    at::Tensor w = at::arange(8, at::kFloat).view({8, 1});
    at::Tensor p = permute_qk(w, 2, 2);
    EXPECT_TRUE(at::equal(p.view({8}), at::tensor({0, 2, 1, 3, 4, 6, 5, 7}, at::kFloat)));
    EXPECT_TRUE(at::equal(unpermute_qk(p, 2, 2), w));
    // GQA: K uses n_head_kv.
    at::Tensor k = at::randn({2 * 64, 8});
    EXPECT_TRUE(at::equal(unpermute_qk(permute_qk(k, 4, 2), 4, 2), k));
}

TEST(GgufExport, MetadataAndTensorTable) {
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string dir = tbtest::scratch_dir("gguf_export_meta");
    const LlamaModel m = fp16_exact_model();
    auto r = Reader::open(write(m, FileType::MOSTLY_Q4_K_M, dir + "/m.gguf"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Reader& g = *r.value();
    EXPECT_EQ(g.get_string("general.architecture").value(), "llama");
    EXPECT_EQ(g.get_string("general.type").value(), "model");
    EXPECT_EQ(g.get_uint("general.file_type").value(), 15u);
    EXPECT_EQ(g.get_uint("general.alignment").value(), 32u);
    EXPECT_EQ(g.get_uint("llama.block_count").value(), 3u);
    EXPECT_EQ(g.get_uint("llama.embedding_length").value(), 256u);
    EXPECT_EQ(g.get_uint("llama.feed_forward_length").value(), 512u);
    EXPECT_EQ(g.get_uint("llama.attention.head_count").value(), 4u);
    EXPECT_EQ(g.get_uint("llama.attention.head_count_kv").value(), 2u);
    EXPECT_EQ(g.get_uint("llama.rope.dimension_count").value(), 64u);
    EXPECT_EQ(g.get_uint("llama.context_length").value(), 512u);
    EXPECT_FLOAT_EQ(
        static_cast<float>(g.get_float("llama.attention.layer_norm_rms_epsilon").value()), 1e-5f);
    EXPECT_EQ(g.get_float("llama.rope.freq_base").value(), 10000.0);
    // Tokenizer: the SentencePiece vocabulary with llama.cpp's token types.
    EXPECT_EQ(g.get_string("tokenizer.ggml.model").value(), "llama");
    const Value* toks = g.find("tokenizer.ggml.tokens");
    ASSERT_TRUE(toks);
    ASSERT_EQ(toks->strs.size(), 32000u);
    EXPECT_EQ(toks->strs[0], "<unk>");
    EXPECT_EQ(toks->strs[1], "<s>");
    EXPECT_EQ(toks->strs[3], "<0x00>");
    EXPECT_EQ(toks->strs[450], "\xe2\x96\x81The");
    const Value* types = g.find("tokenizer.ggml.token_type");
    ASSERT_EQ(types->nums.size(), 32000u);
    EXPECT_EQ(types->nums[0], 2);  // unknown
    EXPECT_EQ(types->nums[1], 3);  // control
    EXPECT_EQ(types->nums[2], 3);
    EXPECT_EQ(types->nums[3], 6);  // byte
    EXPECT_EQ(types->nums[258], 6);
    EXPECT_EQ(types->nums[259], 1);  // normal
    EXPECT_EQ(g.find("tokenizer.ggml.scores")->nums.size(), 32000u);
    EXPECT_EQ(g.get_uint("tokenizer.ggml.bos_token_id").value(), 1u);
    EXPECT_EQ(g.get_uint("tokenizer.ggml.eos_token_id").value(), 2u);
    EXPECT_EQ(g.get_uint("tokenizer.ggml.unknown_token_id").value(), 0u);
    EXPECT_TRUE(g.get_bool("tokenizer.ggml.add_bos_token").value());
    // Tensors: 2 + 9 per layer + output, ggml dims, Q4_K_M types (3 layers: use_more_bits is
    // i < 0 || i >= 2 || (i - 0) % 3 == 2 -> layer 2 only).
    EXPECT_EQ(g.tensors().size(), 3u + 9u * 3u);
    auto type_of = [&](const std::string& n) { return g.tensor(n)->type; };
    EXPECT_EQ(g.tensor("token_embd.weight")->ne, (std::vector<int64_t>{256, 32000}));
    EXPECT_EQ(g.tensor("blk.0.attn_k.weight")->ne, (std::vector<int64_t>{256, 128}));
    EXPECT_EQ(g.tensor("blk.0.ffn_down.weight")->ne, (std::vector<int64_t>{512, 256}));
    EXPECT_EQ(g.tensor("output_norm.weight")->ne, (std::vector<int64_t>{256}));
    EXPECT_EQ(type_of("token_embd.weight"), GgmlType::Q4_K);
    EXPECT_EQ(type_of("output.weight"), GgmlType::Q6_K);
    EXPECT_EQ(type_of("blk.0.attn_norm.weight"), GgmlType::F32);
    EXPECT_EQ(type_of("blk.0.attn_v.weight"), GgmlType::Q4_K);
    EXPECT_EQ(type_of("blk.2.attn_v.weight"), GgmlType::Q6_K);
    EXPECT_EQ(type_of("blk.1.ffn_down.weight"), GgmlType::Q4_K);
    EXPECT_EQ(type_of("blk.2.ffn_down.weight"), GgmlType::Q6_K);
    EXPECT_EQ(type_of("blk.1.attn_q.weight"), GgmlType::Q4_K);
    for (const auto& t : g.tensors()) EXPECT_EQ(t.offset % 32, 0u) << t.name;
    // Stored Q rows are the permuted HF rows.
    auto q = g.dequantize("blk.0.attn_q.weight");
    (void)q;
    auto f = Reader::open(write(m, FileType::ALL_F32, dir + "/f32.gguf"));
    ASSERT_TRUE(f.ok());
    auto qf = f.value()->dequantize("blk.1.attn_q.weight").value();
    const at::Tensor want = permute_qk(m.layers[1].q_proj.weight, 4, 4);
    EXPECT_TRUE(at::equal(at::from_blob(qf.data(), {256, 256}, at::kFloat), want));
}

TEST(GgufExport, TiedEmbeddingsHaveNoOutputTensor) {
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string dir = tbtest::scratch_dir("gguf_export_tied");
    const LlamaModel m = fp16_exact_model(true);
    const std::string path = write(m, FileType::MOSTLY_Q4_K_M, dir + "/t.gguf");
    auto r = Reader::open(path);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value()->tensor("output.weight"), nullptr);
    EXPECT_EQ(r.value()->tensor("token_embd.weight")->type, GgmlType::Q6_K);  // takes output's type
    auto back = load_llama_gguf(write(m, FileType::MOSTLY_F16, dir + "/t16.gguf"));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back.value().config.tie_word_embeddings);
    EXPECT_EQ(greedy(back.value(), {1, 450, 4996}, 8), greedy(m, {1, 450, 4996}, 8));
}

TEST(GgufExport, F16ReadBackGivesTheSourceGreedyTokens) {
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string dir = tbtest::scratch_dir("gguf_export_f16");
    const LlamaModel m = fp16_exact_model();
    auto back = load_llama_gguf(write(m, FileType::MOSTLY_F16, dir + "/m.gguf"));
    ASSERT_TRUE(back.ok()) << back.error().message;
    // Every weight comes back bit for bit (fp16-exact source), so the forward is identical.
    EXPECT_TRUE(at::equal(back.value().layers[2].k_proj.weight, m.layers[2].k_proj.weight));
    EXPECT_TRUE(at::equal(back.value().lm_head, m.lm_head));
    const std::vector<int64_t> prompt = {1, 450, 4996, 17354, 1701};
    const auto want = greedy(m, prompt, 12);
    EXPECT_EQ(greedy(back.value(), prompt, 12), want);
    // BF16 and the quantised types read back within their formats' error.
    struct C {
        FileType ft;
        double rel;
    };
    // Relative RMS bounds: bf16 2^-9 (RNE, 8 bits); Q8_0 step amax/127 over a Gaussian block
    // (amax ~ 2.5 sigma): RMS step/sqrt(12) ~ 0.0057 sigma; Q4_K_M mostly 4-bit steps over the
    // sub-block range (~5 sigma / 15): ~0.1 sigma; allowances x2.
    for (const C c : {C{FileType::MOSTLY_BF16, std::ldexp(1.0, -8)},
                      C{FileType::MOSTLY_Q8_0, 0.012}, C{FileType::MOSTLY_Q4_K_M, 0.2}}) {
        SCOPED_TRACE(file_type_name(c.ft));
        auto q = load_llama_gguf(write(m, c.ft, dir + "/q.gguf"));
        ASSERT_TRUE(q.ok()) << q.error().message;
        const at::Tensor a = m.layers[0].gate_proj.weight, b = q.value().layers[0].gate_proj.weight;
        const double rel = ((a - b).pow(2).mean().sqrt() / a.pow(2).mean().sqrt()).item<double>();
        EXPECT_LT(rel, c.rel);
        EXPECT_GT(rel, 0.0);
    }
}

TEST(GgufExport, LoraAdapterAsGguf) {
    const std::string dir = tbtest::scratch_dir("gguf_export_lora");
    for (bool rslora : {false, true}) {
        SCOPED_TRACE(rslora ? "rslora" : "lora");
        LlamaModel m = fp16_exact_model();
        const LoraSettings s = adapter_on(m, rslora);
        const std::string path = dir + (rslora ? "/rs.gguf" : "/a.gguf");
        auto w = write_lora_gguf(m, s, path, "a");
        ASSERT_TRUE(w.ok()) << w.error().message;
        auto r = Reader::open(path);
        ASSERT_TRUE(r.ok()) << r.error().message;
        const Reader& g = *r.value();
        EXPECT_EQ(g.get_string("general.type").value(), "adapter");
        EXPECT_EQ(g.get_string("adapter.type").value(), "lora");
        EXPECT_EQ(g.get_float("adapter.lora.alpha").value(), 8.0);
        EXPECT_EQ(g.tensors().size(), 3u * 5u * 2u);
        EXPECT_EQ(g.tensor("blk.0.attn_q.weight.lora_a")->ne, (std::vector<int64_t>{256, 4}));
        EXPECT_EQ(g.tensor("blk.0.attn_k.weight.lora_b")->ne, (std::vector<int64_t>{4, 128}));
        EXPECT_EQ(g.tensor("blk.2.ffn_down.weight.lora_a")->ne, (std::vector<int64_t>{512, 4}));
        EXPECT_EQ(g.tensor("blk.0.ffn_gate.weight.lora_a"), nullptr);
        // llama.cpp applies (alpha / r) * B' A with B' as stored; that must be PEFT's delta,
        // with the Q/K row permutation.
        const auto& p = m.layers[1].k_proj;
        auto a = g.dequantize("blk.1.attn_k.weight.lora_a").value();
        auto b = g.dequantize("blk.1.attn_k.weight.lora_b").value();
        const at::Tensor A = at::from_blob(a.data(), {4, 256}, at::kFloat);
        const at::Tensor B = at::from_blob(b.data(), {128, 4}, at::kFloat);
        const at::Tensor got = at::matmul(B, A) * (8.0 / 4.0);
        const at::Tensor want = permute_qk(at::matmul(p.lora.B, p.lora.A) * p.lora.scale, 4, 2);
        EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-6));
    }
    LlamaModel plain = fp16_exact_model();
    auto none = write_lora_gguf(plain, LoraSettings{}, dir + "/none.gguf", "n");
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("no LoRA branches"), std::string::npos);
}

TEST(GgufExport, ModelfileTemplateEqualsTheJinjaRendering) {
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string dir =
        model_folder(tbtest::scratch_dir("gguf_export_modelfile") + "/m", fp16_exact_model());
    auto tok = Tokenizer::load(dir);
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    auto g = chat_template_to_go(*tok.value());
    ASSERT_TRUE(g.ok()) << g.error().message;
    const std::vector<ChatMessage> conv = {{"system", "Be brief."},
                                           {"user", "Hi {{ there }}"},
                                           {"assistant", "Hello."},
                                           {"user", "Bye"}};
    auto go = render_go_chat_template(g.value().go_template, conv);
    ASSERT_TRUE(go.ok()) << go.error().message;
    EXPECT_EQ(go.value(), tok.value()->apply_chat_template(conv, true).value());
    EXPECT_EQ(go.value(),
              "<|system|>\nBe brief.</s>\n<|user|>\nHi {{ there "
              "}}</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n<|assistant|>\n");
    EXPECT_EQ(g.value().stops,
              (std::vector<std::string>{"<|system|>", "<|user|>", "<|assistant|>", "</s>"}));
    ModelfileParams mp;
    mp.from = "m.gguf";
    mp.adapter = "m-lora.gguf";
    mp.tokenizer = tok.value().get();
    mp.generation.temperature = 0.7;
    mp.generation.top_p = 0.9;
    auto mf = make_modelfile(mp);
    ASSERT_TRUE(mf.ok());
    EXPECT_NE(mf.value().find(
                  "FROM ./m.gguf\nADAPTER ./m-lora.gguf\nTEMPLATE \"\"\"{{- range .Messages }}"),
              std::string::npos)
        << mf.value();
    EXPECT_NE(mf.value().find("PARAMETER stop \"</s>\"\n"), std::string::npos);
    EXPECT_NE(mf.value().find("PARAMETER temperature 0.7\nPARAMETER top_p 0.9\n"),
              std::string::npos);
}

TEST(GgufExport, RunExportEndToEnd) {
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string root = tbtest::scratch_dir("gguf_export_run");
    LlamaModel m = fp16_exact_model();
    const std::string model = model_folder(root + "/base", m);
    const LoraSettings s = adapter_on(m, false);
    // PEFT saves the adapter in fp32; round B, A to fp16-exact values is unnecessary: the merge
    // happens in fp32 in both paths below.
    ASSERT_TRUE(save_peft_adapter(m, s, root + "/run7/adapter").ok());
    std::vector<std::string> stages;
    ExportParams p;
    p.model_dir = model;
    p.adapter_dir = root + "/run7/adapter";
    p.format = "gguf";
    p.quant = "f32";
    p.out_dir = root + "/ollama";
    p.on_progress = [&](const ExportProgress& e) {
        if (stages.empty() || stages.back() != e.stage) stages.push_back(e.stage);
    };
    auto r = run_export(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(stages, (std::vector<std::string>{"loading", "merging", "writing", "modelfile"}));
    ASSERT_EQ(r.value().files.size(), 2u);
    EXPECT_EQ(r.value().files[0].path, root + "/ollama/base-run7.gguf");
    EXPECT_EQ(r.value().ollama_create, "ollama create base-run7 -f " + root + "/ollama/Modelfile");
    // The merged GGUF computes what the model with its adapter computes.
    auto merged = load_llama_gguf(r.value().files[0].path);
    ASSERT_TRUE(merged.ok()) << merged.error().message;
    const std::vector<int64_t> prompt = {1, 450, 4996, 17354};
    EXPECT_EQ(greedy(merged.value(), prompt, 8), greedy(m, prompt, 8));

    p.format = "gguf-lora";
    p.quant = "q8_0";
    p.name = "Tiny Finetuned";
    p.out_dir = root + "/ollama2";
    auto r2 = run_export(p);
    ASSERT_TRUE(r2.ok()) << r2.error().message;
    ASSERT_EQ(r2.value().files.size(), 3u);
    EXPECT_EQ(fs::path(r2.value().files[1].path).filename(), "tiny-finetuned-lora.gguf");
    std::ifstream mf(root + "/ollama2/Modelfile");
    const std::string text{std::istreambuf_iterator<char>(mf), {}};
    EXPECT_NE(text.find("FROM ./tiny-finetuned.gguf\nADAPTER ./tiny-finetuned-lora.gguf\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("PARAMETER num_predict 256"), std::string::npos);

    // Cancellation before the work starts; bad arguments are one-line errors.
    CancelToken cancel;
    cancel.cancel();
    p.cancel = &cancel;
    p.out_dir = root + "/ollama3";
    auto rc = run_export(p);
    ASSERT_TRUE(rc.ok()) << rc.error().message;
    EXPECT_TRUE(rc.value().cancelled);
    p.cancel = nullptr;
    p.quant = "q3_k";
    EXPECT_NE(run_export(p).error().message.find("--quant: unknown type 'q3_k'"),
              std::string::npos);
    p.quant = "f16";
    p.format = "gguf-lora";
    p.adapter_dir.clear();
    EXPECT_NE(run_export(p).error().message.find("--adapter is required"), std::string::npos);
}
