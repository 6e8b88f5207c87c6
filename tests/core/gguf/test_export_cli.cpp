// tunebench-cli export end to end: a small HF folder with a PEFT adapter exported as GGUF
// (adapter merged) and as GGUF + GGUF LoRA in the study's layout, with the Modelfile and the
// printed `ollama create` line; argument errors are one line and exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "core/common/file_io.h"
#include "core/gguf/gguf_file.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "tests/test_paths.h"

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code;
    std::string out, err;
};

CliRun cli(const std::string& args, const std::string& cwd) {
    const std::string err_path = cwd + "/stderr.txt";
    const std::string cmd =
        "cd '" + cwd + "' && '" + std::string(TB_CLI_PATH) + "' " + args + " 2>'" + err_path + "'";
    CliRun r{};
    FILE* p = ::popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int st = ::pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    auto e = tb::read_file(err_path);
    if (e.ok()) r.err = e.value();
    return r;
}

}  // namespace

TEST(ExportCli, GgufAndGgufLoraInTheStudyLayout) {
    const std::string tok = tbtest::shared_dir() + "/data/llama2-tokenizer.model";
    if (!fs::exists(tok)) GTEST_SKIP() << "no Llama-2 tokenizer";
    const std::string root = tbtest::scratch_dir("export_cli");
    tb::LlamaConfig c;
    c.vocab_size = 32000;
    c.hidden_size = 256;
    c.intermediate_size = 512;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 4;
    c.head_dim = 64;
    c.eos_token_ids = {2};
    tb::LoadOptions lo;
    tb::LlamaModel m = tb::init_llama(c, 4, 0.02, lo);
    const std::string model = root + "/TinyBase";
    ASSERT_TRUE(tb::save_llama_model(m, model, at::kFloat).ok());
    fs::create_symlink(tok, fs::path(model) / "tokenizer.model");
    tb::LoraSettings s;
    s.r = 2;
    s.alpha = 4;
    s.target_modules = {"q_proj", "v_proj"};
    for (auto& l : m.layers) {
        for (const auto& name : s.target_modules) {
            auto* p = l.projection(name);
            p->lora.A = at::randn({2, p->in_features()}) * 0.1;
            p->lora.B = at::randn({p->out_features(), 2}) * 0.1;
            p->lora.scale = 2.0;
        }
    }
    ASSERT_TRUE(tb::save_peft_adapter(m, s, root + "/runs/7/adapter").ok());

    // Default output: outputs/ollama/ under the working folder, adapter merged, q4_k_m.
    CliRun r = cli("export --model '" + model + "' --adapter '" + root +
                       "/runs/7/adapter' --quant q4_k_m --name tinyllama-finetuned",
                   root);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(root + "/outputs/ollama/tinyllama-finetuned.gguf"));
    EXPECT_TRUE(fs::exists(root + "/outputs/ollama/Modelfile"));
    EXPECT_NE(r.out.find("ollama create tinyllama-finetuned -f outputs/ollama/Modelfile"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.err.find("[writing"), std::string::npos);  // the progress bar
    auto g = tb::gguf::Reader::open(root + "/outputs/ollama/tinyllama-finetuned.gguf");
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g.value()->get_uint("general.file_type").value(), 15u);

    r = cli("export --model '" + model + "' --adapter '" + root +
                "/runs/7/adapter' --format gguf-lora --quant f16 --out lora",
            root);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(root + "/lora/tinybase-7-lora.gguf")) << r.out;
    auto mf = tb::read_file(root + "/lora/Modelfile");
    ASSERT_TRUE(mf.ok());
    EXPECT_NE(mf.value().find("ADAPTER ./tinybase-7-lora.gguf"), std::string::npos) << mf.value();

    r = cli("export --model '" + model + "' --quant q2_k", root);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--quant: unknown type 'q2_k'"), std::string::npos) << r.err;
    r = cli("export --model '" + root + "/nowhere'", root);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("not a model folder"), std::string::npos) << r.err;
}
