// GGUF files written by tunebench, proven in llama.cpp itself: node-llama-cpp's prebuilt CPU
// binaries (npm package, release v0.5.0 of llama.cpp) installed outside the repository.
// - Quantiser bytes: llama.cpp's libggml-base quantize_row_*_ref / fp16 / bf16 row converters,
//   called through dlopen on the inputs of ggml_inputs.h, equal tunebench's bytes (and, with
//   TB_WRITE_GGML_FIXTURES=<dir>, are written there as the fixtures test_gguf_quants reads).
// - Greedy tokens (tests/interop/llama_greedy.mjs): a small random Llama with the real Llama-2
//   vocabulary exported as F16 gives in llama.cpp the greedy tokens tunebench's forward gives
//   on the source model; Q8_0 and Q4_K_M run and are close to tunebench's forward on the same
//   (dequantised) weights (each llama.cpp pick within 0.1 of tunebench's best logit: below); a GGUF
//   LoRA adapter applied in llama.cpp gives tunebench's base + adapter (unmerged) tokens.
// Skipped when node, the package or the Llama-2 tokenizer is missing.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/gguf/gguf_llama.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "tests/core/gguf/ggml_inputs.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;
using namespace tb;
using namespace tb::gguf;

namespace {

std::string node_dir() {
    const char* e = std::getenv("TB_NODE_LLAMA_DIR");
    return e ? e : "/work/node";
}
std::string bins_dir() {
    return node_dir() + "/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
}
bool have_node() { return std::system("node --version > /dev/null 2>&1") == 0; }
bool have_package() { return fs::exists(node_dir() + "/node_modules/node-llama-cpp/package.json"); }
std::string llama2_tokenizer() { return tbtest::shared_dir() + "/data/llama2-tokenizer.model"; }

#define SKIP_UNLESS_LLAMA_CPP()                                                                \
    do {                                                                                       \
        if (!have_node()) GTEST_SKIP() << "node not found";                                    \
        if (!have_package()) GTEST_SKIP() << "node-llama-cpp not installed in " << node_dir(); \
    } while (0)

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    ::pclose(p);
    return out;
}

// {"tokens":[1,2,3]} -> ids (the script prints exactly this shape on its last line).
std::vector<int64_t> llama_cpp_greedy(const std::string& gguf, const std::vector<int64_t>& prompt,
                                      int n, const std::string& lora = "") {
    std::string ids;
    for (auto t : prompt) ids += (ids.empty() ? "" : ",") + std::to_string(t);
    const std::string cmd = "NODE_LLAMA_DIR='" + node_dir() + "' node '" TB_INTEROP_SCRIPT "' '" +
                            gguf + "' " + ids + " " + std::to_string(n) +
                            (lora.empty() ? "" : " '" + lora + "'") + " 2>&1";
    const std::string out = run_capture(cmd);
    const size_t b = out.rfind("{\"tokens\":[");
    std::vector<int64_t> v;
    if (b == std::string::npos) {
        ADD_FAILURE() << "llama.cpp run failed:\n" << out;
        return v;
    }
    const size_t e = out.find(']', b);
    std::string list = out.substr(b + 11, e - b - 11);
    size_t p = 0;
    while (p < list.size()) {
        size_t q = list.find(',', p);
        if (q == std::string::npos) q = list.size();
        v.push_back(std::stoll(list.substr(p, q - p)));
        p = q + 1;
    }
    return v;
}

// tunebench's greedy continuation (full forward per step, no cache), stopping after eos 2.
std::vector<int64_t> tb_greedy(const LlamaModel& m, std::vector<int64_t> ids, int n) {
    std::vector<int64_t> out;
    at::NoGradGuard ng;
    for (int s = 0; s < n; ++s) {
        const auto T = static_cast<int64_t>(ids.size());
        at::Tensor in = at::tensor(ids, at::kLong).view({1, T});
        at::Tensor pos = at::arange(T, at::kLong).view({1, T});
        at::Tensor logits = m.forward(in, pos, at::Tensor(), nullptr);
        const int64_t next = logits[0][T - 1].argmax().item<int64_t>();
        if (std::getenv("TB_INTEROP_MARGINS")) {
            auto top = logits[0][T - 1].topk(2);
            std::printf("  step %d: top %lld (%.5f) next %lld (%.5f)\n", s,
                        static_cast<long long>(std::get<1>(top)[0].item<int64_t>()),
                        std::get<0>(top)[0].item<float>(),
                        static_cast<long long>(std::get<1>(top)[1].item<int64_t>()),
                        std::get<0>(top)[1].item<float>());
        }
        out.push_back(next);
        ids.push_back(next);
        if (next == 2) break;
    }
    return out;
}

// Teacher-forced along `tokens`: the largest gap, over the steps, between tunebench's best
// logit and the logit of the token llama.cpp picked (0 when every pick is tunebench's argmax).
double max_logit_gap(const LlamaModel& m, std::vector<int64_t> ids,
                     const std::vector<int64_t>& tokens) {
    at::NoGradGuard ng;
    const auto P = static_cast<int64_t>(ids.size());
    ids.insert(ids.end(), tokens.begin(), tokens.end());
    const auto T = static_cast<int64_t>(ids.size());
    at::Tensor logits = m.forward(at::tensor(ids, at::kLong).view({1, T}),
                                  at::arange(T, at::kLong).view({1, T}), at::Tensor(), nullptr)[0];
    double gap = 0;
    for (size_t k = 0; k < tokens.size(); ++k) {
        const at::Tensor row = logits[P - 1 + static_cast<int64_t>(k)];
        gap = std::max(gap, (row.max() - row[tokens[k]]).item<double>());
    }
    return gap;
}

std::string str(const std::vector<int64_t>& v) {
    std::string s;
    for (auto t : v) s += (s.empty() ? "" : " ") + std::to_string(t);
    return s;
}

LlamaConfig interop_shape() {
    LlamaConfig c;
    c.vocab_size = 32000;  // the Llama-2 vocabulary
    c.hidden_size = 256;   // rows of 256: Q4_K/Q6_K blocks without fallbacks
    c.intermediate_size = 512;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;  // GQA: exercises the K permutation with n_head_kv
    c.head_dim = 64;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 256;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

// The source model: random weights (std 0.08, so the logits are not flat and a greedy pick is
// not a near-tie), norms perturbed (a swapped norm would show), rounded to fp16 so that the F16
// export holds them exactly.
LlamaModel source_model() {
    LoadOptions lo;
    LlamaModel m = init_llama(interop_shape(), 11, 0.08, lo);
    at::manual_seed(5);
    for (auto& l : m.layers) {
        l.input_norm.add_(at::randn_like(l.input_norm) * 0.1);
        l.post_norm.add_(at::randn_like(l.post_norm) * 0.1);
    }
    m.final_norm.add_(at::randn_like(m.final_norm) * 0.1);
    auto r16 = [](at::Tensor& t) { t = t.to(at::kHalf).to(at::kFloat); };
    r16(m.embed_tokens);
    r16(m.lm_head);
    r16(m.final_norm);
    for (auto& l : m.layers) {
        r16(l.input_norm);
        r16(l.post_norm);
        for (const char* p :
             {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}) {
            r16(l.projection(p)->weight);
        }
    }
    return m;
}

const std::vector<int64_t> kPrompt = {1, 450, 4996, 17354, 1701, 432, 12500};
constexpr int kNew = 16;

std::string export_model(const LlamaModel& m, FileType ft, const std::string& dir) {
    LlamaGgufOptions o;
    o.file_type = ft;
    o.name = "interop";
    o.tokenizer_dir = llama2_tokenizer();
    const std::string path = dir + "/model-" + file_type_name(ft) + ".gguf";
    auto r = write_llama_gguf(m, path, o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return path;
}

int common_prefix(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    int k = 0;
    while (k < static_cast<int>(std::min(a.size(), b.size())) && a[k] == b[k]) ++k;
    return k;
}

}  // namespace

TEST(GgufInterop, QuantiserBytesEqualLibggmlBase) {
    const std::string lib = bins_dir() + "/libggml-base.so";
    if (!fs::exists(lib)) GTEST_SKIP() << lib << " not found (npm install node-llama-cpp)";
    void* h = ::dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr) << ::dlerror();
    using QFn = void (*)(const float*, void*, int64_t);
    const auto x = tbtest::ggml_test_inputs();
    const int R = tbtest::kGgmlRows, C = tbtest::kGgmlCols;
    const char* write_dir = std::getenv("TB_WRITE_GGML_FIXTURES");
    struct Case {
        GgmlType t;
        const char* sym;
    };
    for (const Case& k :
         {Case{GgmlType::F32, nullptr}, Case{GgmlType::F16, "ggml_fp32_to_fp16_row"},
          Case{GgmlType::BF16, "ggml_fp32_to_bf16_row_ref"},
          Case{GgmlType::Q8_0, "quantize_row_q8_0_ref"},
          Case{GgmlType::Q5_0, "quantize_row_q5_0_ref"},
          Case{GgmlType::Q4_K, "quantize_row_q4_K_ref"},
          Case{GgmlType::Q6_K, "quantize_row_q6_K_ref"}}) {
        SCOPED_TRACE(type_name(k.t));
        const int64_t rb = row_bytes(k.t, C);
        std::vector<uint8_t> ref(static_cast<size_t>(rb * R));
        if (!k.sym) {
            std::memcpy(ref.data(), x.data(), ref.size());
        } else {
            auto fn = reinterpret_cast<QFn>(::dlsym(h, k.sym));
            ASSERT_NE(fn, nullptr) << k.sym;
            for (int r = 0; r < R; ++r) fn(x.data() + r * C, ref.data() + r * rb, C);
        }
        at::Tensor w = at::from_blob(const_cast<float*>(x.data()), {R, C}, at::kFloat).clone();
        auto got = encode_tensor(w, k.t);
        ASSERT_TRUE(got.ok());
        EXPECT_TRUE(got.value() == ref) << "tunebench's bytes differ from llama.cpp's";
        // Dequantisation: llama.cpp's dequantize_row_* on the same bytes, bit for bit.
        if (k.t != GgmlType::F32 && k.t != GgmlType::F16 && k.t != GgmlType::BF16) {
            const std::string dsym =
                std::string("dequantize_row_") + (k.t == GgmlType::Q8_0   ? "q8_0"
                                                  : k.t == GgmlType::Q5_0 ? "q5_0"
                                                  : k.t == GgmlType::Q4_K ? "q4_K"
                                                                          : "q6_K");
            using DFn = void (*)(const void*, float*, int64_t);
            auto dfn = reinterpret_cast<DFn>(::dlsym(h, dsym.c_str()));
            ASSERT_NE(dfn, nullptr) << dsym;
            std::vector<float> a(static_cast<size_t>(R) * C), b(a.size());
            for (int r = 0; r < R; ++r) {
                dfn(ref.data() + r * rb, a.data() + r * C, C);
                ASSERT_TRUE(dequantize_row(k.t, ref.data() + r * rb, C, b.data() + r * C).ok());
            }
            EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0) << dsym;
        }
        if (write_dir) {
            std::ofstream out(std::string(write_dir) + "/ggml_v0.5.0_" + type_name(k.t) + ".bin",
                              std::ios::binary);
            out.write(reinterpret_cast<const char*>(ref.data()),
                      static_cast<std::streamsize>(ref.size()));
        }
    }
    ::dlclose(h);
}

TEST(GgufInterop, ExportedModelsRunInLlamaCpp) {
    SKIP_UNLESS_LLAMA_CPP();
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << llama2_tokenizer() << " missing";
    const std::string dir = tbtest::scratch_dir("gguf_interop");
    const LlamaModel src = source_model();
    const auto want = tb_greedy(src, kPrompt, kNew);
    std::printf("tunebench (source, fp32 forward): %s\n", str(want).c_str());

    const std::string f16 = export_model(src, FileType::MOSTLY_F16, dir);
    const auto got16 = llama_cpp_greedy(f16, kPrompt, kNew);
    std::printf("llama.cpp F16:                   %s\n", str(got16).c_str());
    EXPECT_EQ(got16, want);

    for (FileType ft : {FileType::MOSTLY_Q8_0, FileType::MOSTLY_Q4_K_M}) {
        SCOPED_TRACE(file_type_name(ft));
        const std::string path = export_model(src, ft, dir);
        auto deq = load_llama_gguf(path);
        ASSERT_TRUE(deq.ok()) << deq.error().message;
        const auto tb_q = tb_greedy(deq.value(), kPrompt, kNew);
        const auto cpp_q = llama_cpp_greedy(path, kPrompt, kNew);
        std::printf(
            "%-6s tunebench on dequantised weights: %s\n       llama.cpp:                        "
            "%s\n",
            file_type_name(ft), str(tb_q).c_str(), str(cpp_q).c_str());
        ASSERT_FALSE(cpp_q.empty());
        for (auto t : cpp_q) EXPECT_TRUE(t >= 0 && t < 32000);
        // llama.cpp also quantises the activations to 8 bits (Q8_0 / Q8_K dot products: step
        // amax/127, about 0.4% RMS per matmul), so on the same weights its logits differ from
        // tunebench's by a few hundredths here (logits ~5, 2 layers + head) and a near-tie can
        // flip a greedy pick. "Close" is therefore: every token llama.cpp picked is, in
        // tunebench's forward over llama.cpp's own sequence, within 0.1 of the best logit.
        const double gap = max_logit_gap(deq.value(), kPrompt, cpp_q);
        std::printf(
            "       common prefix with tunebench: %d of %d; largest logit gap of llama.cpp's "
            "picks: %.4f\n",
            common_prefix(tb_q, cpp_q), kNew, gap);
        EXPECT_LE(gap, 0.1);
        std::printf("       agreement with the source model's tokens: %d of %d leading\n",
                    common_prefix(want, cpp_q), kNew);
    }
}

TEST(GgufInterop, LoraAdapterAppliedInLlamaCpp) {
    SKIP_UNLESS_LLAMA_CPP();
    if (!fs::exists(llama2_tokenizer())) GTEST_SKIP() << llama2_tokenizer() << " missing";
    const std::string dir = tbtest::scratch_dir("gguf_interop_lora");
    LlamaModel m = source_model();
    const std::string f16 = export_model(m, FileType::MOSTLY_F16, dir);
    // A trained-looking adapter: r 8, alpha 16, every projection, B non-zero.
    LoraSettings s;
    s.r = 8;
    s.alpha = 16;
    s.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    at::manual_seed(9);
    for (auto& l : m.layers) {
        for (const auto& name : s.target_modules) {
            LoraLinear* p = l.projection(name);
            p->lora.A = at::randn({s.r, p->in_features()}) * 0.1;
            p->lora.B = at::randn({p->out_features(), s.r}) * 0.1;
            p->lora.scale = s.alpha / s.r;
        }
    }
    const auto want = tb_greedy(m, kPrompt, kNew);
    const std::string lora = dir + "/adapter.gguf";
    auto w = write_lora_gguf(m, s, lora, "interop-lora");
    ASSERT_TRUE(w.ok()) << w.error().message;
    const auto base_tokens = llama_cpp_greedy(f16, kPrompt, kNew);
    const auto got = llama_cpp_greedy(f16, kPrompt, kNew, lora);
    std::printf(
        "tunebench base+adapter: %s\nllama.cpp --lora:       %s\nllama.cpp base only:    %s\n",
        str(want).c_str(), str(got).c_str(), str(base_tokens).c_str());
    EXPECT_EQ(got, want);
    EXPECT_NE(got, base_tokens);  // the adapter changed the output
}
