// safetensors writer/reader: byte-exact layout against the reference crate, round trips for
// every dtype, streaming, atomicity, and malformed headers that must become clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "core/model/safetensors.h"
#include "tests/core/model/mio_test_util.h"

namespace {

using miotest::contains;
using miotest::raw_safetensors;
using miotest::read_bytes;
using miotest::scratch;
using miotest::write_bytes;
using tb::SafetensorsFile;
using tb::StDType;
using tb::StTensorOut;

std::string f32_bytes(std::initializer_list<float> xs) {
    std::string s;
    for (float f : xs) s.append(reinterpret_cast<const char*>(&f), 4);  // x86/ARM: little-endian
    return s;
}

std::string random_bytes(std::mt19937_64& rng, size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
}

// Files left in `dir` other than `keep` (temp files must never survive a write).
size_t count_files(const std::string& dir) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) (void)e, ++n;
    return n;
}

// Expected bytes from the Rust crate's own unit tests (safetensors/src/tensor.rs,
// test_serialization / test_empty / test_serialization_forced_alignement).
TEST(SafetensorsWriter, MatchesReferenceBytes) {
    const std::string dir = scratch("st_ref");
    const std::vector<uint8_t> attn_dot_0 = {
        64, 0,  0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,  48,
        34, 58, 123, 34,  100, 116, 121, 112, 101, 34,  58,  34,  70,  51,  50,  34,
        44, 34, 115, 104, 97,  112, 101, 34,  58,  91,  49,  44,  50,  44,  51,  93,
        44, 34, 100, 97,  116, 97,  95,  111, 102, 102, 115, 101, 116, 115, 34,  58,
        91, 48, 44,  50,  52,  93,  125, 125, 0,   0,   0,   0,   0,   0,   128, 63,
        0,  0,  0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64};
    ASSERT_TRUE(
        tb::write_safetensors(dir + "/a.safetensors",
                              {{"attn.0", StDType::F32, {1, 2, 3}, f32_bytes({0, 1, 2, 3, 4, 5})}})
            .ok());
    EXPECT_EQ(read_bytes(dir + "/a.safetensors"),
              std::string(attn_dot_0.begin(), attn_dot_0.end()));

    const std::vector<uint8_t> forced_alignment = {
        72,  0,   0,   0,   0,   0,   0,   0,   123, 34, 97, 116, 116, 110, 48,  34,  58,  123,
        34,  100, 116, 121, 112, 101, 34,  58,  34,  70, 51, 50,  34,  44,  34,  115, 104, 97,
        112, 101, 34,  58,  91,  49,  44,  49,  44,  50, 44, 51,  93,  44,  34,  100, 97,  116,
        97,  95,  111, 102, 102, 115, 101, 116, 115, 34, 58, 91,  48,  44,  50,  52,  93,  125,
        125, 32,  32,  32,  32,  32,  32,  32,  0,   0,  0,  0,   0,   0,   128, 63,  0,   0,
        0,   64,  0,   0,   64,  64,  0,   0,   128, 64, 0,  0,   160, 64};
    ASSERT_TRUE(tb::write_safetensors(
                    dir + "/b.safetensors",
                    {{"attn0", StDType::F32, {1, 1, 2, 3}, f32_bytes({0, 1, 2, 3, 4, 5})}})
                    .ok());
    EXPECT_EQ(read_bytes(dir + "/b.safetensors"),
              std::string(forced_alignment.begin(), forced_alignment.end()));

    const std::vector<uint8_t> empty = {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32};
    ASSERT_TRUE(tb::write_safetensors(dir + "/c.safetensors", {}).ok());
    EXPECT_EQ(read_bytes(dir + "/c.safetensors"), std::string(empty.begin(), empty.end()));

    const std::vector<uint8_t> empty_meta = {
        40,  0,   0,   0,  0,  0,  0,   0,   123, 34,  95,  95,  109, 101, 116, 97,
        100, 97,  116, 97, 95, 95, 34,  58,  123, 34,  102, 114, 97,  109, 101, 119,
        111, 114, 107, 34, 58, 34, 112, 116, 34,  125, 125, 32,  32,  32,  32,  32};
    ASSERT_TRUE(tb::write_safetensors(dir + "/d.safetensors", {}, {{"framework", "pt"}}).ok());
    EXPECT_EQ(read_bytes(dir + "/d.safetensors"),
              std::string(empty_meta.begin(), empty_meta.end()));
}

TEST(SafetensorsWriter, OrdersByDescendingAlignmentThenName) {
    std::vector<tb::StTensorSource> src = {
        {"b", StDType::F32, {1}, "\0\0\0\0", nullptr},
        {"a", StDType::F16, {1}, "\0\0", nullptr},
        {"c", StDType::I64, {1}, "\0\0\0\0\0\0\0\0", nullptr},
        {"d", StDType::BOOL, {1}, "\0", nullptr},
        {"a2", StDType::I32, {1}, "\0\0\0\0", nullptr},
        {"z", StDType::BF16, {2}, "\0\0\0\0", nullptr},
        {"e", StDType::F64, {1}, "\0\0\0\0\0\0\0\0", nullptr},
        {"y", StDType::U8, {1}, "\0", nullptr},
    };
    auto L = tb::st_plan_layout(src, {{"k", "v"}});
    ASSERT_TRUE(L.ok()) << L.error().message;
    std::vector<std::string> order;
    for (size_t i : L->order) order.push_back(src[i].name);
    // Rust Dtype enum order: BOOL < U8 < I8 < I16 < F16 < BF16 < I32 < F32 < F64 < I64.
    EXPECT_EQ(order, (std::vector<std::string>{"c", "e", "b", "a2", "z", "a", "y", "d"}));
    EXPECT_EQ(
        L->header.rfind("{\"__metadata__\":{\"k\":\"v\"},\"c\":{\"dtype\":\"I64\",\"shape\":[1],"
                        "\"data_offsets\":[0,8]},\"e\":",
                        0),
        0u)
        << L->header;
    EXPECT_EQ(L->header.size() % 8, 0u);
    EXPECT_EQ(L->data_size, 8u + 8 + 4 + 4 + 4 + 2 + 1 + 1);
}

TEST(Safetensors, RoundTripEveryDtype) {
    const std::string dir = scratch("st_roundtrip");
    std::mt19937_64 rng(7);
    std::vector<StTensorOut> in;
    const StDType all[] = {StDType::F32, StDType::F16, StDType::BF16, StDType::F64, StDType::I64,
                           StDType::I32, StDType::I16, StDType::I8,   StDType::U8,  StDType::BOOL};
    for (StDType dt : all) {
        const std::string base = std::string("t_") + tb::st_dtype_name(dt);
        in.push_back({base + "_2d", dt, {3, 5}, random_bytes(rng, 15 * tb::st_dtype_size(dt))});
        in.push_back({base + "_scalar", dt, {}, random_bytes(rng, tb::st_dtype_size(dt))});
        in.push_back({base + "_empty", dt, {0, 4}, ""});
        in.push_back({base + "_3d", dt, {2, 1, 7}, random_bytes(rng, 14 * tb::st_dtype_size(dt))});
    }
    const std::map<std::string, std::string> meta = {
        {"format", "pt"},
        {"note", "quote \" backslash \\ newline \n tab \t ctrl \x01 utf8 é 日本"}};
    const std::string path = dir + "/all.safetensors";
    auto st = tb::write_safetensors(path, in, meta);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(count_files(dir), 1u);

    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ((*f)->metadata(), meta);
    ASSERT_EQ((*f)->tensors().size(), in.size());
    for (const auto& t : in) {
        const tb::StTensorView* v = (*f)->find(t.name);
        ASSERT_NE(v, nullptr) << t.name;
        EXPECT_EQ(v->name, t.name);
        EXPECT_EQ(v->dtype, t.dtype) << t.name;
        EXPECT_EQ(v->shape, t.shape) << t.name;
        ASSERT_EQ(v->nbytes, t.data.size()) << t.name;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(v->data), v->nbytes), t.data) << t.name;
        // The layout keeps every tensor aligned to its itemsize (the mapping is page-aligned).
        EXPECT_EQ(reinterpret_cast<uintptr_t>(v->data) % tb::st_dtype_size(v->dtype), 0u) << t.name;
        EXPECT_GE(v->data, (*f)->file_data());
        EXPECT_LE(v->data + v->nbytes, (*f)->file_data() + (*f)->file_size());
    }
    EXPECT_EQ((*f)->find("nope"), nullptr);
    EXPECT_EQ((*f)->header_size() % 8, 0u);
}

TEST(Safetensors, DtypeNames) {
    tb::StDType d = StDType::F32;
    EXPECT_TRUE(tb::st_dtype_from_name("BF16", &d));
    EXPECT_EQ(d, StDType::BF16);
    EXPECT_FALSE(tb::st_dtype_from_name("F8_E4M3", &d));
    EXPECT_FALSE(tb::st_dtype_from_name("bf16", &d));
    EXPECT_EQ(d, StDType::BF16);
    EXPECT_EQ(tb::st_dtype_size(StDType::I64), 8u);
    EXPECT_EQ(tb::st_dtype_size(StDType::BOOL), 1u);
    EXPECT_TRUE(tb::st_dtype_is_float(StDType::F16));
    EXPECT_FALSE(tb::st_dtype_is_float(StDType::I32));
}

TEST(SafetensorsWriter, StreamsFromProducersInChunks) {
    const std::string dir = scratch("st_stream");
    // 3 MiB + a bit: larger than the writer's 1 MiB buffer, fed in uneven chunks.
    const size_t n = 3 * (1 << 20) + 12;
    std::string expected(n, '\0');
    for (size_t i = 0; i < n; ++i) expected[i] = static_cast<char>((i * 131) & 0xff);
    const std::string small = f32_bytes({1.5f, -2.0f});
    std::vector<tb::StTensorSource> src(2);
    src[0].name = "big";
    src[0].dtype = StDType::U8;
    src[0].shape = {static_cast<int64_t>(n)};
    src[0].produce = [&](const tb::StByteSink& sink) -> tb::Status {
        size_t done = 0, step = 1;
        while (done < n) {
            const size_t k = std::min(step, n - done);
            TB_TRY_STATUS(sink(expected.data() + done, k));
            done += k;
            step = step * 3 + 1;
        }
        return tb::Status::Ok();
    };
    src[1].name = "small";
    src[1].shape = {2};
    src[1].data = small.data();
    auto st = tb::write_safetensors_streamed(dir + "/s.safetensors", src);
    ASSERT_TRUE(st.ok()) << st.error().message;
    auto f = SafetensorsFile::open(dir + "/s.safetensors");
    ASSERT_TRUE(f.ok()) << f.error().message;
    const auto* big = (*f)->find("big");
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(big->data), big->nbytes), expected);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->find("small")->data), 8), small);
}

TEST(SafetensorsWriter, ProducerErrorsLeaveOldFileAndNoTemp) {
    const std::string dir = scratch("st_atomic");
    const std::string path = dir + "/m.safetensors";
    ASSERT_TRUE(tb::write_safetensors(path, {{"x", StDType::F32, {1}, f32_bytes({3})}}).ok());
    const std::string before = read_bytes(path);

    auto producer = [](size_t deliver) {
        return [deliver](const tb::StByteSink& sink) -> tb::Status {
            std::string bytes(deliver, 'a');
            return sink(bytes.data(), bytes.size());
        };
    };
    std::vector<tb::StTensorSource> src(1);
    src[0].name = "w";
    src[0].shape = {4};  // 16 bytes of F32
    src[0].produce = producer(15);
    auto st = tb::write_safetensors_streamed(path, src);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.error().message, "'w'")) << st.error().message;
    EXPECT_TRUE(contains(st.error().message, "15 of 16")) << st.error().message;

    src[0].produce = producer(17);
    st = tb::write_safetensors_streamed(path, src);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.error().message, "more than 16")) << st.error().message;

    src[0].produce = [](const tb::StByteSink&) -> tb::Status {
        return tb::make_error("gpu", "device lost");
    };
    st = tb::write_safetensors_streamed(path, src);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.error().message, "device lost"));

    src[0].produce = nullptr;
    st = tb::write_safetensors_streamed(path, src);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.error().message, "neither data nor a producer")) << st.error().message;

    EXPECT_EQ(read_bytes(path), before);
    EXPECT_EQ(count_files(dir), 1u);  // no temp file survives
}

TEST(SafetensorsWriter, RejectsBadInput) {
    const std::string dir = scratch("st_writer_bad");
    const std::string p = dir + "/x.safetensors";
    struct Case {
        std::vector<StTensorOut> tensors;
        std::string needle;
    };
    const std::vector<Case> cases = {
        {{{"w", StDType::F32, {2}, "abc"}}, "'w': data has 3 bytes"},
        {{{"w", StDType::F32, {1}, "abcd"}, {"w", StDType::F32, {1}, "abcd"}}, "appears twice"},
        {{{"", StDType::F32, {1}, "abcd"}}, "empty name"},
        {{{"__metadata__", StDType::U8, {1}, "a"}}, "reserved"},
        {{{"neg", StDType::U8, {-1}, ""}}, "negative"},
        {{{"huge", StDType::U8, {1ll << 40, 1ll << 40}, ""}}, "overflows"},
        {{{"bad\xff", StDType::U8, {1}, "a"}}, "UTF-8"},
    };
    for (const auto& c : cases) {
        auto st = tb::write_safetensors(p, c.tensors);
        ASSERT_FALSE(st.ok()) << c.needle;
        EXPECT_TRUE(contains(st.error().message, c.needle)) << st.error().message;
        EXPECT_EQ(st.error().message.rfind(p, 0), 0u) << st.error().message;
    }
    auto st = tb::write_safetensors(p, {}, {{"k", "bad\xfe"}});
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(count_files(dir), 0u);
    EXPECT_FALSE(tb::write_safetensors(dir + "/no/such/dir/x.safetensors", {}).ok());
}

// ---- malformed files ------------------------------------------------------------------

std::string open_error(const std::string& path) {
    auto f = SafetensorsFile::open(path);
    if (f.ok()) return "";
    return f.error().message;
}

struct BadCase {
    const char* label;
    std::string bytes;
    std::vector<std::string> needles;  // all must appear in the message
};

TEST(SafetensorsReader, MalformedFilesGiveClearErrors) {
    const std::string dir = scratch("st_malformed");
    const std::string ok4 = "\"dtype\":\"F32\",\"shape\":[1]";
    const std::string eight(8, '\x11');
    const std::vector<BadCase> cases = {
        {"empty file", "", {"0 bytes", "too short"}},
        {"7 bytes", std::string(7, '\0'), {"7 bytes", "too short"}},
        {"length beyond file",
         raw_safetensors("{}", "", 1000),
         {"header length 1000", "truncated"}},
        {"length > 100MB", raw_safetensors("{}", "", 200'000'000), {"100 MB"}},
        {"length 2^64-1", miotest::le_u64(~0ull) + "{}", {"header length"}},
        {"empty header", raw_safetensors("", ""), {"not valid JSON"}},
        {"not JSON", raw_safetensors("{\"a\": [1, 2", ""), {"not valid JSON"}},
        {"binary header", raw_safetensors(std::string("\x00\xff\xfe{", 4), ""), {"not valid JSON"}},
        {"invalid utf8 in name", raw_safetensors("{\"\xff\":{}}", ""), {"not valid JSON"}},
        {"array header", raw_safetensors("[1,2]", ""), {"not a JSON object"}},
        {"entry not object", raw_safetensors("{\"w\":[1]}", ""), {"'w'", "not a JSON object"}},
        {"unknown dtype",
         raw_safetensors("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                         "x"),
         {"'w'", "dtype", "F8_E4M3"}},
        {"dtype not string",
         raw_safetensors("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", eight),
         {"'w'", "dtype: not a string"}},
        {"missing dtype",
         raw_safetensors("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", eight),
         {"'w'", "dtype: missing"}},
        {"missing shape",
         raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", eight),
         {"'w'", "shape: missing"}},
        {"missing offsets",
         raw_safetensors("{\"w\":{" + ok4 + "}}", eight),
         {"'w'", "data_offsets: missing"}},
        {"unknown field",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[0,4],\"extra\":1}}", eight),
         {"'w'", "unknown field 'extra'"}},
        {"negative shape",
         raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}",
                         eight),
         {"'w'", "shape", "negative"}},
        {"float shape",
         raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}",
                         eight),
         {"'w'", "shape", "not an integer"}},
        {"shape not array",
         raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", eight),
         {"'w'", "shape: not an array"}},
        {"overflowing shape",
         raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                         "\"data_offsets\":[0,4]}}",
                         eight),
         {"'w'", "overflows"}},
        {"dim above int64",
         raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[18446744073709551615],"
                         "\"data_offsets\":[0,4]}}",
                         eight),
         {"'w'", "too large"}},
        {"bytes overflow",
         raw_safetensors("{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
                         "\"data_offsets\":[0,4]}}",
                         eight),
         {"'w'", "overflows"}},
        {"end beyond file",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[4,8]}}", "abcd"),
         {"'w'", "data_offsets [4,8]", "beyond the 4-byte data buffer"}},
        {"huge end",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[0,99999999999]}}", eight),
         {"'w'", "beyond"}},
        {"begin after end",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[8,4]}}", eight),
         {"'w'", "begin is after end"}},
        {"size mismatch",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[0,8]}}", eight),
         {"'w'", "8 bytes", "needs 4"}},
        {"negative offset",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[-4,0]}}", eight),
         {"'w'", "data_offsets"}},
        {"three offsets",
         raw_safetensors("{\"w\":{" + ok4 + ",\"data_offsets\":[0,4,8]}}", eight),
         {"'w'", "data_offsets"}},
        {"overlap",
         raw_safetensors("{\"a\":{" + ok4 +
                             ",\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\","
                             "\"shape\":[1],\"data_offsets\":[2,6]}}",
                         eight),
         {"'b'", "overlap", "'a'"}},
        {"same range twice",
         raw_safetensors("{\"a\":{" + ok4 + ",\"data_offsets\":[0,4]},\"b\":{" + ok4 +
                             ",\"data_offsets\":[0,4]}}",
                         eight),
         {"overlap"}},
        {"duplicate name",
         raw_safetensors("{\"a\":{" + ok4 + ",\"data_offsets\":[0,4]},\"a\":{" + ok4 +
                             ",\"data_offsets\":[4,8]}}",
                         eight),
         {"'a'", "twice"}},
        {"metadata not object", raw_safetensors("{\"__metadata__\":[1]}", ""), {"__metadata__"}},
        {"metadata non-string",
         raw_safetensors("{\"__metadata__\":{\"n\":1}}", ""),
         {"__metadata__", "'n'", "not a string"}},
        {"empty name",
         raw_safetensors("{\"\":{" + ok4 + ",\"data_offsets\":[0,4]}}", eight),
         {"empty name"}},
    };
    int i = 0;
    for (const auto& c : cases) {
        const std::string path = dir + "/case" + std::to_string(i++) + ".safetensors";
        write_bytes(path, c.bytes);
        const std::string msg = open_error(path);
        ASSERT_FALSE(msg.empty()) << c.label << ": opened although malformed";
        EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << c.label << ": " << msg;
        for (const auto& n : c.needles) EXPECT_TRUE(contains(msg, n)) << c.label << ": " << msg;
    }
}

TEST(SafetensorsReader, EveryTruncationIsAnError) {
    const std::string dir = scratch("st_truncate");
    const std::string path = dir + "/full.safetensors";
    ASSERT_TRUE(tb::write_safetensors(path, {{"a", StDType::F32, {2, 2}, std::string(16, 'a')},
                                             {"b", StDType::BF16, {3}, std::string(6, 'b')},
                                             {"c", StDType::U8, {5}, std::string(5, 'c')}})
                    .ok());
    const std::string full = read_bytes(path);
    ASSERT_TRUE(SafetensorsFile::open(path).ok());
    for (size_t len = 0; len < full.size(); ++len) {
        const std::string p = dir + "/cut.safetensors";
        write_bytes(p, full.substr(0, len));
        const std::string msg = open_error(p);
        EXPECT_FALSE(msg.empty()) << "truncated to " << len << " bytes still opened";
        EXPECT_TRUE(contains(msg, "truncated") || contains(msg, "not valid JSON"))
            << len << ": " << msg;
    }
}

TEST(SafetensorsReader, ToleratesGapsAndTrailingBytesButNotMissingFiles) {
    const std::string dir = scratch("st_gaps");
    const std::string path = dir + "/gap.safetensors";
    write_bytes(path,
                raw_safetensors("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                                "\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[9,9]}}",
                                "....ab...tail"));
    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->find("a")->data), 2), "ab");
    EXPECT_EQ((*f)->find("z")->nbytes, 0u);

    auto missing = SafetensorsFile::open(dir + "/nope.safetensors");
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(contains(missing.error().message, dir + "/nope.safetensors: cannot open"));
    auto directory = SafetensorsFile::open(dir);
    ASSERT_FALSE(directory.ok());
    EXPECT_TRUE(contains(directory.error().message, "not a regular file"));
}

TEST(SafetensorsReader, ViewsOutliveTheFileName) {
    // The mapping, not the path, keeps the bytes: deleting or replacing the file after open
    // must not invalidate views (HF checkpoints get re-downloaded under open readers).
    const std::string dir = scratch("st_unlink");
    const std::string path = dir + "/m.safetensors";
    ASSERT_TRUE(tb::write_safetensors(path, {{"w", StDType::F32, {2}, f32_bytes({1, 2})}}).ok());
    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(tb::write_safetensors(path, {{"w", StDType::F32, {2}, f32_bytes({7, 8})}}).ok());
    ::unlink(path.c_str());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->find("w")->data), 8),
              f32_bytes({1, 2}));
}

}  // namespace

// st_check_tensor is what every consumer (adapter, optimizer, rng state, BERTScore encoder,
// model folder) runs before it interprets bytes; each defect it must catch is checked alone.
TEST(SafetensorsReader, CheckTensorRejectsWrongDtypeByteCountAndShape) {
    const std::string data(24, '\x01');
    tb::StTensorView v;
    v.name = "layer.w";
    v.dtype = StDType::F32;
    v.shape = {2, 3};
    v.data = reinterpret_cast<const uint8_t*>(data.data());
    v.nbytes = 24;
    const std::vector<int64_t> shape{2, 3}, other{3, 2};
    EXPECT_TRUE(tb::st_check_tensor("f.st", v, {StDType::F32}, &shape).ok());
    EXPECT_TRUE(tb::st_check_tensor("f.st", v, {StDType::BF16, StDType::F32}).ok());

    auto message = [](const tb::Status& s) {
        return s.ok() ? std::string("ok") : s.error().message;
    };
    const std::string wrong_dtype =
        message(tb::st_check_tensor("f.st", v, {StDType::F16, StDType::BF16}));
    EXPECT_TRUE(contains(wrong_dtype, "f.st: tensor 'layer.w': dtype F32 is not supported"))
        << wrong_dtype;
    EXPECT_TRUE(contains(wrong_dtype, "F16, BF16")) << wrong_dtype;

    EXPECT_TRUE(contains(message(tb::st_check_tensor("f.st", v, {StDType::F32}, &other)),
                         "shape [2,3] (expected [3,2])"));

    // A view whose byte count disagrees with dtype x shape (U8 label over F32 bytes, or bytes
    // missing) is refused before anyone reads it.
    tb::StTensorView u8 = v;
    u8.dtype = StDType::U8;
    EXPECT_TRUE(contains(message(tb::st_check_tensor("f.st", u8, {StDType::U8})),
                         "24 bytes of data, but U8 [2,3] needs 6"));
    tb::StTensorView f64 = v;
    f64.dtype = StDType::F64;
    EXPECT_TRUE(contains(message(tb::st_check_tensor("f.st", f64, {StDType::F64})),
                         "but F64 [2,3] needs 48"));
    tb::StTensorView no_data = v;
    no_data.data = nullptr;
    EXPECT_TRUE(contains(message(tb::st_check_tensor("f.st", no_data, {StDType::F32})), "no data"));
    tb::StTensorView huge = v;
    huge.shape = {INT64_MAX, 4};
    EXPECT_TRUE(contains(message(tb::st_check_tensor("f.st", huge, {StDType::F32})), "overflows"));
}
