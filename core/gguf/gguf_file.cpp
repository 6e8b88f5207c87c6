#include "core/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

namespace tb::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint64_t kMaxDims = 4;         // GGML_MAX_DIMS

size_t scalar_size(ValueType t) {
    switch (t) {
        case ValueType::U8:
        case ValueType::I8:
        case ValueType::BOOL:
            return 1;
        case ValueType::U16:
        case ValueType::I16:
            return 2;
        case ValueType::U32:
        case ValueType::I32:
        case ValueType::F32:
            return 4;
        case ValueType::U64:
        case ValueType::I64:
        case ValueType::F64:
            return 8;
        default:
            return 0;
    }
}

bool value_type_valid(uint32_t t) { return t <= 12; }

// Bounds-checked cursor over the image; every failure names the field and its offset.
struct Cursor {
    const uint8_t* p;
    size_t size;
    size_t pos = 0;
    std::string label;

    Error fail(size_t at, const std::string& field, const std::string& what) const {
        return Error{label + ": offset " + std::to_string(at) + ": " + field + ": " + what};
    }
    Status need(size_t n, const std::string& field) const {
        if (n > size - pos) {
            return fail(pos, field,
                        "needs " + std::to_string(n) + " bytes, file has " +
                            std::to_string(size - pos) + " left (truncated?)");
        }
        return {};
    }
    template <class T>
    Result<T> read(const std::string& field) {
        TB_TRY_STATUS(need(sizeof(T), field));
        T v;
        std::memcpy(&v, p + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    Result<std::string> str(const std::string& field) {
        const size_t at = pos;
        TB_ASSIGN_OR_RETURN(uint64_t n, read<uint64_t>(field + " length"));
        if (n > size - pos) {
            return fail(at, field,
                        "string length " + std::to_string(n) + " runs past the end of the file");
        }
        std::string s(reinterpret_cast<const char*>(p + pos), static_cast<size_t>(n));
        pos += static_cast<size_t>(n);
        return s;
    }
};

Result<Value> read_value(Cursor& c, ValueType t, const std::string& field, int depth) {
    Value v;
    v.type = t;
    switch (t) {
        case ValueType::U8: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<uint8_t>(field));
            v.u = x;
            break;
        }
        case ValueType::U16: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<uint16_t>(field));
            v.u = x;
            break;
        }
        case ValueType::U32: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<uint32_t>(field));
            v.u = x;
            break;
        }
        case ValueType::U64: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<uint64_t>(field));
            v.u = x;
            break;
        }
        case ValueType::I8: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<int8_t>(field));
            v.i = x;
            break;
        }
        case ValueType::I16: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<int16_t>(field));
            v.i = x;
            break;
        }
        case ValueType::I32: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<int32_t>(field));
            v.i = x;
            break;
        }
        case ValueType::I64: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<int64_t>(field));
            v.i = x;
            break;
        }
        case ValueType::F32: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<float>(field));
            v.f = x;
            break;
        }
        case ValueType::F64: {
            TB_ASSIGN_OR_RETURN(auto x, c.read<double>(field));
            v.f = x;
            break;
        }
        case ValueType::BOOL: {
            const size_t at = c.pos;
            TB_ASSIGN_OR_RETURN(auto x, c.read<uint8_t>(field));
            if (x > 1)
                return c.fail(at, field, "bool value " + std::to_string(x) + " is not 0 or 1");
            v.u = x;
            break;
        }
        case ValueType::STRING: {
            TB_ASSIGN_OR_RETURN(v.s, c.str(field));
            break;
        }
        case ValueType::ARRAY: {
            const size_t at = c.pos;
            TB_ASSIGN_OR_RETURN(uint32_t et, c.read<uint32_t>(field + " element type"));
            if (!value_type_valid(et)) {
                return c.fail(at, field, "unknown array element type " + std::to_string(et));
            }
            const size_t at_n = c.pos;
            TB_ASSIGN_OR_RETURN(uint64_t n, c.read<uint64_t>(field + " element count"));
            v.elem_type = static_cast<ValueType>(et);
            v.array_len = n;
            // Every element takes at least one byte (strings 8): a count beyond what is left is
            // a corrupt file, caught before any allocation.
            const size_t min_elem = v.elem_type == ValueType::STRING  ? 8
                                    : v.elem_type == ValueType::ARRAY ? 12
                                                                      : scalar_size(v.elem_type);
            if (n > (c.size - c.pos) / min_elem) {
                return c.fail(at_n, field,
                              "array of " + std::to_string(n) + " elements runs past the end");
            }
            if (v.elem_type == ValueType::ARRAY && depth >= 2) {
                return c.fail(at, field, "arrays nested deeper than 2 levels");
            }
            for (uint64_t k = 0; k < n; ++k) {
                const std::string ef = field + "[" + std::to_string(k) + "]";
                TB_ASSIGN_OR_RETURN(Value e, read_value(c, v.elem_type, ef, depth + 1));
                if (v.elem_type == ValueType::STRING) {
                    v.strs.push_back(std::move(e.s));
                } else if (v.elem_type != ValueType::ARRAY) {
                    v.nums.push_back(e.type == ValueType::F32 || e.type == ValueType::F64 ? e.f
                                     : (e.type == ValueType::I8 || e.type == ValueType::I16 ||
                                        e.type == ValueType::I32 || e.type == ValueType::I64)
                                         ? static_cast<double>(e.i)
                                         : static_cast<double>(e.u));
                }
            }
            break;
        }
    }
    return v;
}

void put_str(std::vector<uint8_t>& b, const std::string& s) {
    const uint64_t n = s.size();
    b.insert(b.end(), reinterpret_cast<const uint8_t*>(&n),
             reinterpret_cast<const uint8_t*>(&n) + 8);
    b.insert(b.end(), s.begin(), s.end());
}
template <class T>
void put_pod(std::vector<uint8_t>& b, T v) {
    b.insert(b.end(), reinterpret_cast<const uint8_t*>(&v),
             reinterpret_cast<const uint8_t*>(&v) + sizeof(T));
}

void put_scalar(std::vector<uint8_t>& b, ValueType t, const Value& v, double num) {
    switch (t) {
        case ValueType::U8:
            put_pod<uint8_t>(b, static_cast<uint8_t>(v.u));
            break;
        case ValueType::U16:
            put_pod<uint16_t>(b, static_cast<uint16_t>(v.u));
            break;
        case ValueType::U32:
            put_pod<uint32_t>(b, static_cast<uint32_t>(v.u));
            break;
        case ValueType::U64:
            put_pod<uint64_t>(b, v.u);
            break;
        case ValueType::I8:
            put_pod<int8_t>(b, static_cast<int8_t>(v.i));
            break;
        case ValueType::I16:
            put_pod<int16_t>(b, static_cast<int16_t>(v.i));
            break;
        case ValueType::I32:
            put_pod<int32_t>(b, static_cast<int32_t>(v.i));
            break;
        case ValueType::I64:
            put_pod<int64_t>(b, v.i);
            break;
        case ValueType::F32:
            put_pod<float>(b, static_cast<float>(num));
            break;
        case ValueType::F64:
            put_pod<double>(b, num);
            break;
        case ValueType::BOOL:
            put_pod<uint8_t>(b, v.u ? 1 : 0);
            break;
        default:
            break;
    }
}

void put_value(std::vector<uint8_t>& b, const Value& v) {
    put_pod<uint32_t>(b, static_cast<uint32_t>(v.type));
    if (v.type == ValueType::STRING) {
        put_str(b, v.s);
    } else if (v.type == ValueType::ARRAY) {
        put_pod<uint32_t>(b, static_cast<uint32_t>(v.elem_type));
        if (v.elem_type == ValueType::STRING) {
            put_pod<uint64_t>(b, v.strs.size());
            for (const auto& s : v.strs) put_str(b, s);
        } else {
            put_pod<uint64_t>(b, v.nums.size());
            for (double d : v.nums) {
                Value e;
                e.u = static_cast<uint64_t>(d < 0 ? 0 : d);
                e.i = static_cast<int64_t>(d);
                put_scalar(b, v.elem_type, e, d);
            }
        }
    } else {
        put_scalar(b, v.type, v, v.f);
    }
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

const char* value_type_name(ValueType t) {
    static const char* names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                  "bool", "string", "array", "u64", "i64", "f64"};
    const auto i = static_cast<uint32_t>(t);
    return i <= 12 ? names[i] : "?";
}

Value Value::str_array(std::vector<std::string> v) {
    Value x;
    x.type = ValueType::ARRAY;
    x.elem_type = ValueType::STRING;
    x.array_len = v.size();
    x.strs = std::move(v);
    return x;
}
Value Value::f32_array(const std::vector<float>& v) {
    Value x;
    x.type = ValueType::ARRAY;
    x.elem_type = ValueType::F32;
    x.array_len = v.size();
    x.nums.assign(v.begin(), v.end());
    return x;
}
Value Value::i32_array(const std::vector<int32_t>& v) {
    Value x;
    x.type = ValueType::ARRAY;
    x.elem_type = ValueType::I32;
    x.array_len = v.size();
    x.nums.assign(v.begin(), v.end());
    return x;
}

int64_t TensorInfo::n_elements() const {
    int64_t n = 1;
    for (int64_t d : ne) {
        if (d <= 0 || n > INT64_MAX / d) return -1;  // invalid or overflowing shape
        n *= d;
    }
    return n;
}
int64_t TensorInfo::n_bytes() const {
    if (ne.empty()) return 0;
    const int64_t rb = row_bytes(type, ne[0]);
    const int64_t n = n_elements();
    if (n < 0) return -1;
    const int64_t rows = n / ne[0];
    if (rb < 0 || (rb > 0 && rows > INT64_MAX / rb)) return -1;
    return rb * rows;
}

// ---------------------------------------------------------------------------------- Writer

Writer::~Writer() {
    if (f_) {
        std::fclose(f_);
        std::remove(tmp_.c_str());
    }
}

void Writer::set(const std::string& key, Value v) {
    for (auto& kv : kv_) {
        if (kv.first == key) {
            kv.second = std::move(v);
            return;
        }
    }
    kv_.emplace_back(key, std::move(v));
}

void Writer::add_tensor(const std::string& name, std::vector<int64_t> ne, GgmlType type) {
    TensorInfo t;
    t.name = name;
    t.ne = std::move(ne);
    t.type = type;
    tensors_.push_back(std::move(t));
}

Status Writer::put(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) return Error{tmp_ + ": write failed"};
    written_ += n;
    return {};
}

Status Writer::begin(const std::string& path, uint32_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        return Error{path + ": alignment " + std::to_string(alignment) + " is not a power of two"};
    }
    alignment_ = alignment;
    if (alignment != 32) set("general.alignment", Value::u32(alignment));
    std::set<std::string> names;
    uint64_t off = 0;
    for (auto& t : tensors_) {
        if (!names.insert(t.name).second)
            return Error{path + ": duplicate tensor '" + t.name + "'"};
        if (t.ne.empty() || t.ne.size() > kMaxDims) {
            return Error{path + ": tensor '" + t.name + "': " + std::to_string(t.ne.size()) +
                         " dimensions (1 to 4)"};
        }
        if (t.n_bytes() < 0) {
            return Error{path + ": tensor '" + t.name + "': row of " + std::to_string(t.ne[0]) +
                         " is not a multiple of " + type_name(t.type) + "'s block of " +
                         std::to_string(block_size(t.type))};
        }
        t.offset = off;
        off = align_up(off + static_cast<uint64_t>(t.n_bytes()), alignment_);
    }
    std::vector<uint8_t> h;
    put_pod<uint32_t>(h, kMagic);
    put_pod<uint32_t>(h, 3);
    put_pod<uint64_t>(h, tensors_.size());
    put_pod<uint64_t>(h, kv_.size());
    for (const auto& [k, v] : kv_) {
        put_str(h, k);
        put_value(h, v);
    }
    for (const auto& t : tensors_) {
        put_str(h, t.name);
        put_pod<uint32_t>(h, static_cast<uint32_t>(t.ne.size()));
        for (int64_t d : t.ne) put_pod<uint64_t>(h, static_cast<uint64_t>(d));
        put_pod<uint32_t>(h, static_cast<uint32_t>(t.type));
        put_pod<uint64_t>(h, t.offset);
    }
    h.resize(align_up(h.size(), alignment_), 0);
    path_ = path;
    tmp_ = path + ".tmp";
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) return Error{tmp_ + ": cannot open for writing: " + std::strerror(errno)};
    next_ = 0;
    written_ = 0;
    return put(h.data(), h.size());
}

Status Writer::write_tensor(const void* data, size_t bytes) {
    if (!f_) return Error{"gguf writer: write_tensor before begin"};
    if (next_ >= tensors_.size()) return Error{tmp_ + ": more tensors written than declared"};
    const TensorInfo& t = tensors_[next_];
    if (static_cast<int64_t>(bytes) != t.n_bytes()) {
        return Error{tmp_ + ": tensor '" + t.name + "': " + std::to_string(bytes) +
                     " bytes given, " + std::to_string(t.n_bytes()) + " declared"};
    }
    TB_TRY_STATUS(put(data, bytes));
    const uint64_t pad = align_up(bytes, alignment_) - bytes;
    static const uint8_t zeros[64] = {};
    TB_TRY_STATUS(put(zeros, pad));
    ++next_;
    return {};
}

Status Writer::finish() {
    if (!f_) return Error{"gguf writer: finish before begin"};
    if (next_ != tensors_.size()) {
        return Error{tmp_ + ": " + std::to_string(next_) + " of " +
                     std::to_string(tensors_.size()) + " tensors written"};
    }
    const bool ok = std::fflush(f_) == 0 && ::fsync(fileno(f_)) == 0;
    std::fclose(f_);
    f_ = nullptr;
    if (!ok) return Error{tmp_ + ": flush failed"};
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        return Error{path_ + ": rename failed: " + std::strerror(errno)};
    }
    return {};
}

// ---------------------------------------------------------------------------------- Reader

Reader::~Reader() {
    if (map_) ::munmap(map_, size_);
}

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{path + ": cannot open: " + std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return Error{path + ": cannot stat"};
    }
    std::unique_ptr<Reader> r(new Reader());
    r->size_ = static_cast<size_t>(st.st_size);
    if (r->size_ > 0) {
        void* m = ::mmap(nullptr, r->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            ::close(fd);
            return Error{path + ": mmap failed: " + std::strerror(errno)};
        }
        r->map_ = m;
        r->base_ = static_cast<const uint8_t*>(m);
    }
    ::close(fd);
    return parse_image(std::move(r), path);
}

Result<std::unique_ptr<Reader>> Reader::parse(const uint8_t* data, size_t size,
                                              const std::string& label) {
    std::unique_ptr<Reader> r(new Reader());
    r->copy_.assign(data, data + size);
    r->base_ = r->copy_.data();
    r->size_ = size;
    return parse_image(std::move(r), label);
}

Result<std::unique_ptr<Reader>> Reader::parse_image(std::unique_ptr<Reader> r,
                                                    const std::string& label) {
    Cursor c{r->base_, r->size_, 0, label};
    TB_ASSIGN_OR_RETURN(uint32_t magic, c.read<uint32_t>("magic"));
    if (magic != kMagic) return c.fail(0, "magic", "not a GGUF file (no \"GGUF\" at the start)");
    TB_ASSIGN_OR_RETURN(r->version_, c.read<uint32_t>("version"));
    if (r->version_ != 2 && r->version_ != 3) {
        return c.fail(4, "version", std::to_string(r->version_) + " (this reader reads 2 and 3)");
    }
    TB_ASSIGN_OR_RETURN(uint64_t n_tensors, c.read<uint64_t>("tensor count"));
    TB_ASSIGN_OR_RETURN(uint64_t n_kv, c.read<uint64_t>("metadata count"));
    // A key/value takes at least 8 + 4 + 1 bytes, a tensor 8 + 4 + 8 + 4 + 8.
    if (n_kv > (c.size - c.pos) / 13) {
        return c.fail(16, "metadata count",
                      std::to_string(n_kv) + " entries cannot fit in the file");
    }
    if (n_tensors > (c.size - c.pos) / 32) {
        return c.fail(8, "tensor count",
                      std::to_string(n_tensors) + " tensors cannot fit in the file");
    }
    for (uint64_t k = 0; k < n_kv; ++k) {
        const size_t at = c.pos;
        TB_ASSIGN_OR_RETURN(std::string key, c.str("metadata[" + std::to_string(k) + "] key"));
        if (key.empty()) return c.fail(at, "metadata[" + std::to_string(k) + "] key", "empty");
        const size_t at_t = c.pos;
        TB_ASSIGN_OR_RETURN(uint32_t t, c.read<uint32_t>(key + " type"));
        if (!value_type_valid(t))
            return c.fail(at_t, key, "unknown value type " + std::to_string(t));
        TB_ASSIGN_OR_RETURN(Value v, read_value(c, static_cast<ValueType>(t), key, 0));
        if (!r->kv_index_.emplace(key, r->kv_.size()).second) {
            return c.fail(at, key, "duplicate metadata key");
        }
        r->kv_.emplace_back(std::move(key), std::move(v));
    }
    if (const Value* a = r->find("general.alignment")) {
        if (a->type != ValueType::U32 || a->u == 0 || (a->u & (a->u - 1)) != 0) {
            return c.fail(0, "general.alignment", "must be a u32 power of two");
        }
        r->alignment_ = static_cast<uint32_t>(a->u);
    }
    for (uint64_t k = 0; k < n_tensors; ++k) {
        const std::string tf = "tensor[" + std::to_string(k) + "]";
        const size_t at = c.pos;
        TensorInfo t;
        TB_ASSIGN_OR_RETURN(t.name, c.str(tf + " name"));
        const std::string f = tf + " '" + t.name + "'";
        if (t.name.empty() || t.name.size() >= 64) {  // GGML_MAX_NAME
            return c.fail(at, f, "name must be 1 to 63 bytes");
        }
        const size_t at_d = c.pos;
        TB_ASSIGN_OR_RETURN(uint32_t nd, c.read<uint32_t>(f + " n_dims"));
        if (nd < 1 || nd > kMaxDims) {
            return c.fail(at_d, f, std::to_string(nd) + " dimensions (1 to 4)");
        }
        int64_t n = 1;
        for (uint32_t d = 0; d < nd; ++d) {
            const size_t at_ne = c.pos;
            TB_ASSIGN_OR_RETURN(uint64_t ne,
                                c.read<uint64_t>(f + " ne[" + std::to_string(d) + "]"));
            if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
                static_cast<int64_t>(ne) > std::numeric_limits<int64_t>::max() / n) {
                return c.fail(at_ne, f,
                              "dimension " + std::to_string(ne) + " is zero or overflows");
            }
            n *= static_cast<int64_t>(ne);
            t.ne.push_back(static_cast<int64_t>(ne));
        }
        const size_t at_ty = c.pos;
        TB_ASSIGN_OR_RETURN(uint32_t ty, c.read<uint32_t>(f + " type"));
        if (!type_known(ty)) {
            return c.fail(at_ty, f,
                          "tensor type " + std::to_string(ty) +
                              " is not one this reader knows (F32, F16, BF16, Q8_0, "
                              "Q5_0, Q4_K, Q6_K)");
        }
        t.type = static_cast<GgmlType>(ty);
        if (t.ne[0] % block_size(t.type) != 0) {
            return c.fail(at_d, f,
                          "ne[0] = " + std::to_string(t.ne[0]) + " is not a multiple of " +
                              type_name(t.type) + "'s block of " +
                              std::to_string(block_size(t.type)));
        }
        const size_t at_o = c.pos;
        TB_ASSIGN_OR_RETURN(t.offset, c.read<uint64_t>(f + " offset"));
        if (t.offset % r->alignment_ != 0) {
            return c.fail(at_o, f,
                          "offset " + std::to_string(t.offset) +
                              " is not a multiple of the alignment " +
                              std::to_string(r->alignment_));
        }
        if (!r->tensor_index_.emplace(t.name, r->tensors_.size()).second) {
            return c.fail(at, f, "duplicate tensor name");
        }
        r->tensors_.push_back(std::move(t));
    }
    r->data_offset_ = align_up(c.pos, r->alignment_);
    if (r->data_offset_ > r->size_ && !r->tensors_.empty()) {
        return c.fail(c.pos, "data section",
                      "starts at " + std::to_string(r->data_offset_) +
                          ", past the end of the file (" + std::to_string(r->size_) + " bytes)");
    }
    const uint64_t data_size = r->size_ >= r->data_offset_ ? r->size_ - r->data_offset_ : 0;
    for (const auto& t : r->tensors_) {
        // Rows x row bytes is bounded by the data size before it is multiplied (no overflow).
        const int64_t rb = row_bytes(t.type, t.ne[0]);
        const int64_t rows = t.n_elements() / t.ne[0];
        const bool fits = rb > 0 && rows <= static_cast<int64_t>(data_size) / rb;
        const int64_t nb = fits ? rb * rows : -1;
        if (!fits || t.offset > data_size ||
            align_up(static_cast<uint64_t>(nb), r->alignment_) > data_size - t.offset) {
            // (padded, as llama.cpp reads it: it loads the data section in one piece)
            return c.fail(
                static_cast<size_t>(r->data_offset_ + std::min<uint64_t>(t.offset, data_size)),
                "tensor '" + t.name + "'",
                "data [" + std::to_string(t.offset) + ", +" +
                    (fits ? std::to_string(nb) : std::string("overflow")) +
                    ") runs past the data section of " + std::to_string(data_size) + " bytes");
        }
    }
    return r;
}

const Value* Reader::find(const std::string& key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

Result<std::string> Reader::get_string(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return Error{key + ": missing"};
    if (v->type != ValueType::STRING)
        return Error{key + ": is " + value_type_name(v->type) + ", not string"};
    return v->s;
}

Result<uint64_t> Reader::get_uint(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return Error{key + ": missing"};
    switch (v->type) {
        case ValueType::U8:
        case ValueType::U16:
        case ValueType::U32:
        case ValueType::U64:
            return v->u;
        case ValueType::I8:
        case ValueType::I16:
        case ValueType::I32:
        case ValueType::I64:
            if (v->i >= 0) return static_cast<uint64_t>(v->i);
            return Error{key + ": negative"};
        default:
            return Error{key + ": is " + value_type_name(v->type) + ", not an integer"};
    }
}

Result<double> Reader::get_float(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return Error{key + ": missing"};
    if (v->type != ValueType::F32 && v->type != ValueType::F64) {
        return Error{key + ": is " + value_type_name(v->type) + ", not a float"};
    }
    return v->f;
}

Result<bool> Reader::get_bool(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return Error{key + ": missing"};
    if (v->type != ValueType::BOOL)
        return Error{key + ": is " + value_type_name(v->type) + ", not bool"};
    return v->u != 0;
}

const TensorInfo* Reader::tensor(const std::string& name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t* Reader::tensor_data(const TensorInfo& t) const {
    return base_ + data_offset_ + t.offset;
}

Result<std::vector<float>> Reader::dequantize(const std::string& name) const {
    const TensorInfo* t = tensor(name);
    if (!t) return Error{"no tensor '" + name + "'"};
    std::vector<float> out(static_cast<size_t>(t->n_elements()));
    const int64_t rows = t->n_elements() / t->ne[0];
    const int64_t rb = row_bytes(t->type, t->ne[0]);
    const uint8_t* p = tensor_data(*t);
    for (int64_t r = 0; r < rows; ++r) {
        TB_TRY_STATUS(dequantize_row(t->type, p + r * rb, t->ne[0], out.data() + r * t->ne[0]));
    }
    return out;
}

}  // namespace tb::gguf
