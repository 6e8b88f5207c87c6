#include "core/model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace tb {

namespace {

// The reference reader refuses headers above 100 MB; a larger length is either corruption or
// an attempt to make us allocate/parse gigabytes.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

struct DTypeInfo {
    StDType type;
    const char* name;
    size_t size;
    // Position in the Rust crate's `Dtype` enum, which is declared in increasing alignment
    // order; the writer sorts by it (descending) so every tensor lands aligned.
    int rust_rank;
};

constexpr DTypeInfo kDTypes[] = {
    {StDType::F32, "F32", 4, 11},  {StDType::F16, "F16", 2, 7},  {StDType::BF16, "BF16", 2, 8},
    {StDType::F64, "F64", 8, 12},  {StDType::I64, "I64", 8, 13}, {StDType::I32, "I32", 4, 9},
    {StDType::I16, "I16", 2, 5},   {StDType::I8, "I8", 1, 2},    {StDType::U8, "U8", 1, 1},
    {StDType::BOOL, "BOOL", 1, 0},
};

const DTypeInfo* dtype_info(StDType t) {
    for (const auto& d : kDTypes)
        if (d.type == t) return &d;
    return nullptr;
}

std::string supported_dtype_list() {
    std::string s;
    for (const auto& d : kDTypes) {
        if (!s.empty()) s += ", ";
        s += d.name;
    }
    return s;
}

// numel * itemsize with overflow detection. Negative dimensions are rejected by callers.
bool checked_nbytes(const std::vector<int64_t>& shape, size_t itemsize, uint64_t* out) {
    uint64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return false;
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
    }
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(itemsize), &n)) return false;
    *out = n;
    return true;
}

uint64_t read_le_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// Buffered writer to "<path>.tmp.<pid>.<n>" that becomes `path` only in commit(): a crash or
// an error at any point leaves the previous file (if any) untouched and no temp file behind.
class AtomicFileWriter {
  public:
    explicit AtomicFileWriter(std::string path) : path_(std::move(path)) {
        static std::atomic<unsigned> counter{0};
        tmp_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    }
    ~AtomicFileWriter() { abort(); }

    Status open() {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) return make_error(tmp_, std::string("cannot create: ") + std::strerror(errno));
        buf_.resize(kBufSize);
        return Status::Ok();
    }

    Status write(const void* data, size_t n) {
        const char* p = static_cast<const char*>(data);
        if (n >= kBufSize) {  // large chunk: no point copying it through the buffer
            TB_TRY_STATUS(flush());
            return write_all(p, n);
        }
        if (used_ + n > kBufSize) TB_TRY_STATUS(flush());
        std::memcpy(buf_.data() + used_, p, n);
        used_ += n;
        return Status::Ok();
    }

    Status commit() {
        TB_TRY_STATUS(flush());
        if (::fsync(fd_) != 0)
            return make_error(tmp_, std::string("fsync: ") + std::strerror(errno));
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0)
            return make_error(tmp_, std::string("close: ") + std::strerror(errno));
        if (::rename(tmp_.c_str(), path_.c_str()) != 0)
            return make_error(path_, std::string("rename failed: ") + std::strerror(errno));
        committed_ = true;
        // Persist the directory entry too, otherwise the rename itself may be lost on a crash.
        auto slash = path_.find_last_of('/');
        std::string dir =
            slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
        return Status::Ok();
    }

    void abort() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        if (!committed_) ::unlink(tmp_.c_str());
        committed_ = true;  // nothing left to clean up
    }

  private:
    static constexpr size_t kBufSize = 1 << 20;

    Status flush() {
        if (used_ == 0) return Status::Ok();
        Status s = write_all(buf_.data(), used_);
        used_ = 0;
        return s;
    }

    Status write_all(const char* p, size_t n) {
        while (n > 0) {
            ssize_t w = ::write(fd_, p, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                return make_error(tmp_, std::string("write failed: ") + std::strerror(errno));
            }
            p += w;
            n -= static_cast<size_t>(w);
        }
        return Status::Ok();
    }

    std::string path_, tmp_;
    int fd_ = -1;
    std::vector<char> buf_;
    size_t used_ = 0;
    bool committed_ = false;
};

}  // namespace

size_t st_dtype_size(StDType t) {
    const DTypeInfo* d = dtype_info(t);
    return d ? d->size : 0;
}

const char* st_dtype_name(StDType t) {
    const DTypeInfo* d = dtype_info(t);
    return d ? d->name : "?";
}

bool st_dtype_from_name(const std::string& name, StDType* out) {
    for (const auto& d : kDTypes) {
        if (name == d.name) {
            *out = d.type;
            return true;
        }
    }
    return false;
}

bool st_dtype_is_float(StDType t) {
    return t == StDType::F32 || t == StDType::F16 || t == StDType::BF16 || t == StDType::F64;
}

Status st_check_tensor(const std::string& file, const StTensorView& v,
                       std::initializer_list<StDType> allowed, const std::vector<int64_t>* shape) {
    const std::string where = file + ": tensor " + quoted_name(v.name);
    bool ok = false;
    std::string expected;
    for (StDType t : allowed) {
        ok |= t == v.dtype;
        if (!expected.empty()) expected += ", ";
        expected += st_dtype_name(t);
    }
    if (!ok)
        return make_error(where, std::string("dtype ") + st_dtype_name(v.dtype) +
                                     " is not supported for this tensor (expected " + expected +
                                     ")");
    uint64_t nbytes = 0;
    if (!checked_nbytes(v.shape, st_dtype_size(v.dtype), &nbytes))
        return make_error(where, "shape " + shape_text(v.shape) + " element count overflows");
    if (nbytes != v.nbytes)
        return make_error(where, std::to_string(v.nbytes) + " bytes of data, but " +
                                     st_dtype_name(v.dtype) + " " + shape_text(v.shape) +
                                     " needs " + std::to_string(nbytes));
    if (nbytes > 0 && !v.data) return make_error(where, "no data");
    if (shape && v.shape != *shape)
        return make_error(
            where, "shape " + shape_text(v.shape) + " (expected " + shape_text(*shape) + ")");
    return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------

SafetensorsFile::~SafetensorsFile() {
    if (map_) ::munmap(map_, map_size_);
}

const StTensorView* SafetensorsFile::find(const std::string& name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
    using nlohmann::json;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        std::string msg = std::strerror(errno);
        ::close(fd);
        return make_error(path, "cannot stat: " + msg);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(path, "not a regular file");
    }
    const uint64_t file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 8) {
        ::close(fd);
        return make_error(path, "file is " + std::to_string(file_size) +
                                    " bytes, too short for the 8-byte header length (truncated?)");
    }
    void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);  // the mapping keeps the file alive
    if (map == MAP_FAILED)
        return make_error(path, std::string("mmap failed: ") + std::strerror(map_errno));

    std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->path_ = path;
    f->map_ = map;  // from here on the destructor unmaps, also on the error paths below
    f->map_size_ = file_size;
    const uint8_t* base = static_cast<const uint8_t*>(map);

    const uint64_t n = read_le_u64(base);
    if (n > kMaxHeaderSize)
        return make_error(path, "header length " + std::to_string(n) +
                                    " exceeds the 100 MB limit (corrupt file?)");
    if (n > file_size - 8)
        return make_error(path, "header length " + std::to_string(n) + " exceeds the " +
                                    std::to_string(file_size - 8) +
                                    " bytes after the length prefix (truncated file?)");
    f->header_size_ = n;
    const char* hbegin = reinterpret_cast<const char*>(base + 8);
    const uint64_t buffer_size = file_size - 8 - n;
    const uint8_t* buffer = base + 8 + n;

    // Duplicate tensor names would silently shadow each other in the parsed object; catch
    // them while parsing (depth 1 = keys of the top-level object).
    std::string duplicate;
    std::set<std::string> seen;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
        if (ev == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            if (!seen.insert(parsed.get_ref<const std::string&>()).second && duplicate.empty())
                duplicate = parsed.get<std::string>();
        }
        return true;
    };
    json header;
    try {
        header = json::parse(hbegin, hbegin + n, cb);
    } catch (const json::exception& e) {
        return make_error(path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) return make_error(path, "header is not a JSON object");
    if (!duplicate.empty())
        return make_error(path, "tensor " + quoted_name(duplicate) + " appears twice");

    struct Range {
        uint64_t begin, end;
        const std::string* name;
    };
    std::vector<Range> ranges;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const json& entry = it.value();
        if (name == "__metadata__") {
            if (!entry.is_object()) return make_error(path, "__metadata__: not a JSON object");
            for (auto m = entry.begin(); m != entry.end(); ++m) {
                if (!m.value().is_string())
                    return make_error(path, "__metadata__: value of " + quoted_name(m.key()) +
                                                " is not a string");
                f->metadata_[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = path + ": tensor " + quoted_name(name);
        if (name.empty()) return make_error(path, "tensor with an empty name");
        if (!entry.is_object()) return make_error(where, "entry is not a JSON object");
        for (auto k = entry.begin(); k != entry.end(); ++k) {
            if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets")
                return make_error(where, "unknown field " + quoted_name(k.key()));
        }

        StTensorView v;
        v.name = name;
        auto dt = entry.find("dtype");
        if (dt == entry.end()) return make_error(where, "dtype: missing");
        if (!dt->is_string()) return make_error(where, "dtype: not a string");
        if (!st_dtype_from_name(dt->get<std::string>(), &v.dtype))
            return make_error(where, "dtype: unsupported " + quoted_name(dt->get<std::string>()) +
                                         " (supported: " + supported_dtype_list() + ")");

        auto sh = entry.find("shape");
        if (sh == entry.end()) return make_error(where, "shape: missing");
        if (!sh->is_array()) return make_error(where, "shape: not an array");
        for (size_t i = 0; i < sh->size(); ++i) {
            const json& d = (*sh)[i];
            const std::string dim = "shape: dimension " + std::to_string(i);
            if (d.is_number_integer() && !d.is_number_unsigned())
                return make_error(where, dim + " is negative (" + d.dump() + ")");
            if (!d.is_number_unsigned()) return make_error(where, dim + " is not an integer");
            const uint64_t u = d.get<uint64_t>();
            if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                return make_error(where, dim + " is too large (" + d.dump() + ")");
            v.shape.push_back(static_cast<int64_t>(u));
        }
        uint64_t nbytes = 0;
        if (!checked_nbytes(v.shape, st_dtype_size(v.dtype), &nbytes))
            return make_error(where, "shape: " + shape_text(v.shape) + " element count overflows");

        auto off = entry.find("data_offsets");
        if (off == entry.end()) return make_error(where, "data_offsets: missing");
        if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
            !(*off)[1].is_number_unsigned())
            return make_error(where,
                              "data_offsets: expected [begin, end] with non-negative integers");
        const uint64_t b = (*off)[0].get<uint64_t>(), e = (*off)[1].get<uint64_t>();
        const std::string offs =
            "data_offsets [" + std::to_string(b) + "," + std::to_string(e) + "]";
        if (b > e) return make_error(where, offs + ": begin is after end");
        if (e > buffer_size)
            return make_error(where, offs + ": end is beyond the " + std::to_string(buffer_size) +
                                         "-byte data buffer (truncated file?)");
        if (e - b != nbytes)
            return make_error(where, offs + ": " + std::to_string(e - b) + " bytes, but " +
                                         st_dtype_name(v.dtype) + " " + shape_text(v.shape) +
                                         " needs " + std::to_string(nbytes));
        v.data = buffer + b;
        v.nbytes = static_cast<size_t>(nbytes);
        auto ins = f->tensors_.emplace(name, std::move(v));
        if (nbytes > 0) ranges.push_back({b, e, &ins.first->first});
    }

    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].begin < ranges[i - 1].end)
            return make_error(path, "tensor " + quoted_name(*ranges[i].name) +
                                        ": data_offsets overlap tensor " +
                                        quoted_name(*ranges[i - 1].name));
    }
    return f;
}

// ---------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------

Result<StLayout> st_plan_layout(const std::vector<StTensorSource>& tensors,
                                const std::map<std::string, std::string>& metadata) {
    // JSON string literal exactly as serde_json writes it (escapes ", \, control chars;
    // UTF-8 passes through). nlohmann's dump() follows the same rules; it throws on
    // invalid UTF-8, which we report.
    auto json_str = [](const std::string& s, std::string* out) -> bool {
        try {
            *out += nlohmann::json(s).dump();
            return true;
        } catch (const nlohmann::json::exception&) {
            return false;
        }
    };

    StLayout L;
    std::vector<uint64_t> nbytes(tensors.size());
    std::set<std::string> names;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const StTensorSource& t = tensors[i];
        const std::string where = "tensor " + quoted_name(t.name);
        if (t.name.empty()) return make_error("", "tensor with an empty name");
        if (t.name == "__metadata__") return make_error(where, "name is reserved");
        if (!names.insert(t.name).second) return make_error(where, "name appears twice");
        if (!dtype_info(t.dtype)) return make_error(where, "invalid dtype");
        for (int64_t d : t.shape)
            if (d < 0)
                return make_error(where,
                                  "shape " + shape_text(t.shape) + " has a negative dimension");
        if (!checked_nbytes(t.shape, st_dtype_size(t.dtype), &nbytes[i]))
            return make_error(where, "shape " + shape_text(t.shape) + " element count overflows");
    }

    L.order.resize(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) L.order[i] = i;
    std::sort(L.order.begin(), L.order.end(), [&](size_t a, size_t b) {
        const int ra = dtype_info(tensors[a].dtype)->rust_rank;
        const int rb = dtype_info(tensors[b].dtype)->rust_rank;
        if (ra != rb) return ra > rb;
        return tensors[a].name < tensors[b].name;
    });

    std::string& h = L.header;
    h = "{";
    bool first = true;
    if (!metadata.empty()) {
        h += "\"__metadata__\":{";
        bool first_kv = true;
        for (const auto& [k, v] : metadata) {
            if (!first_kv) h += ",";
            first_kv = false;
            if (!json_str(k, &h) || (h += ":", !json_str(v, &h)))
                return make_error("__metadata__",
                                  "key or value of " + quoted_name(k) + " is not valid UTF-8");
        }
        h += "}";
        first = false;
    }
    L.begin.assign(tensors.size(), 0);
    uint64_t offset = 0;
    for (size_t idx : L.order) {
        const StTensorSource& t = tensors[idx];
        if (!first) h += ",";
        first = false;
        if (!json_str(t.name, &h))
            return make_error("tensor " + quoted_name(t.name), "name is not valid UTF-8");
        h += ":{\"dtype\":\"";
        h += st_dtype_name(t.dtype);
        h += "\",\"shape\":";
        h += shape_text(t.shape);
        uint64_t end = 0;
        if (__builtin_add_overflow(offset, nbytes[idx], &end))
            return make_error("tensor " + quoted_name(t.name), "total size overflows");
        h += ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
        L.begin[idx] = offset;
        offset = end;
    }
    h += "}";
    h.append((8 - h.size() % 8) % 8, ' ');
    L.data_size = offset;
    return L;
}

Status write_safetensors_streamed(const std::string& path,
                                  const std::vector<StTensorSource>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
    auto planned = st_plan_layout(tensors, metadata);
    if (!planned.ok()) return make_error(path, planned.error().message);
    const StLayout& L = planned.value();
    if (L.header.size() > kMaxHeaderSize)
        return make_error(path, "header would be " + std::to_string(L.header.size()) +
                                    " bytes, above the 100 MB readers accept");

    for (const StTensorSource& t : tensors) {
        uint64_t nb = 0;
        checked_nbytes(t.shape, st_dtype_size(t.dtype), &nb);  // validated by the plan
        if (nb > 0 && !t.data && !t.produce)
            return make_error(path,
                              "tensor " + quoted_name(t.name) + ": neither data nor a producer");
    }

    AtomicFileWriter w(path);
    TB_TRY_STATUS(w.open());
    uint8_t len[8];
    uint64_t hn = L.header.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(hn >> (8 * i));
    TB_TRY_STATUS(w.write(len, 8));
    TB_TRY_STATUS(w.write(L.header.data(), L.header.size()));

    for (size_t idx : L.order) {
        const StTensorSource& t = tensors[idx];
        uint64_t nb = 0;
        checked_nbytes(t.shape, st_dtype_size(t.dtype), &nb);
        if (nb == 0) continue;
        const std::string where = path + ": tensor " + quoted_name(t.name);
        if (t.data) {
            TB_TRY_STATUS(w.write(t.data, static_cast<size_t>(nb)));
            continue;
        }
        uint64_t got = 0;
        bool too_many = false;
        StByteSink sink = [&](const void* p, size_t n) -> Status {
            if (n > nb - got) {
                too_many = true;
                return make_error(where,
                                  "producer delivered more than " + std::to_string(nb) + " bytes");
            }
            got += n;
            return w.write(p, n);
        };
        Status s = t.produce(sink);
        if (too_many)
            return make_error(where,
                              "producer delivered more than " + std::to_string(nb) + " bytes");
        if (!s.ok()) return s;
        if (got != nb)
            return make_error(where, "producer delivered " + std::to_string(got) + " of " +
                                         std::to_string(nb) + " bytes");
    }
    return w.commit();
}

Status write_safetensors(const std::string& path, const std::vector<StTensorOut>& tensors,
                         const std::map<std::string, std::string>& metadata) {
    std::vector<StTensorSource> src;
    src.reserve(tensors.size());
    for (const StTensorOut& t : tensors) {
        uint64_t nb = 0;
        if (checked_nbytes(t.shape, st_dtype_size(t.dtype), &nb) && nb != t.data.size())
            return make_error(path, "tensor " + quoted_name(t.name) + ": data has " +
                                        std::to_string(t.data.size()) + " bytes, but " +
                                        st_dtype_name(t.dtype) + " " + shape_text(t.shape) +
                                        " needs " + std::to_string(nb));
        // Borrow the bytes; the streamed writer copies them straight into the file.
        src.push_back({t.name, t.dtype, t.shape, t.data.data(), nullptr});
    }
    return write_safetensors_streamed(path, src, metadata);
}

std::string quoted_name(const std::string& name) { return "'" + name + "'"; }

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ",";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

}  // namespace tb
