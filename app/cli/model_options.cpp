#include "app/cli/model_options.h"

#include "core/infer/peft_adapter.h"

namespace tbcli {

void ModelOptions::add_to(CLI::App& app) {
    app.add_option("--model", model_dir, "Hugging Face model folder (config.json + safetensors)")
        ->required();
    app.add_option("--adapter", adapter_dir, "PEFT LoRA adapter folder to apply");
    app.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
    app.add_option("--dtype", dtype, "fp32, bf16 or fp16")->capture_default_str();
}

tb::Result<tb::LlamaModel> ModelOptions::load() const {
    TB_ASSIGN_OR_RETURN(at::ScalarType dt, tb::parse_dtype(dtype));
    TB_ASSIGN_OR_RETURN(at::Device dev, tb::parse_device(device));
    tb::LoadOptions opts;
    opts.dtype = dt;
    opts.device = dev;
    TB_ASSIGN_OR_RETURN(tb::LlamaModel model, tb::load_llama_model(model_dir, opts));
    if (!adapter_dir.empty()) TB_TRY_STATUS(tb::apply_peft_adapter(model, adapter_dir));
    return model;
}

}  // namespace tbcli
