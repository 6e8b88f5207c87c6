// BERTScore against tests/fixtures/bertscore/ (made on the GPU machine by
// tests/fixtures/gen/gen_bertscore_fixtures.py): toy random-weight RoBERTa and BERT folders, a
// step-by-step transcription of bert_score 0.3.13, and the HF `tokenizers` outputs.
// Tolerance 1e-5 on P/R/F as required by the evaluation issue.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/bertscore/bert_encoder.h"
#include "core/bertscore/bertscore.h"
#include "core/bertscore/text_tokenizers.h"
#include "tests/test_paths.h"

using namespace tb::bertscore;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-5;

std::string fixture_dir() { return tbtest::fixtures_dir() + "/bertscore"; }

// Loads bertscore.json or fails the calling test with instructions.
bool load(json* out) {
    const std::string path = fixture_dir() + "/bertscore.json";
    std::ifstream in(path);
    if (!in) {
        ADD_FAILURE() << "BERTScore fixture missing: " << path
                      << "\nGenerate it on the GPU machine with\n  python3 "
                         "tests/fixtures/gen/gen_bertscore_fixtures.py tests/fixtures/bertscore";
        return false;
    }
    try {
        *out = json::parse(in);
    } catch (const std::exception& e) {
        ADD_FAILURE() << path << ": invalid JSON: " << e.what();
        return false;
    }
    return true;
}

bool section_ok(const json& root, const std::string& key) {
    if (!root.contains(key)) {
        ADD_FAILURE() << "fixture section '" << key << "' is absent";
        return false;
    }
    const json& s = root.at(key);
    if (s.is_object() && s.contains("error")) {
        ADD_FAILURE() << "fixture section '" << key << "' recorded a generator error:\n"
                      << s.at("error").get<std::string>();
        return false;
    }
    return true;
}

void check_sent_encode(const json& root, const std::string& model) {
    if (!section_ok(root, model + "_tokens")) return;
    auto enc = SentenceEncoder::load(fixture_dir() + "/" + model);
    ASSERT_TRUE(enc.ok()) << enc.error().message;
    const json& t = root[model + "_tokens"];
    EXPECT_EQ((*enc)->cls_id(), t["cls"].get<int64_t>());
    EXPECT_EQ((*enc)->sep_id(), t["sep"].get<int64_t>());
    EXPECT_EQ((*enc)->pad_id(), t["pad"].get<int64_t>());
    for (const auto& [texts, ids] : {std::make_pair("sentences", "sent_encode"),
                                     std::make_pair("extra", "extra_sent_encode")}) {
        for (size_t i = 0; i < t[texts].size(); ++i) {
            const std::string s = t[texts][i].get<std::string>();
            EXPECT_EQ((*enc)->sent_encode(s), t[ids][i].get<std::vector<int64_t>>())
                << model << " sent_encode of " << json(s).dump();
        }
    }
}

}  // namespace

TEST(BertScoreFixtures, RobertaSentEncodeMatchesHfTokenizers) {
    json root;
    if (load(&root)) check_sent_encode(root, "roberta");
}

TEST(BertScoreFixtures, BertSentEncodeMatchesHfTokenizers) {
    json root;
    if (load(&root)) check_sent_encode(root, "bert");
}

TEST(BertScoreFixtures, Gpt2PretokenizerMatchesByteLevel) {
    json root;
    if (!load(&root) || !section_ok(root, "gpt2_pretokenize")) return;
    const json& g = root["gpt2_pretokenize"];
    for (size_t i = 0; i < g["inputs"].size(); ++i) {
        const std::string s = g["inputs"][i].get<std::string>();
        std::vector<std::string> got;
        for (const auto& piece : gpt2_pretokenize(s)) got.push_back(gpt2_byte_encode(piece));
        EXPECT_EQ(got, g["pieces"][i].get<std::vector<std::string>>()) << json(s).dump();
    }
}

TEST(BertScoreFixtures, BertBasicTokenizerMatchesBertPreTokenizer) {
    json root;
    if (!load(&root) || !section_ok(root, "bert_pretokenize")) return;
    const json& g = root["bert_pretokenize"];
    for (size_t i = 0; i < g["inputs"].size(); ++i) {
        const std::string s = g["inputs"][i].get<std::string>();
        EXPECT_EQ(bert_basic_tokenize(s, true), g["pieces"][i].get<std::vector<std::string>>())
            << json(s).dump();
    }
}

TEST(BertScoreFixtures, EncoderHiddenStatesMatchTransformers) {
    json root;
    if (!load(&root)) return;
    for (const std::string model : {"roberta", "bert"}) {
        if (!section_ok(root, model + "_probes")) continue;
        auto enc = BertEncoder::load(fixture_dir() + "/" + model, torch::kCPU);
        ASSERT_TRUE(enc.ok()) << enc.error().message;
        for (const json& p : root[model + "_probes"]) {
            const auto ids = p["ids"].get<std::vector<int64_t>>();
            const auto n = static_cast<int64_t>(ids.size());
            const auto t = torch::tensor(ids, torch::kLong).view({1, n});
            const auto hs =
                enc->forward(t, torch::ones({1, n}, torch::kLong), enc->config().num_hidden_layers);
            ASSERT_EQ(hs.size(), p["hidden_sum"].size());
            for (size_t l = 0; l < hs.size(); ++l) {
                const auto want = p["hidden_first3_tokens_first8"][l];
                for (int64_t k = 0; k < std::min<int64_t>(3, n); ++k)
                    for (int64_t d = 0; d < 8; ++d)
                        EXPECT_NEAR(hs[l][0][k][d].item<float>(), want[k][d].get<double>(), 1e-4)
                            << model << " layer " << l << " token " << k << " dim " << d;
                const double sum = p["hidden_sum"][l].get<double>();
                EXPECT_NEAR(hs[l].to(torch::kDouble).sum().item<double>(), sum,
                            1e-4 * std::max(1.0, std::abs(sum)))
                    << model << " layer " << l;
            }
        }
    }
}

TEST(BertScoreFixtures, ScoresMatchBertScoreTranscription) {
    json root;
    if (!load(&root) || !section_ok(root, "runs")) return;
    std::vector<std::string> cands;
    std::vector<std::vector<std::string>> refs;
    for (const json& it : root["items"]) {
        cands.push_back(it["cand"].get<std::string>());
        refs.push_back(it["refs"].get<std::vector<std::string>>());
    }
    ASSERT_FALSE(root["runs"].empty());
    for (const json& run : root["runs"]) {
        const std::string where = run.dump().substr(0, 160);
        const json& want = run["result"];
        if (want.contains("error")) {
            ADD_FAILURE() << "generator error in run " << where << ":\n" << want["error"];
            continue;
        }
        BertScoreOptions o;
        o.model_dir = fixture_dir() + "/" + run["model"].get<std::string>();
        o.num_layers = run["num_layers"].get<int>();
        o.idf = run["idf"].get<bool>();
        o.rescale_with_baseline = run["rescale_with_baseline"].get<bool>();
        if (o.rescale_with_baseline)
            o.baseline_path = fixture_dir() + "/" + run["baseline"].get<std::string>();
        o.batch_size = run["batch_size"].get<int>();
        auto got = bert_score(cands, refs, o);
        ASSERT_TRUE(got.ok()) << got.error().message;
        ASSERT_EQ(got->f1.size(), cands.size());
        for (size_t i = 0; i < cands.size(); ++i) {
            EXPECT_NEAR(got->precision[i], want["P"][i].get<double>(), kTol)
                << where << " item " << i;
            EXPECT_NEAR(got->recall[i], want["R"][i].get<double>(), kTol) << where << " item " << i;
            EXPECT_NEAR(got->f1[i], want["F"][i].get<double>(), kTol) << where << " item " << i;
        }
        EXPECT_NEAR(got->precision_mean, want["P_mean"].get<double>(), kTol) << where;
        EXPECT_NEAR(got->recall_mean, want["R_mean"].get<double>(), kTol) << where;
        EXPECT_NEAR(got->f1_mean, want["F_mean"].get<double>(), kTol) << where;
    }
}

TEST(BertScore, OptionErrorsAreReported) {
    BertScoreOptions o;
    o.model_dir = tbtest::scratch_dir("bertscore_empty");
    auto r = bert_score({"a"}, {{"a"}, {"b"}}, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("different number"), std::string::npos);
    r = bert_score({"a"}, {{}}, o);
    ASSERT_FALSE(r.ok());
    r = bert_score({"a"}, {{"a"}}, o);  // folder name not in model2layers, no num_layers
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("model2layers"), std::string::npos) << r.error().message;
    o.num_layers = 1;
    r = bert_score({"a"}, {{"a"}}, o);  // no tokenizer/model files
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(default_num_layers("roberta-large"), 17);
    EXPECT_EQ(default_num_layers("bert-base-uncased"), 9);
    EXPECT_EQ(default_num_layers("no-such-model"), -1);
}
