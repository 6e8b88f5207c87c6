// Whole-file reads with error values, and crash-safe writes.
#pragma once

#include <string>

#include "core/common/error.h"

namespace tb {

// Reads a whole file. Error names the path.
Result<std::string> read_file(const std::string& path);

// Writes `data` to `path` so that a crash at any moment leaves either the old file or the
// complete new one: write to "<path>.tmp.<pid>" in the same directory, fsync, rename, fsync dir.
Status write_file_atomic(const std::string& path, const std::string& data);

}  // namespace tb
