// tunebench-cli demo init: writes the embedded demo workspace.
#include <cstdio>
#include <iostream>

#include "app/cli/cli_common.h"
#include "app/cli/command_registry.h"
#include "app/cli/progress_printer.h"
#include "core/demo/demo_workspace.h"

namespace tbcli {
namespace {

struct DemoArgs {
    std::string dir = "tunebench-demo";
    uint64_t seed = 1234;
    int64_t steps = 300;
};

int run_demo_init(const DemoArgs& a) {
    tb::demo::DemoParams p;
    p.dir = a.dir;
    p.seed = a.seed;
    p.pretrain_steps = a.steps;
    p.cancel = &interrupt_token();
    ProgressPrinter progress;
    p.on_progress = [&progress](const tb::demo::DemoProgress& pr) {
        if (pr.stage == "pretrain") {
            if (pr.step % 10 == 0 || pr.step == pr.total) {
                char buf[128];
                std::snprintf(buf, sizeof buf, "pretraining demo model: step %lld/%lld  loss %.3f",
                              static_cast<long long>(pr.step), static_cast<long long>(pr.total),
                              pr.loss);
                progress.update(buf);
            }
            if (pr.step == pr.total) progress.finish();
        } else {
            progress.line(std::string(pr.stage == "data"        ? "writing dataset"
                                      : pr.stage == "tokenizer" ? "training tokenizer"
                                                                : "writing model") +
                          "...");
        }
    };
    auto r = tb::demo::create_demo_workspace(p);
    if (!r) return fail(r.error());
    std::printf(
        "demo workspace: %s\n  model:   %s\n  dataset: %s (%lld records)\n  config:  %s\n"
        "  pretraining loss %.3f -> %.3f in %.1f s\n",
        r->dir.c_str(), r->model_dir.c_str(), r->data_path.c_str(),
        static_cast<long long>(r->records), r->config_path.c_str(), r->initial_loss, r->final_loss,
        r->seconds);
    return kExitOk;
}

CommandRegistrar register_demo("demo", [](CLI::App& app) {
    app.description("Embedded demo workspace (tiny Llama, tokenizer, Dolly-format data)");
    app.require_subcommand(1);
    auto args = std::make_shared<DemoArgs>();
    CLI::App* init = app.add_subcommand("init", "Write the demo workspace");
    init->add_option("--dir", args->dir, "Folder to create")->capture_default_str();
    init->add_option("--seed", args->seed, "Seed for data, tokenizer and weights")
        ->capture_default_str();
    init->add_option("--pretrain-steps", args->steps, "Pretraining steps")->capture_default_str();
    return [args, init] {
        if (init->parsed()) return run_demo_init(*args);
        return fail("demo: unknown subcommand");
    };
});

}  // namespace
}  // namespace tbcli
