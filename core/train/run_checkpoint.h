// Crash-safe training checkpoints: <run>/checkpoints/step-XXXXXX/ directories.
//
// Writing (write_checkpoint_dir): the files go into a fresh "checkpoints/.tmp-step-XXXXXX-<pid>"
// directory, every file and the directory are fsynced, the directory is renamed to
// "step-XXXXXX" (atomic on POSIX), the parent is fsynced, and only then the `latest` pointer
// file is replaced atomically (write + fsync + rename). Older checkpoints beyond `keep` are
// renamed to ".trash-*" before being deleted, so a kill during deletion never leaves a
// half-deleted directory under a step-* name. A kill at any moment therefore leaves every
// step-* directory complete, and `latest` naming a complete one (or an older one).
//
// Reading (resolve_checkpoint): a checkpoint directory is used as given; a run directory (or
// its checkpoints/ folder) is resolved through `latest`, falling back to the newest step-*
// directory that validates when `latest` is missing, unreadable or names a checkpoint that
// fails validation. Leftover .tmp-* / .trash-* directories and stale latest.tmp.<pid> files
// are ignored and cleaned up on the next write.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

// "step-000042".
std::string checkpoint_dir_name(int64_t step);

// Writes checkpoint `step` under `checkpoints_dir` (created if needed). `fill` writes the
// files into the directory it is given. Returns the final directory path.
Result<std::string> write_checkpoint_dir(const std::string& checkpoints_dir, int64_t step,
                                         const std::function<Status(const std::string&)>& fill,
                                         int keep);

// Complete checkpoint directories under `checkpoints_dir`, oldest first (by step number).
std::vector<std::string> list_checkpoint_dirs(const std::string& checkpoints_dir);

// `path`: a checkpoint directory, a run directory or its checkpoints/ folder. `validate`
// checks a candidate (e.g. parses its files) and returns an error if it is unusable.
// Returns the checkpoint directory to resume from. `skipped` (optional) receives one line per
// checkpoint that was newer than the one returned but failed validation, so that a caller can
// say that it fell back (a truncated optimizer file must not silently cost steps).
Result<std::string> resolve_checkpoint(const std::string& path,
                                       const std::function<Status(const std::string&)>& validate,
                                       std::vector<std::string>* skipped = nullptr);

// Removes "<name>.tmp.<pid>" files (write_file_atomic's temporaries) in `dir` whose writing
// process is gone: a kill between write and rename leaves them behind. Files of a live
// process (another writer right now) are kept. Returns the number removed.
int remove_stale_temp_files(const std::string& dir);

// fsync a directory (after creating/renaming entries in it). Errors are ignored on
// filesystems that do not support it.
void fsync_directory(const std::string& dir);

}  // namespace tb
