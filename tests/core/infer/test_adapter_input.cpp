// Hostile PEFT adapter files: every tensor's dtype is checked against what the loader reads
// (issue 10: a U8/I32 lora_A was read as F64 past its data - SIGSEGV or silently wrong
// weights), byte counts and offsets are checked against the file, and a failed load leaves the
// model without any LoRA branch. Crafted files are made from a valid adapter with one tensor
// changed, so each test isolates the one defect it names.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/model/safetensors.h"
#include "tests/test_paths.h"

namespace {

namespace fs = std::filesystem;

const char* kTarget = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";

tb::LlamaConfig tiny_config() {
    tb::LlamaConfig c;
    c.vocab_size = 64;
    c.hidden_size = 16;
    c.intermediate_size = 24;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 2;
    c.head_dim = 8;
    c.max_position_embeddings = 64;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

tb::LlamaModel fresh_model() { return tb::init_llama(tiny_config(), 3, 0.1, {}); }

bool has_lora(const tb::LlamaModel& m) {
    for (const auto& L : m.layers)
        for (const auto* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            if (p->lora.defined()) return true;
    return false;
}

// A valid adapter (r = 4 on q_proj and v_proj, random A and B) saved under `name`.
std::string saved_adapter(const std::string& name) {
    auto m = fresh_model();
    at::manual_seed(11);
    for (auto& L : m.layers)
        for (auto* p : {&L.q_proj, &L.v_proj}) {
            p->lora.A = at::randn({4, p->in_features()});
            p->lora.B = at::randn({p->out_features(), 4});
            p->lora.scale = 2.0;
        }
    tb::LoraSettings s;
    s.r = 4;
    s.alpha = 8;
    s.target_modules = {"q_proj", "v_proj"};
    const std::string dir = tbtest::scratch_dir(name);
    EXPECT_TRUE(tb::save_peft_adapter(m, s, dir).ok());
    return dir;
}

std::string st_path(const std::string& dir) { return dir + "/adapter_model.safetensors"; }

// Every tensor of the adapter file, as writable copies.
std::vector<tb::StTensorOut> read_all(const std::string& path) {
    auto f = tb::SafetensorsFile::open(path);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
    std::vector<tb::StTensorOut> out;
    for (const auto& [name, v] : f.value()->tensors())
        out.push_back(
            {name, v.dtype, v.shape, std::string(reinterpret_cast<const char*>(v.data), v.nbytes)});
    return out;
}

tb::StTensorOut& find(std::vector<tb::StTensorOut>& ts, const std::string& name) {
    for (auto& t : ts)
        if (t.name == name) return t;
    ADD_FAILURE() << "no tensor " << name;
    return ts.front();
}

std::vector<float> as_floats(const tb::StTensorOut& t) {
    std::vector<float> v(t.data.size() / 4);
    std::memcpy(v.data(), t.data.data(), v.size() * 4);
    return v;
}

int64_t numel(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// The q_proj lora_A of layer 0 after loading, as fp32 on the CPU.
at::Tensor loaded_a(const tb::LlamaModel& m) { return m.layers[0].q_proj.lora.A.to(at::kFloat); }

}  // namespace

TEST(AdapterInput, IntegerAndBoolDtypesAreRejectedNamingFileAndTensor) {
    const std::string dir = saved_adapter("adapter_int");
    const auto original = read_all(st_path(dir));
    for (tb::StDType dt : {tb::StDType::U8, tb::StDType::I8, tb::StDType::I16, tb::StDType::I32,
                           tb::StDType::I64, tb::StDType::BOOL}) {
        auto ts = original;
        tb::StTensorOut& a = find(ts, kTarget);
        // Same shape, the byte count of the new dtype (a valid safetensors file): only the
        // dtype is wrong. The bytes are 1s, which as F64 would be 7.7e-304, as U8 "1".
        a.dtype = dt;
        a.data.assign(static_cast<size_t>(numel(a.shape)) * tb::st_dtype_size(dt), '\x01');
        ASSERT_TRUE(tb::write_safetensors(st_path(dir), ts, {{"format", "pt"}}).ok());

        auto m = fresh_model();
        tb::Status s = tb::apply_peft_adapter(m, dir);
        ASSERT_FALSE(s.ok()) << tb::st_dtype_name(dt) << " adapter was accepted";
        const std::string& msg = s.error().message;
        EXPECT_NE(msg.find(st_path(dir)), std::string::npos) << msg;
        EXPECT_NE(msg.find(kTarget), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::string("dtype ") + tb::st_dtype_name(dt)), std::string::npos)
            << msg;
        // Nothing half-attached: a failed load leaves the model as it was.
        EXPECT_FALSE(has_lora(m)) << tb::st_dtype_name(dt);
    }
}

TEST(AdapterInput, FloatDtypesLoadTheirOwnValues) {
    const std::string dir = saved_adapter("adapter_float");
    const auto original = read_all(st_path(dir));
    auto ts0 = original;
    const std::vector<float> a32 = as_floats(find(ts0, kTarget));
    const std::vector<int64_t> shape = find(ts0, kTarget).shape;
    const at::Tensor ref = at::from_blob(const_cast<float*>(a32.data()), shape, at::kFloat).clone();

    struct Case {
        tb::StDType st;
        at::ScalarType torch;
    };
    for (Case c : {Case{tb::StDType::F16, at::kHalf}, Case{tb::StDType::BF16, at::kBFloat16},
                   Case{tb::StDType::F64, at::kDouble}}) {
        auto ts = original;
        tb::StTensorOut& a = find(ts, kTarget);
        const at::Tensor conv = ref.to(c.torch).contiguous();
        a.dtype = c.st;
        a.data.assign(static_cast<const char*>(conv.data_ptr()),
                      static_cast<size_t>(conv.numel() * conv.element_size()));
        ASSERT_TRUE(tb::write_safetensors(st_path(dir), ts, {{"format", "pt"}}).ok());
        auto m = fresh_model();
        tb::Status s = tb::apply_peft_adapter(m, dir);
        ASSERT_TRUE(s.ok()) << s.error().message;
        // The file's values converted to fp32 exactly as torch converts them: equal bits.
        EXPECT_TRUE(at::equal(loaded_a(m), conv.to(at::kFloat))) << tb::st_dtype_name(c.st);
        // And not some other reading of the bytes: close to the fp32 original (f16/bf16
        // round to 11/8 significant bits; |a| < 6 here, so 6 * 2^-8 bounds the bf16 error).
        EXPECT_TRUE(at::allclose(loaded_a(m), ref, 0, 6.0 / 256)) << tb::st_dtype_name(c.st);
    }
}

// A raw file whose header is `header` followed by `data` (no validation on the writing side).
void write_raw(const std::string& path, const nlohmann::json& header, const std::string& data) {
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    const uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
    out += h + data;
    ASSERT_TRUE(tb::write_file_atomic(path, out).ok());
}

// The adapter file's header and data buffer as they are on disk.
void read_raw(const std::string& path, nlohmann::json* header, std::string* data) {
    auto text = tb::read_file(path);
    ASSERT_TRUE(text.ok());
    const std::string& s = text.value();
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(s[i]);
    *header = nlohmann::json::parse(s.substr(8, n));
    *data = s.substr(8 + n);
}

TEST(AdapterInput, ByteCountsAndOffsetsThatDisagreeWithTheDtypeAreErrors) {
    const std::string dir = saved_adapter("adapter_sizes");
    nlohmann::json header;
    std::string data;
    read_raw(st_path(dir), &header, &data);
    const auto offs = header[kTarget]["data_offsets"];
    const uint64_t b = offs[0], e = offs[1];

    struct Case {
        const char* what;
        std::function<void(nlohmann::json&, std::string&)> edit;
        const char* expect;
    };
    const std::vector<Case> cases = {
        // A U8 header over F32 bytes: 4x the bytes a U8 tensor of that shape holds.
        {"dtype says U8, bytes are F32",
         [&](nlohmann::json& h, std::string&) { h[kTarget]["dtype"] = "U8"; }, "needs"},
        // An F64 header over F32 bytes: half the bytes it needs.
        {"dtype says F64, bytes are F32",
         [&](nlohmann::json& h, std::string&) { h[kTarget]["dtype"] = "F64"; }, "needs"},
        {"shape larger than the bytes",
         [&](nlohmann::json& h, std::string&) { h[kTarget]["shape"][0] = 400; }, "needs"},
        {"end past the file",
         [&](nlohmann::json& h, std::string& d) {
             h[kTarget]["data_offsets"] = {d.size() - (e - b) + 8, d.size() + 8};
         },
         "beyond"},
        {"file truncated inside the tensor data",
         [&](nlohmann::json&, std::string& d) { d.resize(d.size() - 1); }, "beyond"},
    };
    for (const Case& c : cases) {
        nlohmann::json h = header;
        std::string d = data;
        c.edit(h, d);
        write_raw(st_path(dir), h, d);
        auto m = fresh_model();
        tb::Status s = tb::apply_peft_adapter(m, dir);
        ASSERT_FALSE(s.ok()) << c.what;
        const std::string& msg = s.error().message;
        EXPECT_NE(msg.find(st_path(dir)), std::string::npos) << c.what << ": " << msg;
        EXPECT_NE(msg.find(c.expect), std::string::npos) << c.what << ": " << msg;
        EXPECT_FALSE(has_lora(m)) << c.what;
    }
}

TEST(AdapterInput, ConfigValuesThatWouldPoisonTheScaleAreErrors) {
    const std::string dir = saved_adapter("adapter_cfg");
    auto text = tb::read_file(dir + "/adapter_config.json");
    ASSERT_TRUE(text.ok());
    const auto cfg = nlohmann::json::parse(text.value());
    struct Case {
        const char* key;
        nlohmann::json value;
        const char* expect;
    };
    for (const Case& c :
         {Case{"rank_pattern", {{"q_proj", 0}}, "rank_pattern.q_proj"},
          Case{"lora_dropout", 1.5, "lora_dropout"}, Case{"lora_dropout", -0.1, "lora_dropout"},
          Case{"r", 0, "r: must be >= 1"}}) {
        auto j = cfg;
        j[c.key] = c.value;
        ASSERT_TRUE(tb::write_file_atomic(dir + "/adapter_config.json", j.dump()).ok());
        auto m = fresh_model();
        tb::Status s = tb::apply_peft_adapter(m, dir);
        ASSERT_FALSE(s.ok()) << c.key;
        EXPECT_NE(s.error().message.find(c.expect), std::string::npos) << s.error().message;
        EXPECT_FALSE(has_lora(m));
    }
    // The unedited config loads: the cases above fail for their value only.
    ASSERT_TRUE(tb::write_file_atomic(dir + "/adapter_config.json", cfg.dump()).ok());
    auto m = fresh_model();
    tb::Status s = tb::apply_peft_adapter(m, dir);
    EXPECT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(has_lora(m));
}
