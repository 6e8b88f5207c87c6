// Where `bench infer` results are kept (core/infer/infer_bench_record.h): a result recorded in
// the store comes back whole from the rows alone (figures, load, HF's error, HF's rows),
// grouped by its bench run; rows written without a run (older CLI) group by consecutive equal
// config; JSON file names never collide; shapes by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/infer/infer_bench_record.h"
#include "core/store/store.h"
#include "tests/test_paths.h"

namespace {

using json = nlohmann::json;

json figure(double med, double lo, double hi) {
    return {{"median", med}, {"min", lo}, {"max", hi}};
}

json batch(int64_t b, double tps) {
    return {{"batch", b},
            {"ttft_ms", figure(3.5, 3.0, 4.0)},
            {"itl_p50_ms", figure(1.0, 0.9, 1.1)},
            {"itl_p90_ms", figure(1.2, 1.1, 1.3)},
            {"itl_p99_ms", figure(1.5, 1.4, 1.6)},
            {"e2e_s", figure(0.25, 0.2, 0.3)},
            {"tokens_per_s_request", figure(tps / static_cast<double>(b), 1, 1e6)},
            {"tokens_per_s_aggregate", figure(tps, tps * 0.9, tps * 1.1)},
            {"peak_rss_bytes", int64_t{123456789}}};
}

json result(bool hf_ok) {
    json r;
    r["config"] = {{"model", "random weights"},
                   {"layers", 4},
                   {"hidden", 256},
                   {"batch_sizes", {1, 8}},
                   {"prompts", 8},
                   {"prompt_len", 16},
                   {"max_new_tokens", 4},
                   {"device", "cpu"},
                   {"dtype", "float32"},
                   {"warmup", 1},
                   {"repeats", 2},
                   {"greedy", true}};
    r["engines"] = json::array();
    r["engines"].push_back({{"engine", "eager"},
                            {"load", {{"seconds", 0.5}, {"weight_bytes", 1000}}},
                            {"batches", {batch(1, 100), batch(8, 700)}}});
    if (hf_ok) {
        r["hf"] = {{"engine", "transformers"},
                   {"load", {{"seconds", 0.4}}},
                   {"batches", {batch(1, 90), batch(8, 600)}}};
    } else {
        r["hf"] = {{"error", "cannot import torch/transformers: No module named 'torch'"}};
    }
    return r;
}

TEST(InferBenchRecord, StoredResultComesBackWhole) {
    const std::string dir = tbtest::scratch_dir("infer_bench_record");
    auto st = tb::store::Store::open(dir + "/s.sqlite");
    ASSERT_TRUE(st.ok()) << st.error().message;
    const json a = result(false), b = result(true);
    auto ra = tb::infer::record_infer_bench(**st, a, "tiny", dir + "/results/benchmarks/a.json");
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    EXPECT_EQ(ra->row_ids.size(), 2u);  // eager x {1, 8}
    auto rb = tb::infer::record_infer_bench(**st, b, "/models/x");
    ASSERT_TRUE(rb.ok()) << rb.error().message;
    EXPECT_EQ(rb->row_ids.size(), 4u);  // HF and eager x {1, 8}
    EXPECT_NE(ra->run_id, rb->run_id);

    auto run = (*st)->get_run(ra->run_id);
    ASSERT_TRUE(run.ok() && run.value());
    EXPECT_EQ(run.value()->kind, "bench");
    EXPECT_EQ(run.value()->status, "completed");
    EXPECT_EQ(run.value()->output_dir, dir + "/results/benchmarks");

    auto rows = (*st)->benchmarks();
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 6u);
    EXPECT_EQ((*rows)[2].engine, "transformers");  // HF first within its run
    EXPECT_EQ((*rows)[0].engine, "tunebench eager");
    EXPECT_DOUBLE_EQ((*rows)[1].tokens_per_s, 700);
    EXPECT_DOUBLE_EQ((*rows)[1].latency_s, 0.25);
    EXPECT_EQ((*rows)[1].memory_bytes, 123456789);
    EXPECT_DOUBLE_EQ((*rows)[1].load_time_s, 0.5);

    auto stored = tb::infer::stored_infer_benches(**st);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    ASSERT_EQ(stored->size(), 2u);
    const auto& sa = (*stored)[0];
    EXPECT_EQ(sa.run_id, ra->run_id);
    EXPECT_EQ(sa.model, "tiny");
    EXPECT_EQ(sa.result["config"], a["config"]);
    EXPECT_EQ(sa.result["engines"], a["engines"]);
    EXPECT_EQ(sa.result["hf"], a["hf"]);  // the reason HF was not measured is kept
    const auto& sb = (*stored)[1];
    EXPECT_EQ(sb.result["engines"], b["engines"]);
    EXPECT_EQ(sb.result["hf"]["batches"], b["hf"]["batches"]);
    EXPECT_EQ(sb.result["hf"]["load"], b["hf"]["load"]);
}

TEST(InferBenchRecord, RowsWithoutRunGroupByConsecutiveConfig) {
    const std::string dir = tbtest::scratch_dir("infer_bench_record_legacy");
    auto st = tb::store::Store::open(dir + "/s.sqlite");
    ASSERT_TRUE(st.ok());
    // As the CLI wrote them before runs were recorded: config + kind, batch, figures.
    auto add = [&](int64_t b, int64_t prompt_len) {
        json cfg = result(false)["config"];
        cfg["prompt_len"] = prompt_len;
        cfg["kind"] = "infer";
        cfg["batch"] = b;
        cfg["figures"] = batch(b, 10.0 * static_cast<double>(b));
        tb::store::BenchmarkRow row;
        row.engine = "tunebench eager";
        row.model = "tiny";
        row.load_time_s = 0.7;
        row.config_json = cfg.dump();
        ASSERT_TRUE((*st)->add_benchmark(row).ok());
    };
    add(1, 16);
    add(8, 16);
    add(1, 32);                     // another benchmark (another prompt length)
    tb::store::BenchmarkRow train;  // a training benchmark: not listed
    train.engine = "tunebench fused";
    train.config_json = json{{"kind", "train"}}.dump();
    ASSERT_TRUE((*st)->add_benchmark(train).ok());
    auto stored = tb::infer::stored_infer_benches(**st);
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->size(), 2u);
    EXPECT_EQ((*stored)[0].run_id, 0);
    EXPECT_EQ((*stored)[0].row_ids.size(), 2u);
    EXPECT_EQ((*stored)[0].result["engines"][0]["batches"].size(), 2u);
    EXPECT_DOUBLE_EQ((*stored)[0].result["engines"][0]["load"]["seconds"].get<double>(), 0.7);
    EXPECT_EQ((*stored)[1].result["config"]["prompt_len"], 32);
}

TEST(InferBenchRecord, JsonPathsDoNotCollide) {
    const std::string dir = tbtest::scratch_dir("infer_bench_record_json");
    const std::string p1 = tb::infer::infer_bench_json_path(dir);
    EXPECT_EQ(std::filesystem::path(p1).parent_path(), std::filesystem::path(dir) / "benchmarks");
    ASSERT_TRUE(tb::infer::write_infer_bench_json(result(true), p1).ok());
    const std::string p2 = tb::infer::infer_bench_json_path(dir);
    EXPECT_NE(p1, p2);  // same second: "_2"
    auto text = tb::read_file(p1);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(json::parse(text.value()), result(true));
}

TEST(InferBenchRecord, Shapes) {
    for (const auto& name : tb::infer::bench_shape_names()) {
        auto s = tb::infer::bench_shape(name);
        ASSERT_TRUE(s.ok()) << name;
        EXPECT_EQ(s->hidden_size % s->num_attention_heads, 0);
    }
    EXPECT_EQ(tb::infer::bench_shape("tiny")->num_hidden_layers, 4);
    EXPECT_EQ(tb::infer::bench_shape("tinyllama")->num_hidden_layers, 22);
    auto bad = tb::infer::bench_shape("enormous");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("tinyllama or tiny"), std::string::npos);
}

}  // namespace
