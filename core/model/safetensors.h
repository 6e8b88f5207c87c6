// safetensors reader (memory-mapped) and writer. Torch-free: tensors are byte views.
//
// Format: u64 little-endian header length N, then N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data buffer; offsets are relative to the buffer start. Every entry is validated
// (known dtype, offsets inside the buffer, end-begin == numel*itemsize, no overlaps) before
// any byte is handed out. Gaps between tensors and trailing bytes are tolerated (the Rust
// reader insists on a gap-free buffer); they cannot make a view point outside the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

enum class StDType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

size_t st_dtype_size(StDType t);
const char* st_dtype_name(StDType t);
// "F32" -> StDType::F32. Only the ten dtypes above; returns false (and leaves *out) if unknown.
bool st_dtype_from_name(const std::string& name, StDType* out);
bool st_dtype_is_float(StDType t);  // F32, F16, BF16, F64

struct StTensorView {
    std::string name;
    StDType dtype = StDType::F32;
    std::vector<int64_t> shape;
    const uint8_t* data = nullptr;  // points into the mapping; valid while the file lives
    size_t nbytes = 0;
};

// The check every consumer runs before it interprets a tensor's bytes: the dtype is one the
// consumer reads (an adapter of U8 read as floats would run past its data), `nbytes` equals
// numel x itemsize of that dtype, and, when `shape` is given, the shape matches. Views made by
// SafetensorsFile::open already satisfy the byte count; checking it again here keeps the
// guarantee for views assembled elsewhere. Errors: "<file>: tensor '<name>': ...".
Status st_check_tensor(const std::string& file, const StTensorView& v,
                       std::initializer_list<StDType> allowed,
                       const std::vector<int64_t>* shape = nullptr);

class SafetensorsFile {
  public:
    // Maps and validates the file. Errors name the path and the offending tensor/field.
    static Result<std::shared_ptr<SafetensorsFile>> open(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::map<std::string, StTensorView>& tensors() const { return tensors_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const StTensorView* find(const std::string& name) const;
    // Size of the whole file and of its JSON header (without the 8-byte length prefix).
    size_t file_size() const { return map_size_; }
    size_t header_size() const { return header_size_; }
    // Start of the read-only mapping (file_size() bytes); every view lies inside it.
    const uint8_t* file_data() const { return static_cast<const uint8_t*>(map_); }

  private:
    SafetensorsFile() = default;
    std::string path_;
    void* map_ = nullptr;
    size_t map_size_ = 0;
    size_t header_size_ = 0;
    std::map<std::string, StTensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

// One tensor to write; `data` holds numel*itemsize bytes, little-endian.
struct StTensorOut {
    std::string name;
    StDType dtype = StDType::F32;
    std::vector<int64_t> shape;
    std::string data;
};

// Receives the next `n` bytes of a tensor being written (any chunking). Returns an error if
// the write failed; the producer should then stop and return that error.
using StByteSink = std::function<Status(const void* data, size_t n)>;

// One tensor to write without owning its bytes, so that writing a multi-GB model never needs
// a second in-memory copy. Either `data` (a borrowed view of exactly numel*itemsize bytes,
// valid for the duration of the write) or, when `data` is null, `produce`, which is called
// once and must feed exactly numel*itemsize bytes to the sink (e.g. converting one tensor at
// a time from a device or another dtype). Zero-element tensors need neither.
struct StTensorSource {
    std::string name;
    StDType dtype = StDType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;
    std::function<Status(const StByteSink& sink)> produce;
};

// The exact header JSON (unpadded) the reference writer would produce for these tensors, and
// the order in which their bytes follow it. Exposed for tests and for callers that need the
// file size up front. Errors: empty/duplicate/reserved name, bad shape, name not UTF-8.
struct StLayout {
    std::string header;           // JSON text padded with spaces to a multiple of 8 bytes
    std::vector<size_t> order;    // indices into the input, in file order
    std::vector<uint64_t> begin;  // data offset of input i (indexed like the input)
    uint64_t data_size = 0;       // total bytes after the header
};
Result<StLayout> st_plan_layout(const std::vector<StTensorSource>& tensors,
                                const std::map<std::string, std::string>& metadata);

// Writes a safetensors file atomically (tmp + fsync + rename; on any error the tmp file is
// removed and `path` is untouched). Layout matches the `safetensors` package (Rust
// `prepare`): tensors sorted by descending dtype alignment (the Dtype enum order, so
// F64/I64 first, then F32/I32, then BF16/F16/I16, then I8/U8/BOOL), ties by name; compact
// JSON header `{"__metadata__":{..},"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}}`
// padded with spaces to a multiple of 8, so every tensor starts aligned to its itemsize.
// Empty `metadata` writes no "__metadata__" entry (like metadata=None). Each tensor's
// `data` must hold exactly numel*itemsize bytes.
Status write_safetensors(const std::string& path, const std::vector<StTensorOut>& tensors,
                         const std::map<std::string, std::string>& metadata = {});

// Streaming variant: bytes are copied from the views / producers straight into the file
// through a fixed 1 MiB buffer (large views are written directly). A producer that delivers
// a wrong byte count is an error naming the tensor.
Status write_safetensors_streamed(const std::string& path,
                                  const std::vector<StTensorSource>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

// How the model readers' errors show a name ("'name'") and a shape ("[d0,d1]").
std::string quoted_name(const std::string& name);
std::string shape_text(const std::vector<int64_t>& shape);

}  // namespace tb
