// The `paged` engine behind the inference core's interface (core/infer/inference.h): an
// InferenceEngine whose generate() submits every request to a Batcher (batcher.h) at once and
// waits for them, so the front ends that take an InferenceEngine (`generate --engine paged`,
// `bench infer --engines paged`, evaluate, the GUI) run on the paged KV cache with continuous
// batching, unchanged. Tokens reach GenerateOptions::on_token on the caller's thread, in step
// order (within a step in request order); cancel is polled while waiting.
//
// Torch-free header.
#pragma once

#include <memory>

#include "core/common/error.h"
#include "core/infer/inference.h"

namespace tb::serve {

// EngineParams::engine is "paged"; max_batch becomes the Batcher's max_num_seqs (at least 256
// so that a benchmark's concurrency is never capped below its request count).
Result<std::unique_ptr<infer::InferenceEngine>> load_paged_engine(const infer::EngineParams& p);

}  // namespace tb::serve
