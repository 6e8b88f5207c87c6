// tunebench-cli score: teacher-forced top-k logits and log-sum-exp at every position.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/model_options.h"
#include "core/infer/scoring.h"

namespace tbcli {
namespace {

struct ScoreArgs {
    ModelOptions model;
    std::string ids;
    int64_t top_k = 5;
    bool json = false;
};

int run_score(const ScoreArgs& a) {
    auto ids = parse_id_list(a.ids, "--ids");
    if (!ids) return fail(ids.error());
    auto model = a.model.load();
    if (!model) return fail(model.error());
    auto scores = tb::score_sequence(*model, *ids, a.top_k);
    if (!scores) return fail(scores.error());
    if (a.json) {
        nlohmann::json out;
        out["positions"] = nlohmann::json::array();
        for (const auto& p : *scores)
            out["positions"].push_back(
                {{"top_ids", p.top_ids}, {"top_logits", p.top_logits}, {"logsumexp", p.logsumexp}});
        std::cout << out.dump() << "\n";
        return kExitOk;
    }
    std::cout << std::fixed << std::setprecision(4);
    for (size_t t = 0; t < scores->size(); ++t) {
        const auto& p = (*scores)[t];
        std::cout << "pos " << t << "  lse " << p.logsumexp << "  top:";
        for (size_t j = 0; j < p.top_ids.size(); ++j)
            std::cout << " " << p.top_ids[j] << "(" << p.top_logits[j] << ")";
        std::cout << "\n";
    }
    return kExitOk;
}

CommandRegistrar register_score("score", [](CLI::App& app) {
    app.description("Score a token sequence: per-position top-k logits and log-sum-exp");
    auto args = std::make_shared<ScoreArgs>();
    args->model.add_to(app);
    app.add_option("--ids", args->ids, "Comma-separated token ids")->required();
    app.add_option("--top-k", args->top_k, "How many top logits per position")
        ->capture_default_str();
    app.add_flag("--json", args->json, "Machine-readable output");
    return [args] { return run_score(*args); };
});

}  // namespace
}  // namespace tbcli
