// BLEU and ROUGE against reference packages, on fixtures made on the GPU machine by
// tests/fixtures/gen/gen_metrics_fixtures.py (sacrebleu 2.x and torchmetrics' ROUGE, plus a
// marked Python transcription of rouge-score for rougeLsum / multi-reference, since rouge_score
// and nltk are not installed there). Tolerance 1e-6 as required by the evaluation issue.
// The fixtures hold no Dolly text (CC BY-SA): references come from ../shared/data and the
// hypotheses are rebuilt from their recipes (fixture_recipes.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/metrics/bleu.h"
#include "core/metrics/resampling.h"
#include "core/metrics/rouge.h"
#include "core/metrics/tokenizer_13a.h"
#include "tests/core/metrics/fixture_recipes.h"
#include "tests/test_paths.h"

using namespace tb::metrics;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-6;

std::string fixture_path(const std::string& name) {
    return tbtest::fixtures_dir() + "/metrics/" + name;
}

// Loads a fixture or fails the calling test with instructions.
bool load(const std::string& name, json* out) {
    const std::string path = fixture_path(name);
    std::ifstream in(path);
    if (!in) {
        ADD_FAILURE() << "metrics fixture missing: " << path
                      << "\nGenerate it on the GPU machine with\n  python3 "
                         "tests/fixtures/gen/gen_metrics_fixtures.py "
                         "../shared/data/dolly-sample.jsonl tests/fixtures/metrics";
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

// A required section: present and without a recorded generator error.
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

std::vector<std::string> strings(const json& j) { return j.get<std::vector<std::string>>(); }

void expect_bleu(const BleuScore& got, const json& want, const std::string& where) {
    EXPECT_NEAR(got.score, want.at("score").get<double>(), kTol) << where;
    EXPECT_NEAR(got.bp, want.at("bp").get<double>(), kTol) << where;
    EXPECT_EQ(got.sys_len, want.at("sys_len").get<int64_t>()) << where;
    EXPECT_EQ(got.ref_len, want.at("ref_len").get<int64_t>()) << where;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        EXPECT_EQ(got.counts[n], want.at("counts").at(n).get<int64_t>()) << where << " n=" << n + 1;
        EXPECT_EQ(got.totals[n], want.at("totals").at(n).get<int64_t>()) << where << " n=" << n + 1;
        EXPECT_NEAR(got.precisions[n], want.at("precisions").at(n).get<double>(), kTol)
            << where << " n=" << n + 1;
    }
}

// Texts of a format-2 fixture: references from the Dolly sample, hypotheses and second
// references rebuilt from recipes. Fails the calling test if anything is missing.
struct FixtureTexts {
    json root;
    std::vector<std::string> hyps, refs, refs2, cats;
};

bool load_texts(const std::string& name, FixtureTexts* d) {
    if (!load(name, &d->root)) return false;
    if (d->root.value("format", 1) != 2 || !d->root.contains("hyp_recipes")) {
        ADD_FAILURE() << name << ": expected fixture format 2 (recipes, no Dolly text); "
                      << "regenerate with tests/fixtures/gen/gen_metrics_fixtures.py";
        return false;
    }
    const std::string dolly = tbtest::shared_dir() + "/data/dolly-sample.jsonl";
    try {
        const tbtest::DollySample sample = tbtest::load_dolly_sample(dolly);
        const size_t n = d->root.at("n").get<size_t>();
        if (sample.responses.size() < n) {
            ADD_FAILURE() << dolly << " has " << sample.responses.size() << " records, fixture "
                          << name << " needs " << n;
            return false;
        }
        for (size_t i = 0; i < n; ++i) {
            d->refs.push_back(sample.responses[i]);
            d->cats.push_back(sample.categories[i]);
            d->hyps.push_back(
                tbtest::apply_recipe(d->root.at("hyp_recipes").at(i), sample.responses));
            d->refs2.push_back(
                tbtest::apply_recipe(d->root.at("ref2_recipes").at(i), sample.responses));
        }
    } catch (const std::exception& e) {
        ADD_FAILURE() << name << ": cannot rebuild texts from " << dolly << ": " << e.what();
        return false;
    }
    return true;
}

using BleuData = FixtureTexts;
bool load_bleu(BleuData* d) { return load_texts("bleu.json", d); }

std::vector<std::vector<std::string>> single(const std::vector<std::string>& refs) {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : refs) out.push_back({r});
    return out;
}

}  // namespace

TEST(MetricsFixtures, Tokenizer13aMatchesSacrebleu) {
    BleuData d;
    if (!load_bleu(&d) || !section_ok(d.root, "tokenizer_13a")) return;
    const json& t = d.root["tokenizer_13a"];
    const auto in = strings(t["inputs"]);
    const auto out = strings(t["outputs"]);
    ASSERT_EQ(in.size(), out.size());
    for (size_t i = 0; i < in.size(); ++i)
        EXPECT_EQ(tokenize_13a(in[i]), out[i]) << "input #" << i << ": " << json(in[i]).dump();
    // Dolly-derived inputs: only a fingerprint of sacrebleu's output is stored.
    std::vector<std::pair<std::string, std::string>> derived;
    for (const auto& k : t["hyp_items"])
        derived.emplace_back("hyp " + k.dump(), d.hyps.at(k.get<size_t>()));
    for (const auto& k : t["ref_items"])
        derived.emplace_back("ref " + k.dump(), d.refs.at(k.get<size_t>()));
    ASSERT_EQ(derived.size(), t["derived_outputs_fnv1a64"].size());
    for (size_t i = 0; i < derived.size(); ++i) {
        const std::string got = tokenize_13a(derived[i].second);
        EXPECT_EQ(got.size(), t["derived_outputs_len"][i].get<size_t>()) << derived[i].first;
        EXPECT_EQ(tbtest::fnv1a64_hex(got), t["derived_outputs_fnv1a64"][i].get<std::string>())
            << derived[i].first;
    }
}

TEST(MetricsFixtures, CorpusAndSentenceBleuMatchSacrebleu) {
    BleuData d;
    if (!load_bleu(&d)) return;
    std::cout << "sacrebleu version in fixture: "
              << d.root.value("sacrebleu_version", json()).dump() << std::endl;
    const auto refs = single(d.refs);
    if (section_ok(d.root, "corpus")) {
        auto c = corpus_bleu(d.hyps, refs);
        ASSERT_TRUE(c.ok()) << c.error().message;
        expect_bleu(*c, d.root["corpus"], "corpus");
    }
    if (section_ok(d.root, "sentence")) {
        const json& s = d.root["sentence"];
        ASSERT_EQ(s.size(), d.hyps.size());
        for (size_t i = 0; i < d.hyps.size(); ++i) {
            auto b = sentence_bleu(d.hyps[i], {d.refs[i]});
            ASSERT_TRUE(b.ok()) << b.error().message;
            expect_bleu(*b, s[i],
                        "sentence item " + std::to_string(i) + " (" +
                            d.root["kinds"][i].get<std::string>() + ")");
        }
    }
}

TEST(MetricsFixtures, MultiReferenceBleuMatchesSacrebleu) {
    BleuData d;
    if (!load_bleu(&d)) return;
    std::vector<std::vector<std::string>> refs;
    for (size_t i = 0; i < d.refs.size(); ++i) refs.push_back({d.refs[i], d.refs2[i]});
    if (section_ok(d.root, "multi_ref_corpus")) {
        auto c = corpus_bleu(d.hyps, refs);
        ASSERT_TRUE(c.ok()) << c.error().message;
        expect_bleu(*c, d.root["multi_ref_corpus"], "multi-ref corpus");
    }
    if (section_ok(d.root, "multi_ref_sentence")) {
        for (size_t i = 0; i < d.hyps.size(); ++i) {
            auto b = sentence_bleu(d.hyps[i], refs[i]);
            ASSERT_TRUE(b.ok()) << b.error().message;
            expect_bleu(*b, d.root["multi_ref_sentence"][i],
                        "multi-ref sentence item " + std::to_string(i));
        }
    }
}

TEST(MetricsFixtures, PerCategoryBleuMatchesSacrebleu) {
    BleuData d;
    if (!load_bleu(&d) || !section_ok(d.root, "per_category_corpus")) return;
    std::vector<BleuStats> stats;
    for (size_t i = 0; i < d.hyps.size(); ++i) {
        auto s = bleu_segment_stats(d.hyps[i], {d.refs[i]});
        ASSERT_TRUE(s.ok());
        stats.push_back(*s);
    }
    BootstrapOptions o;
    o.resamples = 50;
    auto cats = per_category(bleu_metric(stats), d.cats, o);
    ASSERT_TRUE(cats.ok()) << cats.error().message;
    const json& want = d.root["per_category_corpus"];
    ASSERT_EQ(cats->size(), want.size());
    for (const auto& c : *cats) {
        ASSERT_TRUE(want.contains(c.category)) << c.category;
        EXPECT_NEAR(c.ci.value, want[c.category]["score"].get<double>(), kTol) << c.category;
    }
}

TEST(MetricsFixtures, BleuEdgeCasesMatchSacrebleu) {
    BleuData d;
    if (!load_bleu(&d) || !section_ok(d.root, "edge_cases")) return;
    std::vector<std::string> hyps;
    std::vector<std::vector<std::string>> first_refs;
    for (const json& c : d.root["edge_cases"]["cases"]) {
        const std::string hyp = c["hyp"].get<std::string>();
        const auto refs = strings(c["refs"]);
        const std::string where = "edge case " + json(hyp).dump();
        auto s = sentence_bleu(hyp, refs);
        ASSERT_TRUE(s.ok());
        expect_bleu(*s, c["sentence"], where + " (sentence)");
        auto k = corpus_bleu({hyp}, {refs});
        ASSERT_TRUE(k.ok());
        expect_bleu(*k, c["corpus"], where + " (corpus)");
        hyps.push_back(hyp);
        first_refs.push_back({refs.at(0)});
    }
    auto all = corpus_bleu(hyps, first_refs);
    ASSERT_TRUE(all.ok());
    expect_bleu(*all, d.root["edge_cases"]["corpus_first_refs"], "edge cases as one corpus");
}

namespace {

using RougeData = FixtureTexts;
bool load_rouge(RougeData* d) { return load_texts("rouge.json", d); }

void expect_rouge_items(const RougeData& d, const json& section, const RougeOptions& opt,
                        const std::vector<RougeType>& types, const std::string& source) {
    for (size_t i = 0; i < d.hyps.size(); ++i) {
        const RougeScores s = rouge_score(d.refs[i], d.hyps[i], opt);
        for (RougeType t : types) {
            const char* name = rouge_type_name(t);
            EXPECT_NEAR(s.get(t).fmeasure, section.at(name).at(i).get<double>(), kTol)
                << source << " " << name << " item " << i << " ("
                << d.root["kinds"][i].get<std::string>() << ")";
        }
    }
}

}  // namespace

TEST(MetricsFixtures, RougeMatchesTorchmetrics) {
    RougeData d;
    if (!load_rouge(&d) || !section_ok(d.root, "torchmetrics")) return;
    std::cout << "torchmetrics version in fixture: "
              << d.root.value("torchmetrics_version", json()).dump() << std::endl;
    expect_rouge_items(d, d.root["torchmetrics"], {},
                       {RougeType::kRouge1, RougeType::kRouge2, RougeType::kRougeL},
                       "torchmetrics");
}

TEST(MetricsFixtures, StemmedRougeMatchesTorchmetricsWhenAvailable) {
    RougeData d;
    if (!load_rouge(&d)) return;
    const json& s = d.root.value("torchmetrics_stemmed", json());
    if (!s.is_object() || s.contains("error"))
        GTEST_SKIP() << "torchmetrics could not stem on the fixture machine (no nltk there); "
                        "the stemmer is covered by the NLTK word list in test_metrics";
    expect_rouge_items(d, s, RougeOptions{true},
                       {RougeType::kRouge1, RougeType::kRouge2, RougeType::kRougeL},
                       "torchmetrics stemmed");
}

TEST(MetricsFixtures, RougeMatchesRougeScoreTranscription) {
    RougeData d;
    if (!load_rouge(&d) || !section_ok(d.root, "transcription")) return;
    expect_rouge_items(
        d, d.root["transcription"], {},
        {RougeType::kRouge1, RougeType::kRouge2, RougeType::kRougeL, RougeType::kRougeLsum},
        "rouge-score transcription");
    if (section_ok(d.root, "transcription_multi_ref")) {
        const json& m = d.root["transcription_multi_ref"];
        for (size_t i = 0; i < d.hyps.size(); ++i) {
            std::vector<std::string> targets = {d.refs[i]};
            if (!d.refs2[i].empty()) targets.push_back(d.refs2[i]);
            auto s = rouge_score_multi(targets, d.hyps[i]);
            ASSERT_TRUE(s.ok());
            for (RougeType t : kAllRougeTypes)
                EXPECT_NEAR(s->get(t).fmeasure, m.at(rouge_type_name(t)).at(i).get<double>(), kTol)
                    << "multi-ref " << rouge_type_name(t) << " item " << i;
        }
    }
    if (section_ok(d.root, "tokenize")) {
        const auto in = strings(d.root["tokenize"]["inputs"]);
        const json& out = d.root["tokenize"]["outputs"];
        for (size_t i = 0; i < in.size(); ++i)
            EXPECT_EQ(rouge_tokenize(in[i], false), strings(out[i]))
                << "input " << json(in[i]).dump();
    }
}
