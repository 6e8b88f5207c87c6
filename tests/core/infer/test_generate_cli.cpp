// `tunebench-cli generate` on bad settings and broken models: each probe of issue 10 ends in one
// clear line on stderr and exit code 2, before any weight is loaded where the settings alone
// are wrong (max_new_tokens far beyond the context, 2^63-1, NaN sampling values), and with the
// step named where the model's logits are not finite.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "tests/core/model/tiny_llama_folder.h"
#include "tests/test_paths.h"

namespace {

struct RunResult {
    int exit_code = -1;
    std::string out, err;
};

RunResult run_cli(const std::string& args, const std::string& dir) {
    const std::string err_path = dir + "/stderr.txt";
    const std::string cmd = std::string("'") + TB_CLI_PATH + "' " + args + " 2>'" + err_path + "'";
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err_path);
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    return r;
}

int64_t lines(const std::string& s) {
    int64_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

tb::LlamaConfig tiny_config() {
    tb::LlamaConfig c;
    c.vocab_size = 64;
    c.hidden_size = 16;
    c.intermediate_size = 32;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 1;
    c.head_dim = 8;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 128;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

std::string model_folder(const std::string& name, float weight_scale) {
    const std::string dir = tbtest::scratch_dir(name);
    tbtest::TinyLlamaOptions opt;
    opt.seed = 4;
    opt.weight_scale = weight_scale;
    tb::Status st = tbtest::write_tiny_llama_folder(dir, tiny_config(), opt);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return dir;
}

TEST(GenerateCli, BadSettingsGetOneLineAndExit2) {
    const std::string model = model_folder("generate_cli_model", 0.05f);
    const std::string dir = tbtest::scratch_dir("generate_cli_probes");
    const std::string base = "generate --model '" + model + "' --ids 1,5,7 ";
    struct Probe {
        std::string args, expect;
    };
    const std::vector<Probe> probes = {
        {"--max-new-tokens 1000000000", "--max-new-tokens: must be in [0, 128]"},
        {"--max-new-tokens 9223372036854775807", "--max-new-tokens: must be in [0, 128]"},
        {"--temperature nan", "--temperature: must be a finite number > 0"},
        {"--top-p nan", "--top-p: must be in (0, 1]"},
        {"--repetition-penalty nan", "--repetition-penalty: must be a finite number > 0"},
        {"--greedy --repetition-penalty inf", "--repetition-penalty: must be a finite number"},
    };
    for (const auto& p : probes) {
        SCOPED_TRACE(p.args);
        const RunResult r = run_cli(base + p.args, dir);
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_EQ(lines(r.err), 1) << r.err;
        EXPECT_NE(r.err.find(p.expect), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    // The same model and settings within bounds generate.
    const RunResult ok = run_cli(base + "--max-new-tokens 128 --json", dir);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("\"ids\""), std::string::npos) << ok.out;
}

// --engine picks the inference core's engine: an unknown one is one line and exit 2 before
// anything is loaded; the default is eager, whose greedy ids --engine eager reproduces.
TEST(GenerateCli, EngineFlag) {
    const std::string model = model_folder("generate_cli_engine_model", 0.05f);
    const std::string dir = tbtest::scratch_dir("generate_cli_engine");
    const std::string base = "generate --model '" + model + "' --ids 1,5,7 --max-new-tokens 6 ";
    const RunResult bad = run_cli(base + "--engine bogus", dir);
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_EQ(lines(bad.err), 1) << bad.err;
    EXPECT_NE(bad.err.find("--engine: unknown engine 'bogus' (engines: eager, graph, quant, "
                           "paged; available here: eager"),
              std::string::npos)
        << bad.err;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
    const RunResult plain = run_cli(base + "--json", dir);
    const RunResult eager = run_cli(base + "--engine eager --json", dir);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    ASSERT_EQ(eager.exit_code, 0) << eager.err;
    const size_t at = plain.out.find("\"ids\"");
    ASSERT_NE(at, std::string::npos) << plain.out;
    const std::string ids = plain.out.substr(at, plain.out.find(']', at) - at);
    EXPECT_NE(eager.out.find(ids), std::string::npos) << plain.out << "\n" << eager.out;
}

TEST(GenerateCli, NanWeightsAreReportedNotDecoded) {
    const std::string model =
        model_folder("generate_cli_nan_model", std::numeric_limits<float>::quiet_NaN());
    const std::string dir = tbtest::scratch_dir("generate_cli_nan");
    const RunResult r =
        run_cli("generate --model '" + model + "' --ids 1,5,7 --max-new-tokens 8", dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("new token 1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not finite"), std::string::npos) << r.err;
}

}  // namespace
