#include "core/infer/gguf_model_loader.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/gguf/gguf_file.h"
#include "core/gguf/gguf_llama.h"
#include "core/quant/q4_k.h"
#include "core/quant/q8_0.h"

namespace tb::infer {

namespace fs = std::filesystem;
using gguf::GgmlType;

bool is_gguf_file(const std::string& path) {
    std::error_code ec;
    if (path.empty() || !fs::is_regular_file(path, ec)) return false;
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    return f.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

namespace {

Error at_key(const std::string& path, const std::string& key, const std::string& what) {
    return Error{path + ": " + key + ": " + what};
}

// The metadata part of the loader (see the header for the keys).
Result<LlamaConfig> config_of(const gguf::Reader& r, const std::string& path) {
    auto arch = r.get_string("general.architecture");
    if (!arch.ok()) return Error{path + ": " + arch.error().message};
    if (arch.value() != "llama")
        return at_key(path, "general.architecture",
                      "'" + arch.value() + "': only llama models are supported");
    auto req = [&](const std::string& key) -> Result<int64_t> {
        if (!r.find(key)) return at_key(path, key, "missing (required)");
        auto v = r.get_uint(key);
        if (!v.ok()) return Error{path + ": " + v.error().message};
        if (v.value() == 0 || v.value() > (uint64_t{1} << 31))
            return at_key(path, key, "invalid value " + std::to_string(v.value()));
        return static_cast<int64_t>(v.value());
    };
    auto opt = [&](const std::string& key, int64_t dflt) -> Result<int64_t> {
        if (!r.find(key)) return dflt;
        return req(key);
    };
    LlamaConfig c;
    c.model_type = "llama";
    TB_ASSIGN_OR_RETURN(c.num_hidden_layers, req("llama.block_count"));
    TB_ASSIGN_OR_RETURN(c.hidden_size, req("llama.embedding_length"));
    TB_ASSIGN_OR_RETURN(c.intermediate_size, req("llama.feed_forward_length"));
    TB_ASSIGN_OR_RETURN(c.num_attention_heads, req("llama.attention.head_count"));
    TB_ASSIGN_OR_RETURN(c.max_position_embeddings, req("llama.context_length"));
    TB_ASSIGN_OR_RETURN(c.num_key_value_heads,
                        opt("llama.attention.head_count_kv", c.num_attention_heads));
    TB_ASSIGN_OR_RETURN(c.head_dim,
                        opt("llama.rope.dimension_count", c.hidden_size / c.num_attention_heads));
    if (c.num_attention_heads % c.num_key_value_heads != 0)
        return at_key(path, "llama.attention.head_count_kv",
                      std::to_string(c.num_key_value_heads) + " does not divide head_count " +
                          std::to_string(c.num_attention_heads));
    if (c.head_dim % 2 != 0) return at_key(path, "llama.rope.dimension_count", "must be even");
    if (auto kl = r.find("llama.attention.key_length"); kl) {
        TB_ASSIGN_OR_RETURN(int64_t k, req("llama.attention.key_length"));
        if (k != c.head_dim)
            return at_key(path, "llama.attention.key_length",
                          std::to_string(k) + " differs from rope.dimension_count " +
                              std::to_string(c.head_dim) + " (partial RoPE is not supported)");
    }
    const std::string eps_key = "llama.attention.layer_norm_rms_epsilon";
    if (!r.find(eps_key)) return at_key(path, eps_key, "missing (required)");
    auto eps = r.get_float(eps_key);
    if (!eps.ok()) return Error{path + ": " + eps.error().message};
    if (!(eps.value() > 0) || eps.value() > 1) return at_key(path, eps_key, "must be in (0, 1]");
    c.rms_norm_eps = eps.value();
    if (r.find("llama.rope.freq_base")) {
        auto theta = r.get_float("llama.rope.freq_base");
        if (!theta.ok()) return Error{path + ": " + theta.error().message};
        if (!(theta.value() > 0)) return at_key(path, "llama.rope.freq_base", "must be > 0");
        c.rope_theta = theta.value();
    }
    if (r.find("llama.rope.scaling.type")) {
        auto t = r.get_string("llama.rope.scaling.type");
        if (!t.ok()) return Error{path + ": " + t.error().message};
        if (t.value() != "none")
            return at_key(path, "llama.rope.scaling.type",
                          "'" + t.value() + "' RoPE scaling is not supported");
    }
    if (r.tensor("rope_freqs.weight"))
        return Error{path + ": tensor 'rope_freqs.weight': llama3 RoPE scaling is not supported"};
    const gguf::TensorInfo* te = r.tensor("token_embd.weight");
    if (!te) return Error{path + ": tensor 'token_embd.weight' missing"};
    if (te->ne.size() != 2 || te->ne[0] != c.hidden_size)
        return Error{path + ": tensor 'token_embd.weight': not [embedding_length, vocab]"};
    c.vocab_size = te->ne[1];
    c.tie_word_embeddings = r.tensor("output.weight") == nullptr;
    c.bos_token_id.reset();
    c.eos_token_ids.clear();
    if (auto b = r.get_uint("tokenizer.ggml.bos_token_id"); b.ok())
        c.bos_token_id = static_cast<int64_t>(b.value());
    if (auto e = r.get_uint("tokenizer.ggml.eos_token_id"); e.ok())
        c.eos_token_ids = {static_cast<int64_t>(e.value())};
    if (auto p = r.get_uint("tokenizer.ggml.padding_token_id"); p.ok())
        c.pad_token_id = static_cast<int64_t>(p.value());
    return c;
}

// ---- tokenizer: a SentencePiece ModelProto in protobuf's wire format -------------------------

void put_varint(std::string& s, uint64_t v) {
    while (v >= 0x80) {
        s += static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    s += static_cast<char>(v);
}
void put_tag(std::string& s, int field, int wire) { put_varint(s, (uint64_t(field) << 3) | wire); }
void put_bytes(std::string& s, int field, const std::string& b) {
    put_tag(s, field, 2);
    put_varint(s, b.size());
    s += b;
}
void put_int(std::string& s, int field, int64_t v) {
    put_tag(s, field, 0);
    put_varint(s, static_cast<uint64_t>(v));  // negative int32: ten bytes, as protobuf does
}
void put_float(std::string& s, int field, float f) {
    put_tag(s, field, 5);
    char b[4];
    std::memcpy(b, &f, 4);
    s.append(b, 4);
}

// ModelProto { repeated SentencePiece pieces = 1 {piece = 1, score = 2, type = 3};
//              TrainerSpec trainer_spec = 2 {model_type = 3 (BPE = 2), vocab_size = 4,
//                byte_fallback = 35, unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43};
//              NormalizerSpec normalizer_spec = 3 {name = 1, add_dummy_prefix = 3,
//                remove_extra_whitespaces = 4, escape_whitespaces = 5} }
// (sentencepiece_model.proto). Only the vocabulary matters to tunebench's tokenizer
// (tokenizer.h: the BPE runs on the pieces, HF's way); the specs make a valid BPE model.
std::string model_proto(const std::vector<std::string>& pieces, const std::vector<float>& scores,
                        const std::vector<int>& types, int64_t unk, int64_t bos, int64_t eos,
                        int64_t pad) {
    std::string m;
    bool bytes = false;
    for (size_t i = 0; i < pieces.size(); ++i) {
        std::string p;
        put_bytes(p, 1, pieces[i]);
        put_float(p, 2, scores[i]);
        put_int(p, 3, types[i]);
        put_bytes(m, 1, p);
        bytes = bytes || types[i] == 6;
    }
    std::string t;
    put_int(t, 3, 2);  // BPE
    put_int(t, 4, static_cast<int64_t>(pieces.size()));
    put_int(t, 35, bytes ? 1 : 0);
    put_int(t, 40, unk);
    put_int(t, 41, bos);
    put_int(t, 42, eos);
    put_int(t, 43, pad);
    put_bytes(m, 2, t);
    std::string n;
    put_bytes(n, 1, "identity");
    put_int(n, 3, 1);
    put_int(n, 4, 0);
    put_int(n, 5, 1);
    put_bytes(m, 3, n);
    return m;
}

// A folder removed when it goes out of scope.
struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("tb-gguf-tok-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() { (void)remove_tree(path.string()); }  // not fs::remove_all: file_io.h
};

Status write_text(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary);
    f.write(s.data(), static_cast<std::streamsize>(s.size()));
    if (!f) return Error{p.string() + ": cannot write"};
    return {};
}

// tokenizer.model (+ tokenizer_config.json) beside the GGUF file, or null.
Result<std::shared_ptr<Tokenizer>> beside(const std::string& path) {
    const fs::path dir = fs::path(path).parent_path();
    const fs::path d = dir.empty() ? fs::path(".") : dir;
    std::error_code ec;
    if (!fs::is_regular_file(d / "tokenizer.model", ec)) return std::shared_ptr<Tokenizer>();
    if (fs::is_regular_file(d / "tokenizer_config.json", ec)) return Tokenizer::load(d.string());
    return Tokenizer::load_files((d / "tokenizer.model").string(), "");
}

Result<std::shared_ptr<Tokenizer>> tokenizer_of(const gguf::Reader& r, const std::string& path) {
    const gguf::Value* model = r.find("tokenizer.ggml.model");
    const gguf::Value* tokens = r.find("tokenizer.ggml.tokens");
    if (!model || !tokens) return beside(path);
    auto kind = r.get_string("tokenizer.ggml.model");
    if (!kind.ok()) return Error{path + ": " + kind.error().message};
    if (kind.value() != "llama") {
        auto b = beside(path);
        if (!b.ok() || b.value()) return b;
        return at_key(path, "tokenizer.ggml.model",
                      "'" + kind.value() +
                          "': only SentencePiece ('llama') vocabularies are read from GGUF; put "
                          "the model's tokenizer.model beside the file");
    }
    if (tokens->type != gguf::ValueType::ARRAY || tokens->elem_type != gguf::ValueType::STRING)
        return at_key(path, "tokenizer.ggml.tokens", "not an array of strings");
    const size_t n = tokens->strs.size();
    if (n == 0) return at_key(path, "tokenizer.ggml.tokens", "empty");
    auto nums = [&](const char* key, std::vector<double>* out) -> Status {
        const gguf::Value* v = r.find(key);
        if (!v) return {};
        if (v->type != gguf::ValueType::ARRAY || v->nums.size() != n)
            return at_key(path, key,
                          "expected an array of " + std::to_string(n) + " numbers (one a token)");
        *out = v->nums;
        return {};
    };
    std::vector<double> scores(n, 0.0), types(n, 1.0);
    TB_TRY_STATUS(nums("tokenizer.ggml.scores", &scores));
    TB_TRY_STATUS(nums("tokenizer.ggml.token_type", &types));
    auto id = [&](const char* key, int64_t dflt) -> Result<int64_t> {
        if (!r.find(key)) return dflt;
        auto v = r.get_uint(key);
        if (!v.ok()) return Error{path + ": " + v.error().message};
        if (v.value() >= n)
            return at_key(path, key,
                          "id " + std::to_string(v.value()) + " outside the vocabulary of " +
                              std::to_string(n));
        return static_cast<int64_t>(v.value());
    };
    TB_ASSIGN_OR_RETURN(int64_t unk, id("tokenizer.ggml.unknown_token_id", 0));
    TB_ASSIGN_OR_RETURN(int64_t bos, id("tokenizer.ggml.bos_token_id", -1));
    TB_ASSIGN_OR_RETURN(int64_t eos, id("tokenizer.ggml.eos_token_id", -1));
    TB_ASSIGN_OR_RETURN(int64_t pad, id("tokenizer.ggml.padding_token_id", -1));
    auto flag = [&](const char* key, bool dflt) -> Result<bool> {
        if (!r.find(key)) return dflt;
        auto v = r.get_bool(key);
        if (!v.ok()) return Error{path + ": " + v.error().message};
        return v.value();
    };
    TB_ASSIGN_OR_RETURN(bool add_bos, flag("tokenizer.ggml.add_bos_token", true));
    TB_ASSIGN_OR_RETURN(bool add_eos, flag("tokenizer.ggml.add_eos_token", false));
    std::string chat_template;
    if (r.find("tokenizer.chat_template")) {
        auto t = r.get_string("tokenizer.chat_template");
        if (!t.ok()) return Error{path + ": " + t.error().message};
        chat_template = t.value();
    }
    // The exporter pads the vocabulary to the embedding rows with unused "[PAD<id>]" pieces
    // (convert_hf_to_gguf.py's rule); they were never part of the SentencePiece model.
    size_t n_sp = n;
    while (n_sp > 1 && static_cast<int>(types[n_sp - 1]) == 5 &&
           tokens->strs[n_sp - 1] == "[PAD" + std::to_string(n_sp - 1) + "]")
        --n_sp;
    std::vector<std::string> pieces(tokens->strs.begin(), tokens->strs.begin() + n_sp);
    std::vector<float> sc(n_sp);
    std::vector<int> ty(n_sp);
    nlohmann::json decoder = nlohmann::json::object();
    for (size_t i = 0; i < n_sp; ++i) {
        sc[i] = static_cast<float>(scores[i]);
        const int t = static_cast<int>(types[i]);
        if (t < 1 || t > 6)
            return at_key(path, "tokenizer.ggml.token_type",
                          "token " + std::to_string(i) + ": unknown type " + std::to_string(t));
        ty[i] = t;
        // Control tokens are matched literally and skipped in decoding (HF's special added
        // tokens); user-defined ones are matched literally and kept.
        if (t == 3 || t == 4)
            decoder[std::to_string(i)] = {{"content", pieces[i]}, {"special", t == 3}};
    }
    if (unk >= static_cast<int64_t>(n_sp) || ty[static_cast<size_t>(unk)] != 2) {
        // SentencePiece requires exactly one unknown piece.
        return at_key(path, "tokenizer.ggml.unknown_token_id",
                      "token " + std::to_string(unk) + " is not of the unknown type");
    }
    auto tok_json = [&](int64_t i) -> nlohmann::json {
        if (i < 0) return nullptr;
        return tokens->strs[static_cast<size_t>(i)];
    };
    nlohmann::json cfg = {{"add_bos_token", add_bos},
                          {"add_eos_token", add_eos},
                          {"bos_token", tok_json(bos)},
                          {"eos_token", tok_json(eos)},
                          {"unk_token", tok_json(unk)},
                          {"legacy", false},
                          {"clean_up_tokenization_spaces", false},
                          {"added_tokens_decoder", decoder}};
    if (pad >= 0) cfg["pad_token"] = tok_json(pad);
    if (!chat_template.empty()) cfg["chat_template"] = chat_template;
    TempDir tmp;
    TB_TRY_STATUS(
        write_text(tmp.path / "tokenizer.model", model_proto(pieces, sc, ty, unk, bos, eos, pad)));
    TB_TRY_STATUS(write_text(tmp.path / "tokenizer_config.json", cfg.dump()));
    auto tok = Tokenizer::load(tmp.path.string());
    if (!tok.ok())
        return Error{path + ": tokenizer metadata: " + tok.error().message +
                     " (put the model's tokenizer.model beside the file instead)"};
    return tok;
}

// ---- weights --------------------------------------------------------------------------------

struct WeightLoader {
    const gguf::Reader& r;
    const std::string& path;
    const GgufLoadOptions& o;
    std::map<std::string, int> type_counts;

    Result<const gguf::TensorInfo*> info(const std::string& name, std::vector<int64_t> shape) {
        const gguf::TensorInfo* t = r.tensor(name);
        if (!t) return Error{path + ": tensor '" + name + "' missing"};
        const std::vector<int64_t> ne(shape.rbegin(), shape.rend());
        if (t->ne != ne) {
            std::string got, want;
            for (auto d : t->ne) got += (got.empty() ? "" : ", ") + std::to_string(d);
            for (auto d : ne) want += (want.empty() ? "" : ", ") + std::to_string(d);
            return Error{path + ": tensor '" + name + "': ne [" + got + "], the metadata says [" +
                         want + "]"};
        }
        return t;
    }

    // Dense in the requested dtype on the device, as torch [shape].
    Result<at::Tensor> dense(const gguf::TensorInfo& t, const std::vector<int64_t>& shape) {
        TB_ASSIGN_OR_RETURN(std::vector<float> v, r.dequantize(t.name));
        return at::from_blob(v.data(), shape, at::kFloat).clone().to(o.device, o.dtype);
    }

    Result<at::Tensor> dense(const std::string& name, std::vector<int64_t> shape) {
        TB_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, info(name, shape));
        ++type_counts[gguf::type_name(t->type)];
        return dense(*t, shape);
    }

    // A [rows, cols] weight: packed when the load asks for it and the type has a packed form,
    // else dense into lin->weight. `perm_heads` > 0: undo the Q/K permutation.
    Result<std::shared_ptr<const PackedBaseWeight>> matrix(const std::string& name, int64_t rows,
                                                           int64_t cols, int64_t nh, int64_t nkv,
                                                           at::Tensor* dense_out) {
        TB_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, info(name, {rows, cols}));
        ++type_counts[gguf::type_name(t->type)];
        auto unperm = [&](const at::Tensor& x) {
            return nh > 0 ? gguf::unpermute_qk(x, nh, nkv) : x;
        };
        const bool kq = t->type == GgmlType::Q4_K || t->type == GgmlType::Q6_K;
        if (o.packed && (kq || t->type == GgmlType::Q8_0)) {
            const int64_t rb = gguf::row_bytes(t->type, cols);
            // The file's rows as bytes [rows, row_bytes] (no copy until the gather / clone).
            const at::Tensor raw =
                at::from_blob(const_cast<uint8_t*>(r.tensor_data(*t)), {rows, rb}, at::kByte);
            const at::Tensor rows_bytes = unperm(raw).contiguous();
            if (kq) {
                const KQuantType kt =
                    t->type == GgmlType::Q4_K ? KQuantType::Q4_K : KQuantType::Q6_K;
                TB_ASSIGN_OR_RETURN(
                    KQuantWeight w,
                    kquant_from_bytes(kt, rows_bytes.data_ptr<uint8_t>(), rows, cols, o.dtype));
                return std::shared_ptr<const PackedBaseWeight>(
                    std::make_shared<KQuantBaseWeight>(w.to(o.device)));
            }
            // Q8_0: blocks {fp16 d; int8 qs[32]} -> the planes of core/quant's Q8_0Weight.
            const at::Tensor blk = rows_bytes.view({rows, cols / 32, 34});
            Q8_0Weight w;
            w.d = blk.narrow(2, 0, 2).contiguous().view(at::kHalf).view({rows, cols / 32});
            w.qs = blk.narrow(2, 2, 32).contiguous().view(at::kChar).view({rows, cols});
            w.dtype = o.dtype;
            return std::shared_ptr<const PackedBaseWeight>(
                std::make_shared<Q8_0BaseWeight>(w.to(o.device)));
        }
        TB_ASSIGN_OR_RETURN(at::Tensor d, dense(*t, {rows, cols}));
        *dense_out = unperm(d).contiguous();
        return std::shared_ptr<const PackedBaseWeight>();
    }
};

}  // namespace

Result<LlamaConfig> read_gguf_llama_config(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<gguf::Reader> r, gguf::Reader::open(path));
    return config_of(*r, path);
}

bool gguf_has_tokenizer(const std::string& path) {
    std::error_code ec;
    const fs::path dir = fs::path(path).parent_path();
    if (fs::is_regular_file((dir.empty() ? fs::path(".") : dir) / "tokenizer.model", ec))
        return true;
    auto r = gguf::Reader::open(path);
    return r.ok() && r.value()->find("tokenizer.ggml.tokens") != nullptr;
}

Result<std::shared_ptr<Tokenizer>> load_gguf_tokenizer(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<gguf::Reader> r, gguf::Reader::open(path));
    return tokenizer_of(*r, path);
}

Result<GgufModel> load_gguf_model(const std::string& path, const GgufLoadOptions& o) {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<gguf::Reader> r, gguf::Reader::open(path));
    TB_ASSIGN_OR_RETURN(LlamaConfig c, config_of(*r, path));
    if (auto ty = r->get_string("general.type"); ty.ok() && ty.value() != "model")
        return at_key(path, "general.type",
                      "'" + ty.value() + "': not a model (a LoRA adapter goes to --adapter)");
    torch::NoGradGuard no_grad;
    GgufModel out;
    LlamaModel& m = out.model;
    WeightLoader wl{*r, path, o, {}};
    const int64_t H = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
    const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads;
    // token_embd: dense whatever its type (a step reads B rows; llama.cpp quantises it for size).
    TB_ASSIGN_OR_RETURN(m.embed_tokens, wl.dense("token_embd.weight", {c.vocab_size, H}));
    struct Proj {
        const char* hf;
        const char* gg;
        int64_t rows, cols, perm_heads, perm_kv;
    };
    const Proj projs[] = {
        {"q_proj", "attn_q", nh * hd, H, nh, nh}, {"k_proj", "attn_k", nkv * hd, H, nh, nkv},
        {"v_proj", "attn_v", nkv * hd, H, 0, 0},  {"o_proj", "attn_output", H, nh * hd, 0, 0},
        {"gate_proj", "ffn_gate", I, H, 0, 0},    {"up_proj", "ffn_up", I, H, 0, 0},
        {"down_proj", "ffn_down", H, I, 0, 0}};
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        if (o.cancel && o.cancel->cancelled()) return Error{"cancelled"};
        const std::string b = "blk." + std::to_string(i) + ".";
        LlamaLayer l;
        TB_ASSIGN_OR_RETURN(l.input_norm, wl.dense(b + "attn_norm.weight", {H}));
        TB_ASSIGN_OR_RETURN(l.post_norm, wl.dense(b + "ffn_norm.weight", {H}));
        for (const Proj& p : projs) {
            LoraLinear* lin = l.projection(p.hf);
            TB_ASSIGN_OR_RETURN(lin->packed, wl.matrix(b + p.gg + ".weight", p.rows, p.cols,
                                                       p.perm_heads, p.perm_kv, &lin->weight));
        }
        m.layers.push_back(std::move(l));
    }
    TB_ASSIGN_OR_RETURN(m.final_norm, wl.dense("output_norm.weight", {H}));
    if (!c.tie_word_embeddings) {
        TB_ASSIGN_OR_RETURN(out.head,
                            wl.matrix("output.weight", c.vocab_size, H, 0, 0, &m.lm_head));
    } else {
        m.lm_head = m.embed_tokens;
    }
    m.config = c;
    m.dtype = o.dtype;
    m.device = o.device;
    m.inv_freq = rope_inv_freq(c).to(o.device);
    for (const auto& [name, count] : wl.type_counts)
        out.tensor_types +=
            (out.tensor_types.empty() ? "" : ", ") + name + " x " + std::to_string(count);
    TB_ASSIGN_OR_RETURN(out.tok, tokenizer_of(*r, path));
    const fs::path gen = fs::path(path).parent_path() / "generation_config.json";
    TB_ASSIGN_OR_RETURN(out.gen, load_generation_defaults(gen.string()));
    return out;
}

}  // namespace tb::infer
