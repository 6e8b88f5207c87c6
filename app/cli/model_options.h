// The --model/--adapter/--device/--dtype options shared by score, generate and evaluate.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/common/error.h"
#include "core/infer/llama_model.h"

namespace tbcli {

struct ModelOptions {
    std::string model_dir;
    std::string adapter_dir;
    std::string device = "cpu";
    std::string dtype = "fp32";

    void add_to(CLI::App& app);
    // Loads the model (and adapter) as the options say; errors name the flag or file.
    tb::Result<tb::LlamaModel> load() const;
};

}  // namespace tbcli
