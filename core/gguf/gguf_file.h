// GGUF v3 files (llama.cpp's model format): a writer that streams tensor data in order, and a
// strict reader that validates every count, type, string, offset and size before anything is
// used, so that a truncated or corrupted file is one clear error naming the field and the byte
// offset, never a crash. Torch-free.
//
// Layout (all little endian):
//   "GGUF" u32 version=3 u64 n_tensors u64 n_kv
//   n_kv x { string key; u32 value_type; value }          string = u64 length + bytes
//   n_tensors x { string name; u32 n_dims; u64 ne[n_dims]; u32 ggml_type; u64 offset }
//   padding to general.alignment (32 by default), then the data section; every tensor's
//   offset is relative to the data section and a multiple of the alignment.
// ne[0] is the innermost (contiguous) dimension: a torch weight [rows, cols] is ne = {cols,
// rows}.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/common/error.h"
#include "core/gguf/gguf_quants.h"

namespace tb::gguf {

// gguf_type (the metadata value types).
enum class ValueType : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
};
const char* value_type_name(ValueType t);

// A metadata value. Scalars keep their GGUF type; arrays are homogeneous (nested arrays are
// read, validated and kept as raw element count only: llama.cpp writes none for Llama).
struct Value {
    ValueType type = ValueType::U32;
    ValueType elem_type = ValueType::U32;  // arrays
    uint64_t u = 0;                        // U8..U64, BOOL
    int64_t i = 0;                         // I8..I64
    double f = 0;                          // F32, F64
    std::string s;                         // STRING
    std::vector<std::string> strs;         // ARRAY of STRING
    std::vector<double> nums;              // ARRAY of numbers/bools (as double; ids fit)
    uint64_t array_len = 0;

    static Value u32(uint32_t v) {
        Value x;
        x.type = ValueType::U32;
        x.u = v;
        return x;
    }
    static Value i32(int32_t v) {
        Value x;
        x.type = ValueType::I32;
        x.i = v;
        return x;
    }
    static Value f32(float v) {
        Value x;
        x.type = ValueType::F32;
        x.f = v;
        return x;
    }
    static Value boolean(bool v) {
        Value x;
        x.type = ValueType::BOOL;
        x.u = v;
        return x;
    }
    static Value str(std::string v) {
        Value x;
        x.type = ValueType::STRING;
        x.s = std::move(v);
        return x;
    }
    static Value str_array(std::vector<std::string> v);
    static Value f32_array(const std::vector<float>& v);
    static Value i32_array(const std::vector<int32_t>& v);
};

struct TensorInfo {
    std::string name;
    std::vector<int64_t> ne;  // ne[0] innermost
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;  // relative to the data section (reader; the writer computes it)
    int64_t n_elements() const;
    int64_t n_bytes() const;  // row_bytes(type, ne[0]) * rows
};

// Streaming writer: declare metadata and every tensor first, then write the tensors' bytes in
// the declared order. The file goes to "<path>.tmp" and is renamed at finish(), so an
// interrupted export never leaves a file that looks complete.
class Writer {
  public:
    ~Writer();
    void set(const std::string& key, Value v);  // keeps insertion order; a second set replaces
    void add_tensor(const std::string& name, std::vector<int64_t> ne, GgmlType type);
    // Opens the file and writes header, metadata and tensor table. Errors: duplicate tensor
    // names, a row that is not a multiple of the type's block, I/O.
    Status begin(const std::string& path, uint32_t alignment = 32);
    // The next declared tensor's bytes (exactly its n_bytes()).
    Status write_tensor(const void* data, size_t bytes);
    Status finish();
    uint64_t file_bytes() const { return written_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }

  private:
    Status put(const void* p, size_t n);
    std::vector<std::pair<std::string, Value>> kv_;
    std::vector<TensorInfo> tensors_;
    std::string path_, tmp_;
    std::FILE* f_ = nullptr;
    size_t next_ = 0;
    uint32_t alignment_ = 32;
    uint64_t written_ = 0;
};

// A parsed, validated GGUF file (memory-mapped read-only). Lookups by key or tensor name.
class Reader {
  public:
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Opens and validates `path`. Errors read "<path>: offset N: <field>: <what>".
    static Result<std::unique_ptr<Reader>> open(const std::string& path);
    // Validates an in-memory image (the fuzzer's entry; `label` stands in for the path). The
    // bytes are copied.
    static Result<std::unique_ptr<Reader>> parse(const uint8_t* data, size_t size,
                                                 const std::string& label);

    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }  // file offset of the data section

    const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
    const Value* find(const std::string& key) const;  // nullptr when absent
    // Typed getters: errors name the key when absent or of another type.
    Result<std::string> get_string(const std::string& key) const;
    Result<uint64_t> get_uint(const std::string& key) const;  // any unsigned scalar type
    Result<double> get_float(const std::string& key) const;   // F32/F64
    Result<bool> get_bool(const std::string& key) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* tensor(const std::string& name) const;  // nullptr when absent
    // The tensor's bytes inside the mapping (valid while the Reader lives).
    const uint8_t* tensor_data(const TensorInfo& t) const;
    // All elements dequantised to float32, in ggml order (ne[0] fastest).
    Result<std::vector<float>> dequantize(const std::string& name) const;

  private:
    Reader() = default;
    static Result<std::unique_ptr<Reader>> parse_image(std::unique_ptr<Reader> r,
                                                       const std::string& label);
    std::vector<std::pair<std::string, Value>> kv_;
    std::map<std::string, size_t> kv_index_;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, size_t> tensor_index_;
    const uint8_t* base_ = nullptr;
    size_t size_ = 0;
    void* map_ = nullptr;        // mmap'ed region (open)
    std::vector<uint8_t> copy_;  // owned bytes (parse)
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t data_offset_ = 0;
};

}  // namespace tb::gguf
