// Exporting a trained run: the PEFT adapter folder as is, and the merged model (base weights
// with the LoRA product added, a full HF folder with the tokenizer files) — copied from the
// run's merged_model/ when training wrote one, else computed here from the base model and the
// adapter (the same merge the trainer does at the end of a run).
#pragma once

#include <functional>
#include <string>

#include "core/common/error.h"

namespace tb {

// Copies every regular file under `from` into `to` (created; must be absent or empty), keeping
// the folder structure. Files are written through a temp name and renamed, so an interrupted
// copy never leaves a file that looks complete.
Status copy_model_folder(const std::string& from, const std::string& to);

// Loads `base_model_dir` in fp32 on the CPU, applies the PEFT adapter, merges it and writes the
// HF folder into `out_dir` (absent or empty) in the base checkpoint's dtype, with the base
// folder's tokenizer files. `on_stage` gets "loading", "merging", "saving".
Status merge_adapter_into_folder(const std::string& base_model_dir, const std::string& adapter_dir,
                                 const std::string& out_dir,
                                 const std::function<void(const std::string&)>& on_stage = {});

// The tokenizer files of an HF folder (tokenizer.model/.json, configs, chat template) copied
// from `from` into `to` when present.
Status copy_tokenizer_folder_files(const std::string& from, const std::string& to);

}  // namespace tb
