// Choosing an inference engine by name: the spelling shared by `generate --engine`,
// `evaluate --engine`, the YAML key `inference.engine` and the GUI's engine combo boxes, and
// the one check every front end runs before it loads weights.
//
// The names are the engines the inference core defines (core/infer/inference.h); which of
// them this build and machine can run is tb::infer::available_engines(), asked at run time
// (an engine may need CUDA, or may not be built in), never a list kept here.
//
// Torch-free header: the GUI and the CLI include it without libtorch.
#pragma once

#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb::infer {

// Every engine name the core defines: "eager", "graph", "quant", "paged" (AppConfig's
// inference.engine choices are the same list; tests/core/infer/test_engine_choice.cpp holds
// them together).
const std::vector<std::string>& engine_names();

// "" when available_engines() has `name`; else one line saying why not ("needs CUDA (...)",
// "not built into this tunebench build", "unknown engine").
std::string engine_unavailable_reason(const std::string& name);

// Ok when `name` can be loaded here; else one error naming `field` (e.g. "--engine",
// "inference.engine"): unknown names list the known ones, known but unavailable ones say why
// and list the available ones.
Status check_engine(const std::string& name, const std::string& field);

// The quant engine's weight formats (EngineParams::quant, `--quant`, inference.quant):
// "q8_0", "nf4".
const std::vector<std::string>& quant_format_names();
bool is_quant_format_name(const std::string& name);

}  // namespace tb::infer
