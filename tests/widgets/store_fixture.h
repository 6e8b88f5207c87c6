// Shared by the rating and results panel tests: a store with one evaluation run written through
// the Store API (generations of two models, overall and per-category metric aggregates).
#pragma once

#include <string>
#include <vector>

#include "core/store/store.h"

namespace guitest {

inline const std::vector<std::string>& fixture_categories() {
    static const std::vector<std::string> c = {"open_qa", "summarization", "brainstorming"};
    return c;
}

// Returns the eval id, or -1 with `error` set.
inline int64_t make_eval_store(const std::string& path, int items, std::string& error) {
    auto st = tb::store::Store::open(path);
    if (!st.ok()) {
        error = st.error().message;
        return -1;
    }
    auto& store = *st.value();
    tb::store::RunRecord run;
    run.kind = "eval";
    run.name = "fixture";
    run.status = "completed";
    auto id = store.add_run(run);
    if (!id.ok()) {
        error = id.error().message;
        return -1;
    }
    std::vector<tb::store::GenerationRow> gens;
    for (const std::string model : {"base", "adapter-r16"}) {
        for (int i = 0; i < items; ++i) {
            tb::store::GenerationRow g;
            g.eval_id = id.value();
            g.model = model;
            g.item_id = "item-" + std::to_string(i);
            g.prompt = "Question " + std::to_string(i);
            g.reference = "Reference answer " + std::to_string(i);
            g.output = model + " says answer " + std::to_string(i);
            g.category = fixture_categories()[static_cast<size_t>(i) % 3];
            g.tokens = 5;
            gens.push_back(g);
        }
    }
    tb::Status s = store.add_generations(gens);
    if (!s.ok()) {
        error = s.error().message;
        return -1;
    }
    std::vector<tb::store::MetricAggregateRow> agg;
    int k = 0;
    for (const std::string metric : {"rougeL", "bleu"}) {
        for (const std::string model : {"base", "adapter-r16"}) {
            const bool base = model == "base";
            tb::store::MetricAggregateRow r;
            r.eval_id = id.value();
            r.model = model;
            r.metric = metric;
            r.value = 0.2 + 0.05 * k;
            r.ci_lo = r.value - 0.02;
            r.ci_hi = r.value + 0.03;
            if (!base) r.p_value = 0.0123 * (k + 1);
            r.n_items = items;
            agg.push_back(r);
            int c = 0;
            for (const auto& cat : fixture_categories()) {
                tb::store::MetricAggregateRow rc = r;
                rc.category = cat;
                rc.value = r.value + 0.01 * (++c);
                rc.ci_lo = rc.value - 0.01;
                rc.ci_hi = rc.value + 0.01;
                rc.n_items = items / 3;
                agg.push_back(rc);
            }
            ++k;
        }
    }
    s = store.replace_metric_aggregates(id.value(), agg);
    if (!s.ok()) {
        error = s.error().message;
        return -1;
    }
    return id.value();
}

}  // namespace guitest
