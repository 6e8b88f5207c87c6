#include "tests/fuzz/fuzz_targets.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/common/file_io.h"
#include "core/config/app_config.h"
#include "core/data/dataset_reader.h"
#include "core/data/reader_detail.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/model/model_config.h"
#include "core/model/model_folder.h"
#include "core/model/safetensors.h"
#include "tests/core/model/tiny_llama_folder.h"

namespace tbfuzz {

namespace fs = std::filesystem;

const std::string& scratch_dir() {
    static const std::string dir = [] {
        const char* base = std::getenv("TB_FUZZ_SCRATCH");
        fs::path p = fs::path(base ? base : fs::temp_directory_path().string()) /
                     ("tb-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(p);
        return p.string();
    }();
    return dir;
}

void fuzz_fail(const std::string& target, const std::string& what) {
    std::fprintf(stderr, "\nFUZZ FAILURE in %s: %s\n", target.c_str(), what.c_str());
    std::fflush(stderr);
    std::abort();
}

namespace {

std::string slurp(const std::string& path) {
    auto r = tb::read_file(path);
    if (!r.ok()) fuzz_fail("seeds", r.error().message);
    return r.value();
}

void put(const std::string& path, const uint8_t* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) fuzz_fail("io", "cannot write " + path);
}

void put(const std::string& path, const std::string& text) {
    put(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// Every accepted view must lie inside the mapping and hold exactly numel x itemsize bytes;
// reading all of it lets ASan see any view that points elsewhere.
void check_views(const char* target, const tb::SafetensorsFile& f) {
    const uint8_t* lo = f.file_data();
    const uint8_t* hi = lo + f.file_size();
    unsigned sum = 0;
    for (const auto& [name, v] : f.tensors()) {
        tb::Status s = tb::st_check_tensor(
            f.path(), v,
            {tb::StDType::F32, tb::StDType::F16, tb::StDType::BF16, tb::StDType::F64,
             tb::StDType::I64, tb::StDType::I32, tb::StDType::I16, tb::StDType::I8, tb::StDType::U8,
             tb::StDType::BOOL});
        if (!s.ok())
            fuzz_fail(target, "accepted a view that fails st_check_tensor: " + s.error().message);
        if (v.nbytes > 0 && (v.data < lo || v.data > hi || v.nbytes > size_t(hi - v.data)))
            fuzz_fail(target, "view of '" + name + "' lies outside the file");
        for (size_t i = 0; i < v.nbytes; ++i) sum += v.data[i];
    }
    volatile unsigned sink = sum;
    (void)sink;
}

// ---- safetensors ------------------------------------------------------------------------

std::vector<std::string> safetensors_seeds() {
    std::vector<std::string> seeds;
    const std::string dir = scratch_dir() + "/seed_st";
    fs::create_directories(dir);
    // A tiny model in each float dtype, and one tensor of every dtype with metadata.
    for (tb::StDType dt : {tb::StDType::F32, tb::StDType::F16, tb::StDType::BF16}) {
        tbtest::TinyLlamaOptions o;
        o.dtype = dt;
        o.seed = 3;
        tb::LlamaConfig c = tbtest::random_tiny_llama_config(1);
        auto ts = tbtest::tiny_llama_tensors(c, o);
        ts.resize(std::min<size_t>(ts.size(), 6));
        if (!tb::write_safetensors(dir + "/m.safetensors", ts, {{"format", "pt"}}).ok())
            fuzz_fail("seeds", "write");
        seeds.push_back(slurp(dir + "/m.safetensors"));
    }
    std::vector<tb::StTensorOut> all;
    for (tb::StDType dt :
         {tb::StDType::F32, tb::StDType::F16, tb::StDType::BF16, tb::StDType::F64, tb::StDType::I64,
          tb::StDType::I32, tb::StDType::I16, tb::StDType::I8, tb::StDType::U8, tb::StDType::BOOL})
        all.push_back({std::string("t_") + tb::st_dtype_name(dt),
                       dt,
                       {2, 3},
                       std::string(6 * tb::st_dtype_size(dt), '\x01')});
    all.push_back({"empty", tb::StDType::F32, {0, 4}, ""});
    all.push_back({"scalar", tb::StDType::F64, {}, std::string(8, '\x02')});
    if (!tb::write_safetensors(dir + "/all.safetensors", all, {{"k", "v"}, {"format", "pt"}}).ok())
        fuzz_fail("seeds", "write");
    seeds.push_back(slurp(dir + "/all.safetensors"));
    return seeds;
}

std::vector<std::string> safetensors_dictionary() {
    return {"\"dtype\"",
            "\"shape\"",
            "\"data_offsets\"",
            "\"__metadata__\"",
            "\"F32\"",
            "\"F16\"",
            "\"BF16\"",
            "\"F64\"",
            "\"I64\"",
            "\"I32\"",
            "\"I16\"",
            "\"I8\"",
            "\"U8\"",
            "\"BOOL\"",
            "\"F8_E4M3\"",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "null",
            "-1",
            "0",
            "18446744073709551615",
            "9223372036854775807",
            "4294967296",
            "1e400",
            "\"\\u0000\""};
}

bool run_safetensors(const uint8_t* data, size_t size) {
    const std::string path = scratch_dir() + "/input.safetensors";
    put(path, data, size);
    auto f = tb::SafetensorsFile::open(path);
    if (!f.ok()) return false;
    check_views("safetensors", *f.value());
    return true;
}

// ---- model folder (config.json fixed, model.safetensors fuzzed) -------------------------

const tb::LlamaConfig& folder_config() {
    static const tb::LlamaConfig c = [] {
        tb::LlamaConfig c = tbtest::random_tiny_llama_config(2);
        c.num_hidden_layers = 1;
        return c;
    }();
    return c;
}

const std::string& folder_dir() {
    static const std::string dir = [] {
        const std::string d = scratch_dir() + "/model";
        fs::create_directories(d);
        if (!tbtest::write_tiny_llama_folder(d, folder_config(), 5).ok())
            fuzz_fail("seeds", "model folder");
        return d;
    }();
    return dir;
}

std::vector<std::string> model_folder_seeds() {
    return {slurp(folder_dir() + "/model.safetensors")};
}

bool run_model_folder(const uint8_t* data, size_t size) {
    put(folder_dir() + "/model.safetensors", data, size);
    auto mf = tb::open_model_folder(folder_dir());
    if (!mf.ok()) return false;
    const auto expected = tb::expected_llama_tensors(mf.value().config);
    for (const auto& file : mf.value().files) check_views("model_folder", *file);
    for (const auto& [name, v] : mf.value().tensors) {
        auto it = expected.find(name);
        const std::vector<int64_t>* shape = it == expected.end() ? nullptr : &it->second;
        tb::Status s = tb::st_check_tensor(
            "model.safetensors", *v, {tb::StDType::F32, tb::StDType::F16, tb::StDType::BF16},
            name.find("inv_freq") == std::string::npos ? shape : nullptr);
        if (!s.ok() && name.find("inv_freq") == std::string::npos)
            fuzz_fail("model_folder", "accepted " + s.error().message);
    }
    return true;
}

// ---- PEFT adapter (one file fuzzed, the other valid) ------------------------------------

tb::LlamaConfig adapter_model_config() {
    tb::LlamaConfig c;
    c.vocab_size = 32;
    c.hidden_size = 8;
    c.intermediate_size = 12;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 1;
    c.head_dim = 4;
    c.max_position_embeddings = 32;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

struct AdapterFiles {
    std::string dir, config, weights;
};

const AdapterFiles& adapter_files() {
    static const AdapterFiles files = [] {
        AdapterFiles a;
        a.dir = scratch_dir() + "/adapter";
        tb::LlamaModel m = tb::init_llama(adapter_model_config(), 7, 0.1, {});
        at::manual_seed(7);
        for (auto& L : m.layers)
            for (auto* p : {&L.q_proj, &L.v_proj, &L.down_proj}) {
                p->lora.A = at::randn({2, p->in_features()});
                p->lora.B = at::randn({p->out_features(), 2});
                p->lora.magnitude = at::rand({p->out_features()}) + 0.5;
            }
        tb::LoraSettings s;
        s.r = 2;
        s.alpha = 4;
        s.use_dora = true;
        s.target_modules = {"q_proj", "v_proj", "down_proj"};
        s.rank_pattern = {{"down_proj", 2}};
        s.alpha_pattern = {{"q_proj", 3.0}};
        if (!tb::save_peft_adapter(m, s, a.dir).ok()) fuzz_fail("seeds", "adapter");
        a.config = slurp(a.dir + "/adapter_config.json");
        a.weights = slurp(a.dir + "/adapter_model.safetensors");
        return a;
    }();
    return files;
}

bool has_lora(const tb::LlamaModel& m) {
    for (const auto& L : m.layers)
        for (const auto* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            if (p->lora.defined()) return true;
    return false;
}

bool apply_and_check(const char* target) {
    static const tb::LlamaModel base = tb::init_llama(adapter_model_config(), 7, 0.1, {});
    tb::LlamaModel m = base;  // shares weights; apply only sets the LoRA branches
    for (auto& L : m.layers)
        for (auto* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
            p->lora = tb::LoraBranch{};
    tb::Status s = tb::apply_peft_adapter(m, adapter_files().dir);
    if (!s.ok()) {
        if (has_lora(m)) fuzz_fail(target, "a refused adapter left LoRA branches attached");
        return false;
    }
    for (const auto& L : m.layers)
        for (const auto* p :
             {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj}) {
            if (!p->lora.defined()) continue;
            const at::Tensor& A = p->lora.A;
            const at::Tensor& B = p->lora.B;
            if (A.dim() != 2 || B.dim() != 2 || A.size(1) != p->in_features() ||
                B.size(0) != p->out_features() || A.size(0) != B.size(1) || A.size(0) < 1)
                fuzz_fail(target, "accepted LoRA weights of the wrong shape");
            if (!std::isfinite(p->lora.scale)) fuzz_fail(target, "accepted a non-finite scale");
        }
    // Issue 10's bug: integer tensors were read as F64 past their data. An accepted adapter
    // holds floating-point tensors only.
    auto f = tb::SafetensorsFile::open(adapter_files().dir + "/adapter_model.safetensors");
    if (!f.ok()) fuzz_fail(target, "accepted an adapter whose file does not open");
    for (const auto& [name, v] : f.value()->tensors())
        if (!tb::st_dtype_is_float(v.dtype))
            fuzz_fail(target, "accepted " + name + " of dtype " + tb::st_dtype_name(v.dtype));
    return true;
}

std::vector<std::string> adapter_weights_seeds() { return {adapter_files().weights}; }

bool run_adapter_weights(const uint8_t* data, size_t size) {
    const AdapterFiles& a = adapter_files();
    put(a.dir + "/adapter_config.json", a.config);
    put(a.dir + "/adapter_model.safetensors", data, size);
    return apply_and_check("adapter_weights");
}

std::vector<std::string> adapter_config_seeds() {
    std::vector<std::string> seeds = {adapter_files().config};
    auto j = nlohmann::json::parse(adapter_files().config);
    j["use_rslora"] = true;
    seeds.push_back(j.dump());
    return seeds;
}

std::vector<std::string> json_dictionary() {
    return {"\"",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "null",
            "true",
            "-1",
            "0",
            "1e308",
            "-1e308",
            "1e400",
            "0.5",
            "\"LORA\"",
            "\"r\"",
            "2",
            "\"\\",
            "\\u0000",
            "9223372036854775807",
            "18446744073709551616",
            "\"rank_pattern\"",
            "\"alpha_pattern\"",
            "\"target_modules\"",
            "\"q_proj\"",
            "\"lora_dropout\"",
            "\"use_dora\"",
            "\"num_hidden_layers\"",
            "\"rope_scaling\"",
            "\"head_dim\"",
            "\"hidden_size\"",
            "\"vocab_size\"",
            "\"llama3\""};
}

bool run_adapter_config(const uint8_t* data, size_t size) {
    const AdapterFiles& a = adapter_files();
    put(a.dir + "/adapter_config.json", data, size);
    put(a.dir + "/adapter_model.safetensors", a.weights);
    return apply_and_check("adapter_config");
}

// ---- datasets (every format on each input) ----------------------------------------------

std::vector<std::string> dataset_seeds() {
    std::vector<std::string> seeds = {
        "{\"instruction\": \"Name a colour.\", \"context\": \"\", \"response\": \"Blue.\", "
        "\"category\": \"open_qa\"}\n"
        "{\"instruction\": \"Sum?\", \"context\": \"2 and 3\", \"response\": \"5\", "
        "\"category\": \"closed_qa\"}\n",
        "[{\"instruction\": \"Hi\", \"input\": \"x\", \"output\": \"Hello \\u00e9\"},\n"
        " {\"instruction\": \"Bye\", \"output\": \"Ciao\"}]",
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", "
        "\"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n",
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", "
        "\"value\": \"Hello\"}]}\n",
        "instruction,context,response,category\n\"Say \"\"hi\"\"\",,\"hi,\nthere\",chat\n"
        "Q2,ctx,A2,qa\r\n",
        "\xEF\xBB\xBFinstruction,response\nA,B\n",
    };
    // The real Dolly sample's first rows, when the shared data is there.
    std::ifstream dolly(std::string(TB_SHARED_DIR) + "/data/dolly-sample.jsonl");
    std::string line, rows;
    for (int i = 0; i < 8 && std::getline(dolly, line); ++i) rows += line + "\n";
    if (!rows.empty()) seeds.push_back(rows);
    return seeds;
}

std::vector<std::string> dataset_dictionary() {
    auto d = json_dictionary();
    for (const char* t :
         {"\"instruction\"", "\"response\"", "\"context\"", "\"category\"", "\"messages\"",
          "\"role\"", "\"content\"", "\"assistant\"", "\"conversations\"", "\"from\"", "\"value\"",
          "\"gpt\"", "\n", "\r\n", "\"\"", ",\"", "\xEF\xBB\xBF", "\xC3", "\xED\xA0\x80"})
        d.push_back(t);
    return d;
}

bool run_dataset(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    bool any = false;
    for (tb::DataFormat f : {tb::DataFormat::Dolly, tb::DataFormat::Alpaca, tb::DataFormat::Chat,
                             tb::DataFormat::ShareGPT, tb::DataFormat::Csv}) {
        for (bool skip : {false, true}) {
            tb::ReadOptions o;
            o.format = f;
            o.skip_bad_rows = skip;
            auto r = tb::parse_dataset(text, "fuzz.data", o);
            if (!r.ok()) continue;
            any = true;
            if (r.value().examples.empty()) fuzz_fail("dataset", "accepted a file with no rows");
            for (const tb::Example& ex : r.value().examples) {
                for (const std::string* s :
                     {&ex.instruction, &ex.context, &ex.response, &ex.category})
                    if (!tb::data_detail::is_valid_utf8(*s))
                        fuzz_fail("dataset", "accepted a field that is not UTF-8");
                if (ex.source_line < 1) fuzz_fail("dataset", "example without a source line");
            }
            if (!skip && !r.value().bad_rows.empty())
                fuzz_fail("dataset", "returned bad rows without skip_bad_rows");
        }
    }
    return any;
}

// ---- YAML run config ----------------------------------------------------------------------

std::vector<std::string> yaml_seeds() {
    std::vector<std::string> seeds = {slurp(std::string(TB_SOURCE_DIR) + "/configs/config.yaml"),
                                      slurp(std::string(TB_SOURCE_DIR) + "/configs/demo.yaml"),
                                      tb::app_config_to_yaml(tb::AppConfig{})};
    return seeds;
}

std::vector<std::string> yaml_dictionary() {
    return {":",
            ": ",
            "- ",
            "\n",
            "  ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "&a ",
            "*a",
            "<<: ",
            "!!str ",
            "!!int ",
            "!!binary ",
            "? ",
            "|",
            ">",
            "#",
            "'",
            "\"",
            "~",
            "null",
            ".nan",
            ".inf",
            "-.inf",
            "1e309",
            "-1",
            "0x10",
            "0o17",
            "true",
            "model:",
            "lora:",
            "data:",
            "eval:",
            "training:",
            "quant:",
            "r: ",
            "split:",
            "max_length: ",
            "learning_rate: ",
            "target_modules: ",
            "9223372036854775808",
            "%YAML 1.2\n---\n",
            "...\n",
            "\t",
            "\\u0000",
            "\xEF\xBB\xBF"};
}

bool run_yaml(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto r = tb::parse_app_config(text, "fuzz.yaml");
    if (!r.ok()) return false;
    // An accepted config is valid and survives its own serialisation unchanged.
    tb::Status v = tb::validate_app_config(r.value());
    if (!v.ok())
        fuzz_fail("yaml", "accepted a config that does not validate: " + v.error().message);
    const std::string once = tb::app_config_to_yaml(r.value());
    auto again = tb::parse_app_config(once, "fuzz.yaml");
    if (!again.ok())
        fuzz_fail("yaml", "its own YAML is refused: " + again.error().message + "\n" + once);
    if (tb::app_config_to_yaml(again.value()) != once)
        fuzz_fail("yaml", "the YAML round trip changes the config:\n" + once);
    return true;
}

// ---- config.json --------------------------------------------------------------------------

std::vector<std::string> llama_config_seeds() {
    std::vector<std::string> seeds;
    for (uint64_t s = 0; s < 6; ++s)
        seeds.push_back(tb::llama_config_to_json(tbtest::random_tiny_llama_config(s)));
    return seeds;
}

bool run_llama_config(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto r = tb::parse_llama_config(text, "config.json");
    if (!r.ok()) return false;
    const std::string once = tb::llama_config_to_json(r.value());
    auto again = tb::parse_llama_config(once, "config.json");
    if (!again.ok())
        fuzz_fail("llama_config", "its own config.json is refused: " + again.error().message);
    if (tb::llama_config_to_json(again.value()) != once)
        fuzz_fail("llama_config", "the config.json round trip changes the config");
    return true;
}

}  // namespace

const std::vector<Target>& targets() {
    static const std::vector<Target> all = {
        {"safetensors", safetensors_seeds, safetensors_dictionary, run_safetensors, true},
        {"model_folder", model_folder_seeds, safetensors_dictionary, run_model_folder, true},
        {"adapter_weights", adapter_weights_seeds, safetensors_dictionary, run_adapter_weights,
         true},
        {"adapter_config", adapter_config_seeds, json_dictionary, run_adapter_config, false},
        {"dataset", dataset_seeds, dataset_dictionary, run_dataset, false},
        {"yaml", yaml_seeds, yaml_dictionary, run_yaml, false},
        {"llama_config", llama_config_seeds, json_dictionary, run_llama_config, false},
    };
    return all;
}

const Target* find_target(const std::string& name) {
    for (const Target& t : targets())
        if (name == t.name) return &t;
    return nullptr;
}

}  // namespace tbfuzz
