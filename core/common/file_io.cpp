#include "core/common/file_io.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tb {

Result<std::string> read_file(const std::string& path) {
    // An ifstream opens a directory and then reads nothing, which callers would report as an
    // empty file (issue 10: a dataset path that is a folder said "empty file").
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return make_error(path, "is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(path, "read failed");
    return ss.str();
}

static std::string dir_of(const std::string& path) {
    auto pos = path.find_last_of('/');
    if (pos == std::string::npos) return ".";
    if (pos == 0) return "/";
    return path.substr(0, pos);
}

Status write_file_atomic(const std::string& path, const std::string& data) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(tmp, std::string("cannot create: ") + std::strerror(errno));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::string msg = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return make_error(tmp, "write failed: " + msg);
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return make_error(tmp, std::string("fsync/close failed: ") + std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string msg = std::strerror(errno);
        ::unlink(tmp.c_str());
        return make_error(path, "rename failed: " + msg);
    }
    int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return Status::Ok();
}

std::error_code remove_tree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? std::error_code()
                               : std::error_code(errno, std::generic_category());
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0) return std::error_code(errno, std::generic_category());
        return {};
    }
    // Depth-first (children before their directory), not following symlinks, not crossing
    // into other mounts' contents through links. nftw keeps at most 64 directory fds open.
    static thread_local int first_errno;
    first_errno = 0;
    auto visit = [](const char* p, const struct stat*, int type, struct FTW*) -> int {
        const int rc = type == FTW_DP ? ::rmdir(p) : ::unlink(p);
        if (rc != 0 && errno != ENOENT && first_errno == 0) first_errno = errno;
        return 0;  // keep going: remove as much as possible
    };
    if (::nftw(path.c_str(), visit, 64, FTW_DEPTH | FTW_PHYS) != 0 && first_errno == 0)
        first_errno = errno;
    return first_errno ? std::error_code(first_errno, std::generic_category()) : std::error_code();
}

}  // namespace tb
