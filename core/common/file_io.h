// Whole-file reads with error values, and crash-safe writes.
#pragma once

#include <string>
#include <system_error>

#include "core/common/error.h"

namespace tb {

// Reads a whole file. Error names the path.
Result<std::string> read_file(const std::string& path);

// Writes `data` to `path` so that a crash at any moment leaves either the old file or the
// complete new one: write to "<path>.tmp.<pid>" in the same directory, fsync, rename, fsync dir.
Status write_file_atomic(const std::string& path, const std::string& data);

// Deletes `path` and everything below it (symlinks themselves, never their targets); a
// missing path is success. Returns the first error, ec-style like std::filesystem.
//
// Why not std::filesystem::remove_all: PyTorch's pip libtorch exports its own copies of some
// std::filesystem symbols, and a call from our binaries can bind to them; their remove_all
// segfaults (seen on the GPU machine, in checkpoint rotation and test scratch folders).
std::error_code remove_tree(const std::string& path);

}  // namespace tb
