#include "core/train/run_checkpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "core/common/file_io.h"

namespace tb {

namespace fs = std::filesystem;

std::string checkpoint_dir_name(int64_t step) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
    return buf;
}

void fsync_directory(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

static void fsync_tree(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory()) {
            fsync_directory(it->path().string());
        } else if (it->is_regular_file()) {
            int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ::fsync(fd);
                ::close(fd);
            }
        }
    }
    fsync_directory(dir.string());
}

// Parses "step-NNNNNN"; -1 when the name is not a checkpoint name.
static int64_t step_of(const std::string& name) {
    if (name.rfind("step-", 0) != 0 || name.size() <= 5) return -1;
    int64_t v = 0;
    for (size_t i = 5; i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

std::vector<std::string> list_checkpoint_dirs(const std::string& checkpoints_dir) {
    std::vector<std::pair<int64_t, std::string>> found;
    std::error_code ec;
    for (auto it = fs::directory_iterator(checkpoints_dir, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (!it->is_directory()) continue;
        const int64_t s = step_of(it->path().filename().string());
        if (s >= 0) found.push_back({s, it->path().string()});
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& f : found) out.push_back(f.second);
    return out;
}

Result<std::string> write_checkpoint_dir(const std::string& checkpoints_dir, int64_t step,
                                         const std::function<Status(const std::string&)>& fill,
                                         int keep) {
    std::error_code ec;
    fs::create_directories(checkpoints_dir, ec);
    if (ec) return make_error(checkpoints_dir, "cannot create: " + ec.message());
    // Leftovers of an interrupted earlier write or deletion.
    for (auto it = fs::directory_iterator(checkpoints_dir, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.rfind(".tmp-", 0) == 0 || n.rfind(".trash-", 0) == 0) {
            (void)remove_tree(it->path().string());
        }
    }
    (void)remove_stale_temp_files(checkpoints_dir);  // latest.tmp.<pid> of a killed writer
    const std::string name = checkpoint_dir_name(step);
    const fs::path tmp =
        fs::path(checkpoints_dir) / (".tmp-" + name + "-" + std::to_string(::getpid()));
    const fs::path final_dir = fs::path(checkpoints_dir) / name;
    ec = remove_tree(tmp.string());
    fs::create_directories(tmp, ec);
    if (ec) return make_error(tmp.string(), "cannot create: " + ec.message());
    Status st = fill(tmp.string());
    if (!st.ok()) {
        (void)remove_tree(tmp.string());
        return st.error();
    }
    fsync_tree(tmp);
    // Re-saving a step (resume, then cancel at the same step): move the old one aside first.
    if (fs::exists(final_dir)) {
        const fs::path trash = fs::path(checkpoints_dir) / (".trash-" + name);
        (void)remove_tree(trash.string());
        fs::rename(final_dir, trash, ec);
        if (ec) return make_error(final_dir.string(), "cannot replace: " + ec.message());
    }
    fs::rename(tmp, final_dir, ec);
    if (ec) return make_error(final_dir.string(), "rename failed: " + ec.message());
    fsync_directory(checkpoints_dir);
    TB_TRY_STATUS(write_file_atomic((fs::path(checkpoints_dir) / "latest").string(), name + "\n"));
    // Keep the newest `keep` (the one just written is the newest by step unless an older run
    // wrote later steps; never delete the one just written).
    std::vector<std::string> all = list_checkpoint_dirs(checkpoints_dir);
    int64_t excess = static_cast<int64_t>(all.size()) - std::max(keep, 1);
    for (size_t i = 0; i < all.size() && excess > 0; ++i) {
        if (fs::path(all[i]) == final_dir) continue;
        const fs::path trash =
            fs::path(checkpoints_dir) / (".trash-" + fs::path(all[i]).filename().string());
        fs::rename(all[i], trash, ec);
        if (!ec) ec = remove_tree(trash.string());
        --excess;
    }
    (void)remove_tree((fs::path(checkpoints_dir) / (".trash-" + name)).string());
    fsync_directory(checkpoints_dir);
    return final_dir.string();
}

int remove_stale_temp_files(const std::string& dir) {
    int removed = 0;
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const std::string n = it->path().filename().string();
        const size_t at = n.rfind(".tmp.");
        if (at == std::string::npos || at == 0 || at + 5 >= n.size()) continue;
        long long pid = 0;
        bool digits = true;
        for (size_t i = at + 5; i < n.size() && digits; ++i) {
            digits = n[i] >= '0' && n[i] <= '9';
            if (digits) pid = pid * 10 + (n[i] - '0');
            if (pid > 0x7fffffff) digits = false;
        }
        if (!digits || pid <= 0) continue;
        // kill(pid, 0): 0 or EPERM means a process with that id exists; our own id counts as
        // stale (this process writes its temporaries and renames them before returning).
        if (pid != ::getpid() && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM))
            continue;
        stale.push_back(it->path());
    }
    for (const auto& p : stale) {
        std::error_code rec;
        if (fs::remove(p, rec)) ++removed;
    }
    return removed;
}

Result<std::string> resolve_checkpoint(const std::string& path,
                                       const std::function<Status(const std::string&)>& validate,
                                       std::vector<std::string>* skipped) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return make_error(path, "not a directory");
    // A checkpoint directory itself.
    if (step_of(fs::path(path).lexically_normal().filename().string()) >= 0 ||
        fs::exists(fs::path(path) / "trainer_state.json")) {
        TB_TRY_STATUS(validate(path));
        return path;
    }
    fs::path ckdir = fs::path(path) / "checkpoints";
    if (!fs::is_directory(ckdir, ec)) {
        if (fs::exists(fs::path(path) / "latest"))
            ckdir = path;
        else
            return make_error(path, "no checkpoints/ folder (not a training run directory)");
    }
    std::vector<std::string> tried_errors;
    auto latest = read_file((ckdir / "latest").string());
    if (latest.ok()) {
        std::string name = latest.value();
        while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' '))
            name.pop_back();
        if (step_of(name) >= 0 && fs::is_directory(ckdir / name)) {
            Status st = validate((ckdir / name).string());
            if (st.ok()) return (ckdir / name).string();
            tried_errors.push_back(st.error().message);
        }
    }
    std::vector<std::string> all = list_checkpoint_dirs(ckdir.string());
    std::vector<std::string> unusable;  // newest first
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        Status st = validate(*it);
        if (st.ok()) {
            if (skipped)
                for (const auto& u : unusable)
                    skipped->push_back("checkpoint " + u + " is unusable; resuming from " +
                                       fs::path(*it).filename().string() + " instead");
            return *it;
        }
        tried_errors.push_back(st.error().message);
        unusable.push_back(fs::path(*it).filename().string() + " (" + st.error().message + ")");
    }
    std::string msg = "no usable checkpoint";
    if (!tried_errors.empty()) msg += " (newest error: " + tried_errors.front() + ")";
    return make_error(ckdir.string(), msg);
}

}  // namespace tb
