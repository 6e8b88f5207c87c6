// `tunebench-cli metrics` end to end: JSON shape, agreement with the library, seeded
// determinism, multi-reference lines, and the one-line error / exit code 2 convention.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/metrics/bleu.h"
#include "core/metrics/rouge.h"
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
                                        "Paris is the capital of France.", "two words"};
const std::vector<std::string> kRefs = {
    "The cat is sitting on the mat.", "The quick brown fox jumps over the lazy dog",
    "Something was expected here.", "The capital of France is Paris.", "two more words"};

}  // namespace

TEST(MetricsCli, JsonMatchesLibraryAndIsDeterministic) {
    const std::string dir = tbtest::scratch_dir("metrics_cli_json");
    std::vector<json> p(kHyps.begin(), kHyps.end()), r(kRefs.begin(), kRefs.end());
    write_lines(dir + "/p.jsonl", p);
    write_lines(dir + "/r.jsonl", r);
    const std::string args = "metrics --predictions '" + dir + "/p.jsonl' --references '" + dir +
                             "/r.jsonl' --metrics bleu,rouge --json --seed 3 --bootstrap 200";
    const RunResult a = run_cli(args, dir);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const json j = json::parse(a.out);

    std::vector<std::vector<std::string>> refs;
    for (const auto& s : kRefs) refs.push_back({s});
    auto corpus = tb::metrics::corpus_bleu(kHyps, refs);
    ASSERT_TRUE(corpus.ok());
    EXPECT_DOUBLE_EQ(j["bleu"]["score"].get<double>(), corpus->score);
    ASSERT_EQ(j["bleu"]["per_item"].size(), kHyps.size());
    for (size_t i = 0; i < kHyps.size(); ++i)
        EXPECT_DOUBLE_EQ(j["bleu"]["per_item"][i].get<double>(),
                         tb::metrics::sentence_bleu(kHyps[i], {kRefs[i]})->score);
    const auto ci = j["bleu"]["ci95"].get<std::vector<double>>();
    ASSERT_EQ(ci.size(), 2u);
    EXPECT_LE(ci[0], ci[1]);

    double sum = 0;
    for (size_t i = 0; i < kHyps.size(); ++i) {
        const double f = tb::metrics::rouge_score(kRefs[i], kHyps[i]).rougeL.fmeasure;
        EXPECT_DOUBLE_EQ(j["rougeL"]["per_item"][i].get<double>(), f);
        sum += f;
    }
    EXPECT_DOUBLE_EQ(j["rougeL"]["mean"].get<double>(), sum / kHyps.size());
    for (const char* k : {"rouge1", "rouge2", "rougeLsum"}) EXPECT_TRUE(j.contains(k)) << k;

    const RunResult b = run_cli(args, dir);
    EXPECT_EQ(a.out, b.out) << "same seed must give identical output";
}

TEST(MetricsCli, MultiReferenceLinesCategoriesAndComparison) {
    const std::string dir = tbtest::scratch_dir("metrics_cli_multi");
    std::vector<json> p(kHyps.begin(), kHyps.end()), other, r, cats;
    for (size_t i = 0; i < kRefs.size(); ++i) {
        r.push_back(json::array({kRefs[i], kHyps[i] + " extra"}));
        other.push_back("unrelated text number " + std::to_string(i));
        cats.push_back(i % 2 ? "odd" : "even");
    }
    write_lines(dir + "/p.jsonl", p);
    write_lines(dir + "/o.jsonl", other);
    write_lines(dir + "/r.jsonl", r);
    write_lines(dir + "/c.jsonl", cats);
    const RunResult a =
        run_cli("metrics --predictions '" + dir + "/p.jsonl' --references '" + dir +
                    "/r.jsonl' --categories '" + dir + "/c.jsonl' --compare-with '" + dir +
                    "/o.jsonl' --json --bootstrap 100",
                dir);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const json j = json::parse(a.out);
    auto multi = tb::metrics::sentence_bleu(kHyps[0], {kRefs[0], kHyps[0] + " extra"});
    EXPECT_DOUBLE_EQ(j["bleu"]["per_item"][0].get<double>(), multi->score);
    EXPECT_EQ(j["bleu"]["by_category"]["even"]["n"].get<int>(), 3);
    EXPECT_EQ(j["bleu"]["by_category"]["odd"]["n"].get<int>(), 2);
    EXPECT_GT(j["rouge1"]["paired"]["delta"].get<double>(), 0.0);
    const double pb = j["rouge1"]["paired"]["p_bootstrap"].get<double>();
    EXPECT_GT(pb, 0.0);
    EXPECT_LE(pb, 1.0);

    // readable table without --json
    const RunResult t = run_cli("metrics --predictions '" + dir + "/p.jsonl' --references '" + dir +
                                    "/r.jsonl' --bootstrap 50",
                                dir);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("rougeLsum"), std::string::npos);
    EXPECT_NE(t.out.find("95% CI"), std::string::npos);
}

TEST(MetricsCli, ErrorsAreOneLineWithExitCode2) {
    const std::string dir = tbtest::scratch_dir("metrics_cli_errors");
    write_lines(dir + "/two.jsonl", {"a", "b"});
    write_lines(dir + "/one.jsonl", {"a"});
    {
        std::ofstream f(dir + "/bad.jsonl");
        f << "\"a\"\n{\"x\": 1}\n";
    }
    auto check = [&](const std::string& args, const std::string& needle) {
        const RunResult r = run_cli(args, dir);
        EXPECT_EQ(r.exit_code, 2) << args;
        EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    };
    check("metrics --predictions '" + dir + "/two.jsonl' --references '" + dir + "/one.jsonl'",
          "line count mismatch");
    check("metrics --predictions '" + dir + "/two.jsonl' --references '" + dir + "/bad.jsonl'",
          "bad.jsonl:2:");
    check("metrics --predictions '" + dir + "/bad.jsonl' --references '" + dir + "/two.jsonl'",
          "bad.jsonl:2:");
    check("metrics --predictions '" + dir + "/two.jsonl' --references '" + dir +
              "/two.jsonl' --metrics bleu,meteor",
          "meteor");
    // Issue 10: 1e9 resamples ended in std::bad_alloc (8 GB of replicates reserved up front).
    check("metrics --predictions '" + dir + "/two.jsonl' --references '" + dir +
              "/two.jsonl' --bootstrap 1000000000",
          "--bootstrap: must be in [0, 1000000]");
}
