// `tunebench-cli metrics` with chrF, chrF++, TER and BERTScore: values equal to the library's
// (themselves checked against sacrebleu in test_chrf_ter_fixtures) and, for BERTScore, to the
// bert_score transcription's per-item P/R/F in tests/fixtures/bertscore/bertscore.json, for
// every run recorded there (idf, baseline rescaling, layers, batch sizes); plus the argument
// errors (one line, exit code 2).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/metrics/chrf.h"
#include "core/metrics/ter.h"
#include "tests/test_paths.h"

using nlohmann::json;

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

void write_lines(const std::string& path, const std::vector<json>& lines) {
    std::ofstream f(path);
    for (const auto& l : lines) f << l.dump() << "\n";
}

const std::vector<std::string> kHyps = {"The cat sat on the mat.",
                                        "A quick brown fox jumps over the dog", "",
                                        "Paris is the capital of France.", "ÉCOLE d'été, 東京"};
const std::vector<std::vector<std::string>> kRefs = {
    {"The cat is sitting on the mat.", "A cat sat on a mat."},
    {"The quick brown fox jumps over the lazy dog"},
    {"Something was expected here."},
    {"The capital of France is Paris."},
    {"école d'été à Tokyo", "東京"}};

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST(MetricsCliMore, ChrfChrfppTerMatchTheLibrary) {
    const std::string dir = tbtest::scratch_dir("metrics_cli_chrf_ter");
    std::vector<json> p(kHyps.begin(), kHyps.end()), r;
    for (const auto& refs : kRefs) r.push_back(refs);
    write_lines(dir + "/p.jsonl", p);
    write_lines(dir + "/r.jsonl", r);
    const RunResult a =
        run_cli("metrics --predictions " + quoted(dir + "/p.jsonl") + " --references " +
                    quoted(dir + "/r.jsonl") + " --metrics chrf,chrfpp,ter --json --bootstrap 200",
                dir);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const json j = json::parse(a.out);
    EXPECT_FALSE(j.contains("bleu"));
    using namespace tb::metrics;
    for (const auto& [key, opts] : {std::pair{"chrf", ChrfOptions::chrf()},
                                    std::pair{"chrfpp", ChrfOptions::chrf_plus_plus()}}) {
        ASSERT_TRUE(j.contains(key)) << key;
        EXPECT_DOUBLE_EQ(j[key]["score"].get<double>(), *corpus_chrf(kHyps, kRefs, opts)) << key;
        ASSERT_EQ(j[key]["per_item"].size(), kHyps.size());
        for (size_t i = 0; i < kHyps.size(); ++i)
            EXPECT_DOUBLE_EQ(j[key]["per_item"][i].get<double>(),
                             *sentence_chrf(kHyps[i], kRefs[i], opts))
                << key << " item " << i;
        const auto ci = j[key]["ci95"].get<std::vector<double>>();
        EXPECT_LE(ci[0], ci[1]);
    }
    EXPECT_DOUBLE_EQ(j["ter"]["score"].get<double>(), *corpus_ter(kHyps, kRefs));
    for (size_t i = 0; i < kHyps.size(); ++i)
        EXPECT_DOUBLE_EQ(j["ter"]["per_item"][i].get<double>(), *sentence_ter(kHyps[i], kRefs[i]));
    // The empty hypothesis: chrF 0, TER 100 (every reference word inserted).
    EXPECT_EQ(j["chrf"]["per_item"][2].get<double>(), 0.0);
    EXPECT_EQ(j["ter"]["per_item"][2].get<double>(), 100.0);

    const RunResult t =
        run_cli("metrics --predictions " + quoted(dir + "/p.jsonl") + " --references " +
                    quoted(dir + "/r.jsonl") + " --metrics bleu,chrfpp,ter --bootstrap 20",
                dir);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("chrfpp"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("ter"), std::string::npos) << t.out;
}

TEST(MetricsCliMore, BertScoreMatchesTheBertScoreFixtureRuns) {
    const std::string fixdir = tbtest::fixtures_dir() + "/bertscore";
    std::ifstream in(fixdir + "/bertscore.json");
    ASSERT_TRUE(in) << "missing " << fixdir << "/bertscore.json";
    const json root = json::parse(in);
    ASSERT_TRUE(root.contains("runs") && root["runs"].is_array() && !root["runs"].empty());
    const std::string dir = tbtest::scratch_dir("metrics_cli_bertscore");
    std::vector<json> p, r;
    for (const json& it : root["items"]) {
        p.push_back(it["cand"]);
        r.push_back(it["refs"]);
    }
    write_lines(dir + "/p.jsonl", p);
    write_lines(dir + "/r.jsonl", r);
    // The fixture's P/R/F are float32 from the transcription: 1e-5 as the BERTScore tests.
    constexpr double kTol = 1e-5;
    for (const json& run : root["runs"]) {
        std::string args = "metrics --predictions " + quoted(dir + "/p.jsonl") + " --references " +
                           quoted(dir + "/r.jsonl") +
                           " --metrics bertscore --json --bootstrap 0 --bertscore-model " +
                           quoted(fixdir + "/" + run["model"].get<std::string>()) +
                           " --bertscore-layer " + std::to_string(run["num_layers"].get<int>()) +
                           " --batch-size " + std::to_string(run["batch_size"].get<int>());
        if (run["idf"].get<bool>()) args += " --idf";
        if (run["rescale_with_baseline"].get<bool>())
            args += " --rescale-with-baseline --baseline " +
                    quoted(fixdir + "/" + run["baseline"].get<std::string>());
        const std::string where = run.dump();
        const RunResult a = run_cli(args, dir);
        ASSERT_EQ(a.exit_code, 0) << where << "\n" << a.err;
        const json j = json::parse(a.out);
        for (const auto& [key, col] :
             {std::pair{"bertscore_precision", "P"}, std::pair{"bertscore_recall", "R"},
              std::pair{"bertscore_f1", "F"}}) {
            ASSERT_TRUE(j.contains(key)) << key;
            const json& want = run["result"][col];
            ASSERT_EQ(j[key]["per_item"].size(), want.size()) << key;
            for (size_t i = 0; i < want.size(); ++i)
                EXPECT_NEAR(j[key]["per_item"][i].get<double>(), want[i].get<double>(), kTol)
                    << where << " " << key << " item " << i;
            EXPECT_NEAR(j[key]["score"].get<double>(),
                        run["result"][std::string(col) + "_mean"].get<double>(), kTol)
                << where << " " << key;
        }
    }
}

TEST(MetricsCliMore, BertScoreArgumentErrorsAreOneLineWithExitCode2) {
    const std::string dir = tbtest::scratch_dir("metrics_cli_bertscore_errors");
    write_lines(dir + "/p.jsonl", {"a b", "c"});
    write_lines(dir + "/r.jsonl", {"a b", "d"});
    const std::string io = "metrics --predictions " + quoted(dir + "/p.jsonl") + " --references " +
                           quoted(dir + "/r.jsonl") + " --metrics bertscore";
    const std::string bert = quoted(tbtest::fixtures_dir() + "/bertscore/bert");
    auto check = [&](const std::string& args, const std::string& needle) {
        const RunResult r = run_cli(args, dir);
        EXPECT_EQ(r.exit_code, 2) << args;
        EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    };
    check(io, "--bertscore-model");
    // "bert" is not in bert_score's model table: the layer must be given.
    check(io + " --bertscore-model " + bert, "num_layers");
    check(io + " --bertscore-model " + bert + " --bertscore-layer 2 --rescale-with-baseline",
          "--baseline");
    check(io + " --bertscore-model " + bert + " --bertscore-layer 2 --batch-size 0",
          "--batch-size");
    check(io + " --bertscore-model " + bert + " --bertscore-layer 9", "num_layers");
    check(io + " --bertscore-model " + quoted(dir) + " --bertscore-layer 2", dir);
}
