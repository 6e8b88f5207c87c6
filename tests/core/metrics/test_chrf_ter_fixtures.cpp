// chrF, chrF++ and TER against sacrebleu 2.6, on tests/fixtures/metrics/chrf_ter.json made on
// the GPU machine by tests/fixtures/gen/gen_chrf_ter_fixtures.py: 300 Dolly items (the BLEU
// fixture's hypotheses) with one, two and a varying number (2-3) of references, long lines (up
// to 1323 words, including the shift-candidate cap and the widened beam) and literal edge
// cases (empty hypothesis/reference, punctuation only, accents, CJK, Greek final sigma, ...).
//
// Tolerance: scores are on 0-100 and are computed with the same floating-point operations as
// sacrebleu from integer statistics, so they agree to the last bits; 1e-6 (the bound)
// leaves room for the one float sum (TER's average reference lengths) only. The integer
// statistics (chrF n-gram counts, TER edits) must agree exactly.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/metrics/chrf.h"
#include "core/metrics/ter.h"
#include "tests/core/metrics/fixture_recipes.h"
#include "tests/test_paths.h"

using namespace tb::metrics;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-6;

struct Case {
    std::string name;
    std::string hyp;
    std::vector<std::string> refs;
};

struct Fixture {
    json root;
    std::map<std::string, std::vector<Case>> sets;  // single, multi2, multi3, long, edge
};

bool load_fixture(Fixture* f) {
    const std::string path = tbtest::fixtures_dir() + "/metrics/chrf_ter.json";
    std::ifstream in(path);
    if (!in) {
        ADD_FAILURE() << "fixture missing: " << path
                      << "\nGenerate it on the GPU machine with\n  python3 "
                         "tests/fixtures/gen/gen_chrf_ter_fixtures.py --dolly "
                         "<dolly-sample.jsonl> --out tests/fixtures/metrics/chrf_ter.json";
        return false;
    }
    f->root = json::parse(in, nullptr, false);
    if (f->root.is_discarded()) {
        ADD_FAILURE() << path << ": invalid JSON";
        return false;
    }
    json bleu;
    std::ifstream bin(tbtest::fixtures_dir() + "/metrics/bleu.json");
    bleu = json::parse(bin, nullptr, false);
    if (bleu.is_discarded() || !bleu.contains("hyp_recipes")) {
        ADD_FAILURE() << "tests/fixtures/metrics/bleu.json (hypothesis recipes) unreadable";
        return false;
    }
    const std::string dolly = tbtest::shared_dir() + "/data/dolly-sample.jsonl";
    try {
        const tbtest::DollySample sample = tbtest::load_dolly_sample(dolly);
        const auto& lines = sample.responses;
        const size_t n = f->root.at("n").get<size_t>();
        for (size_t i = 0; i < n; ++i) {
            const std::string hyp = tbtest::apply_recipe(bleu.at("hyp_recipes").at(i), lines);
            const std::string ref2 = tbtest::apply_recipe(bleu.at("ref2_recipes").at(i), lines);
            const std::string item = "item " + std::to_string(i);
            f->sets["single"].push_back({item, hyp, {lines.at(i)}});
            f->sets["multi2"].push_back({item, hyp, {lines.at(i), ref2}});
            std::vector<std::string> r3 = {lines.at(i), ref2};
            const json& rec3 = f->root.at("ref3_recipes").at(i);
            if (!rec3.is_null()) r3.push_back(tbtest::apply_recipe(rec3, lines));
            f->sets["multi3"].push_back({item, hyp, r3});
        }
        for (const json& c : f->root.at("long_cases")) {
            Case k{c.at("name").get<std::string>(), tbtest::apply_recipe(c.at("hyp"), lines), {}};
            for (const json& r : c.at("refs")) k.refs.push_back(tbtest::apply_recipe(r, lines));
            f->sets["long"].push_back(k);
        }
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot rebuild the fixture texts from " << dolly << ": " << e.what();
        return false;
    }
    for (const json& c : f->root.at("edge_cases"))
        f->sets["edge"].push_back({c.at("name").get<std::string>(), c.at("hyp").get<std::string>(),
                                   c.at("refs").get<std::vector<std::string>>()});
    return true;
}

const json* section(const Fixture& f, const std::string& key, const std::string& metric) {
    if (!f.root.contains(key) || !f.root[key].contains(metric)) {
        ADD_FAILURE() << "fixture section " << key << "." << metric << " is absent";
        return nullptr;
    }
    const json& s = f.root[key][metric];
    if (s.is_object() && s.contains("error")) {
        ADD_FAILURE() << key << "." << metric << " recorded a generator error:\n" << s["error"];
        return nullptr;
    }
    return &s;
}

std::vector<std::vector<std::string>> refs_of(const std::vector<Case>& cases) {
    std::vector<std::vector<std::string>> out;
    for (const auto& c : cases) out.push_back(c.refs);
    return out;
}
std::vector<std::string> hyps_of(const std::vector<Case>& cases) {
    std::vector<std::string> out;
    for (const auto& c : cases) out.push_back(c.hyp);
    return out;
}

const char* kSets[] = {"single", "multi2", "multi3", "long", "edge"};

void check_chrf(const char* metric, const ChrfOptions& opts) {
    Fixture f;
    if (!load_fixture(&f)) return;
    double worst = 0;
    for (const char* set : kSets) {
        const std::vector<Case>& cases = f.sets[set];
        if (const json* s = section(f, std::string("sentence_") + set, metric)) {
            ASSERT_EQ(s->size(), cases.size()) << set;
            for (size_t i = 0; i < cases.size(); ++i) {
                const std::string where = std::string(set) + " " + cases[i].name;
                const json& want = (*s)[i];
                ASSERT_FALSE(want.contains("error")) << where << ": " << want["error"];
                auto st = chrf_segment_stats(cases[i].hyp, cases[i].refs, opts);
                ASSERT_TRUE(st.ok()) << where << ": " << st.error().message;
                if (want.contains("stats")) {
                    EXPECT_EQ(st->counts, want["stats"].get<std::vector<int64_t>>()) << where;
                }
                auto got = sentence_chrf(cases[i].hyp, cases[i].refs, opts);
                ASSERT_TRUE(got.ok()) << where;
                EXPECT_NEAR(*got, want["score"].get<double>(), kTol) << where;
                worst = std::max(worst, std::abs(*got - want["score"].get<double>()));
            }
        }
        if (const json* c = section(f, std::string("corpus_") + set, metric)) {
            auto got = corpus_chrf(hyps_of(cases), refs_of(cases), opts);
            ASSERT_TRUE(got.ok()) << set << ": " << got.error().message;
            EXPECT_NEAR(*got, (*c)["score"].get<double>(), kTol) << "corpus " << set;
            worst = std::max(worst, std::abs(*got - (*c)["score"].get<double>()));
            // The additive form used by the bootstrap reproduces the corpus value.
            std::vector<ChrfStats> stats;
            for (const auto& k : cases) stats.push_back(*chrf_segment_stats(k.hyp, k.refs, opts));
            EXPECT_NEAR(chrf_metric(stats, opts).value(), *got, 1e-12) << set;
        }
    }
    std::cout << metric << ": largest |C++ - sacrebleu| = " << worst << std::endl;
}

}  // namespace

TEST(ChrfTerFixtures, ChrfMatchesSacrebleu) { check_chrf("chrf", ChrfOptions::chrf()); }

TEST(ChrfTerFixtures, ChrfPlusPlusMatchesSacrebleu) {
    check_chrf("chrfpp", ChrfOptions::chrf_plus_plus());
}

TEST(ChrfTerFixtures, TerMatchesSacrebleu) {
    Fixture f;
    if (!load_fixture(&f)) return;
    std::cout << "sacrebleu version in fixture: " << f.root.value("sacrebleu_version", json())
              << std::endl;
    double worst = 0;
    for (const char* set : kSets) {
        const std::vector<Case>& cases = f.sets[set];
        if (const json* s = section(f, std::string("sentence_") + set, "ter")) {
            ASSERT_EQ(s->size(), cases.size()) << set;
            for (size_t i = 0; i < cases.size(); ++i) {
                const std::string where = std::string(set) + " " + cases[i].name;
                const json& want = (*s)[i];
                ASSERT_FALSE(want.contains("error")) << where << ": " << want["error"];
                auto st = ter_segment_stats(cases[i].hyp, cases[i].refs);
                ASSERT_TRUE(st.ok()) << where << ": " << st.error().message;
                EXPECT_EQ(st->edits, want["num_edits"].get<double>()) << where;
                EXPECT_NEAR(st->ref_length, want["ref_length"].get<double>(), 1e-12) << where;
                auto got = sentence_ter(cases[i].hyp, cases[i].refs);
                ASSERT_TRUE(got.ok()) << where;
                EXPECT_NEAR(*got, want["score"].get<double>(), kTol) << where;
                worst = std::max(worst, std::abs(*got - want["score"].get<double>()));
            }
        }
        if (const json* c = section(f, std::string("corpus_") + set, "ter")) {
            std::vector<TerStats> stats;
            for (const auto& k : cases) {
                auto st = ter_segment_stats(k.hyp, k.refs);
                ASSERT_TRUE(st.ok()) << set << " " << k.name;
                stats.push_back(*st);
            }
            TerStats sum;
            for (const auto& s : stats) sum += s;
            EXPECT_EQ(sum.edits, (*c)["num_edits"].get<double>()) << "corpus " << set;
            auto got = corpus_ter(hyps_of(cases), refs_of(cases));
            ASSERT_TRUE(got.ok()) << set << ": " << got.error().message;
            EXPECT_NEAR(*got, (*c)["score"].get<double>(), kTol) << "corpus " << set;
            worst = std::max(worst, std::abs(*got - (*c)["score"].get<double>()));
            EXPECT_NEAR(ter_metric(stats).value(), *got, 1e-12) << set;
        }
    }
    std::cout << "ter: largest |C++ - sacrebleu| = " << worst << std::endl;
}
