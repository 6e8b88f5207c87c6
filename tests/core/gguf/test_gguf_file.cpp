// GGUF v3 writer and strict reader (core/gguf/gguf_file.h): a written file reads back with the
// same metadata (every value type) and tensor table (names, dims, types, aligned offsets, data
// bytes); malformed files - truncated anywhere, bad magic/version/type/count/offset - are
// errors naming the field and the byte offset, never crashes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/gguf/gguf_file.h"
#include "tests/test_paths.h"

using namespace tb::gguf;

namespace {

std::vector<uint8_t> read_all(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A small file: every scalar type, string and array metadata, three tensors of three types.
std::string write_sample(const std::string& dir) {
    Writer w;
    w.set("general.architecture", Value::str("llama"));
    w.set("u32", Value::u32(4000000000u));
    w.set("i32", Value::i32(-7));
    w.set("f32", Value::f32(1.5f));
    w.set("flag", Value::boolean(true));
    w.set("names", Value::str_array({"a", "", "\xe2\x96\x81x"}));
    w.set("scores", Value::f32_array({0.25f, -1.0f}));
    w.set("types", Value::i32_array({1, 3, 6}));
    w.add_tensor("a.weight", {8, 3}, GgmlType::F32);    // 96 bytes
    w.add_tensor("b.weight", {5}, GgmlType::F16);       // 10 bytes -> padded to 32
    w.add_tensor("c.weight", {64, 2}, GgmlType::Q8_0);  // 4 blocks of 34 bytes
    const std::string path = dir + "/sample.gguf";
    EXPECT_TRUE(w.begin(path).ok());
    std::vector<uint8_t> a(96), b(10), c(136);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(200 + i);
    for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(i * 7);
    EXPECT_TRUE(w.write_tensor(a.data(), a.size()).ok());
    EXPECT_TRUE(w.write_tensor(b.data(), b.size()).ok());
    EXPECT_TRUE(w.write_tensor(c.data(), c.size()).ok());
    EXPECT_TRUE(w.finish().ok());
    return path;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
    auto r = Reader::parse(bytes.data(), bytes.size(), "img");
    return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(GgufFile, RoundTripMetadataAndTensorTable) {
    const std::string path = write_sample(tbtest::scratch_dir("gguf_file"));
    auto r = Reader::open(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Reader& g = *r.value();
    EXPECT_EQ(g.version(), 3u);
    EXPECT_EQ(g.alignment(), 32u);
    EXPECT_EQ(g.get_string("general.architecture").value(), "llama");
    EXPECT_EQ(g.get_uint("u32").value(), 4000000000u);
    EXPECT_EQ(g.find("i32")->i, -7);
    EXPECT_EQ(g.get_float("f32").value(), 1.5);
    EXPECT_TRUE(g.get_bool("flag").value());
    EXPECT_EQ(g.find("names")->strs, (std::vector<std::string>{"a", "", "\xe2\x96\x81x"}));
    EXPECT_EQ(g.find("scores")->nums, (std::vector<double>{0.25, -1.0}));
    EXPECT_EQ(g.find("types")->elem_type, ValueType::I32);
    EXPECT_EQ(g.find("types")->nums, (std::vector<double>{1, 3, 6}));
    // Typed getters name the key and the mismatch.
    EXPECT_NE(g.get_string("u32").error().message.find("u32: is u32, not string"),
              std::string::npos);
    EXPECT_NE(g.get_uint("missing").error().message.find("missing: missing"), std::string::npos);

    ASSERT_EQ(g.tensors().size(), 3u);
    const TensorInfo* a = g.tensor("a.weight");
    const TensorInfo* b = g.tensor("b.weight");
    const TensorInfo* c = g.tensor("c.weight");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->ne, (std::vector<int64_t>{8, 3}));
    EXPECT_EQ(b->type, GgmlType::F16);
    EXPECT_EQ(c->type, GgmlType::Q8_0);
    // Offsets: packed in order, each padded to 32 (llama.cpp requires exactly this).
    EXPECT_EQ(a->offset, 0u);
    EXPECT_EQ(b->offset, 96u);
    EXPECT_EQ(c->offset, 128u);
    EXPECT_EQ(g.data_offset() % 32, 0u);
    EXPECT_EQ(g.tensor_data(*a)[5], 5);
    EXPECT_EQ(g.tensor_data(*b)[3], 203);
    EXPECT_EQ(g.tensor_data(*c)[135], static_cast<uint8_t>(135 * 7));
    // The file ends with the last tensor padded to the alignment.
    EXPECT_EQ(read_all(path).size(), g.data_offset() + 128 + 160);
}

TEST(GgufFile, WriterRefusesBadDeclarations) {
    const std::string dir = tbtest::scratch_dir("gguf_file_bad");
    {
        Writer w;
        w.add_tensor("x", {100}, GgmlType::Q4_K);  // not a multiple of 256
        auto s = w.begin(dir + "/a.gguf");
        ASSERT_FALSE(s.ok());
        EXPECT_NE(s.error().message.find("block of 256"), std::string::npos) << s.error().message;
    }
    {
        Writer w;
        w.add_tensor("x", {4}, GgmlType::F32);
        w.add_tensor("x", {4}, GgmlType::F32);
        EXPECT_FALSE(w.begin(dir + "/b.gguf").ok());
    }
    {
        Writer w;
        w.add_tensor("x", {4}, GgmlType::F32);
        ASSERT_TRUE(w.begin(dir + "/c.gguf").ok());
        float v[3] = {};
        EXPECT_FALSE(w.write_tensor(v, sizeof v).ok());  // 12 bytes, 16 declared
        EXPECT_FALSE(w.finish().ok());                   // a tensor is still missing
    }
}

TEST(GgufFile, EveryTruncationIsAnErrorNamingTheField) {
    const auto full = read_all(write_sample(tbtest::scratch_dir("gguf_file_trunc")));
    ASSERT_TRUE(parse_error(full).empty());
    for (size_t n = 0; n < full.size(); ++n) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
        const std::string e = parse_error(cut);
        ASSERT_FALSE(e.empty()) << "truncated to " << n << " bytes was accepted";
        ASSERT_EQ(e.rfind("img: offset ", 0), 0u) << e;
    }
}

TEST(GgufFile, CorruptFieldsAreNamed) {
    const auto full = read_all(write_sample(tbtest::scratch_dir("gguf_file_corrupt")));
    auto with = [&](size_t at, const void* p, size_t n) {
        auto b = full;
        std::memcpy(b.data() + at, p, n);
        return parse_error(b);
    };
    const uint32_t bad = 0xDEADBEEF;
    EXPECT_NE(with(0, &bad, 4).find("offset 0: magic"), std::string::npos);
    const uint32_t v9 = 9;
    EXPECT_NE(with(4, &v9, 4).find("offset 4: version: 9"), std::string::npos);
    const uint64_t many = uint64_t(1) << 60;
    EXPECT_NE(with(8, &many, 8).find("tensor count"), std::string::npos);
    EXPECT_NE(with(16, &many, 8).find("metadata count"), std::string::npos);
    // The first key's length (offset 24) made huge.
    EXPECT_NE(with(24, &many, 8).find("offset 24: metadata[0] key: string length"),
              std::string::npos)
        << with(24, &many, 8);
    // Tensor fields: c.weight's record is name, n_dims (4), ne (2 x 8), type (4), offset (8).
    // Find "c.weight" in the header and patch the fields after it.
    const std::string key = "c.weight";
    auto it = std::search(full.begin(), full.end(), key.begin(), key.end());
    ASSERT_NE(it, full.end());
    const size_t name_end = static_cast<size_t>(it - full.begin()) + key.size();
    const size_t type_at = name_end + 4 + 16, off_at = type_at + 4;
    const uint32_t t99 = 99;
    const std::string e1 = with(type_at, &t99, 4);
    EXPECT_NE(
        e1.find("offset " + std::to_string(type_at) + ": tensor[2] 'c.weight': tensor type 99"),
        std::string::npos)
        << e1;
    const uint64_t mis = 130;
    EXPECT_NE(with(off_at, &mis, 8).find("not a multiple of the alignment"), std::string::npos);
    const uint64_t far = 1 << 20;
    EXPECT_NE(with(off_at, &far, 8).find("runs past the data section"), std::string::npos);
    const uint64_t zero_dim = 0;
    EXPECT_NE(with(name_end + 4, &zero_dim, 8).find("is zero or overflows"), std::string::npos);
    const uint32_t five_dims = 5;
    EXPECT_NE(with(name_end, &five_dims, 4).find("5 dimensions"), std::string::npos);
}
