// Randomized corruption (a poor man's fuzzer, fixed seeds so failures reproduce): valid files
// with flipped, overwritten, inserted, deleted or truncated bytes must open cleanly or fail
// with an error naming the file, never crash or hand out a view outside the mapping. The
// sanitize variant runs this under ASan/UBSan.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "core/model/model_folder.h"
#include "tests/core/model/mio_test_util.h"
#include "tests/core/model/tiny_llama_folder.h"

namespace {

using miotest::read_bytes;
using miotest::scratch;
using miotest::write_bytes;

constexpr int kIterations = 2000;

// One random mutation of `s`; `focus` is the prefix (header) where most structure lives.
std::string mutate(std::string s, size_t focus, std::mt19937_64& rng) {
    auto pos = [&](size_t limit) { return limit == 0 ? 0 : static_cast<size_t>(rng() % limit); };
    const size_t region = (rng() % 4 != 0 && focus > 0) ? std::min(focus, s.size()) : s.size();
    switch (rng() % 8) {
        case 0:  // flip 1..8 bits
            for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n && !s.empty(); ++i)
                s[pos(region)] ^= static_cast<char>(1u << (rng() % 8));
            break;
        case 1:  // overwrite with a random byte
            if (!s.empty()) s[pos(region)] = static_cast<char>(rng() & 0xff);
            break;
        case 2: {  // overwrite with a JSON-meaningful character
            static const char kChars[] = "{}[]\":,0123456789-eE.\\ ";
            if (!s.empty()) s[pos(region)] = kChars[rng() % (sizeof(kChars) - 1)];
            break;
        }
        case 3:  // truncate
            s.resize(pos(s.size() + 1));
            break;
        case 4:  // delete a byte
            if (!s.empty()) s.erase(pos(region), 1);
            break;
        case 5:  // insert a byte
            s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos(region + 1)),
                     static_cast<char>(rng() & 0xff));
            break;
        case 6: {  // random length prefix (small, plausible, or huge)
            const uint64_t choices[] = {rng() % 64, rng() % (s.size() + 16), rng(), 100'000'001ull};
            const std::string le = miotest::le_u64(choices[rng() % 4]);
            if (s.size() >= 8) s.replace(0, 8, le);
            break;
        }
        default: {  // change one digit (offsets and shapes are where lies hurt most)
            std::vector<size_t> digits;
            for (size_t i = 8; i < region; ++i)
                if (s[i] >= '0' && s[i] <= '9') digits.push_back(i);
            if (!digits.empty())
                s[digits[rng() % digits.size()]] = static_cast<char>('0' + rng() % 10);
            break;
        }
    }
    return s;
}

TEST(Corruption, SafetensorsNeverCrash) {
    const std::string dir = scratch("corrupt_st");
    const std::string valid_path = dir + "/valid.safetensors";
    std::mt19937_64 data_rng(3);
    std::vector<tb::StTensorOut> tensors;
    const tb::StDType dts[] = {tb::StDType::F32, tb::StDType::BF16, tb::StDType::I64,
                               tb::StDType::U8, tb::StDType::F16};
    for (int i = 0; i < 10; ++i) {
        const tb::StDType dt = dts[i % 5];
        const std::vector<int64_t> shape = {1 + i % 3, 2 + i % 4};
        std::string bytes(static_cast<size_t>(shape[0] * shape[1]) * tb::st_dtype_size(dt), '\0');
        for (auto& c : bytes) c = static_cast<char>(data_rng() & 0xff);
        tensors.push_back({"layer." + std::to_string(i) + ".w", dt, shape, bytes});
    }
    ASSERT_TRUE(tb::write_safetensors(valid_path, tensors, {{"format", "pt"}}).ok());
    const std::string valid = read_bytes(valid_path);
    auto orig = tb::SafetensorsFile::open(valid_path);
    ASSERT_TRUE(orig.ok());
    const size_t header_end = 8 + (*orig)->header_size();

    std::mt19937_64 rng(20240601);
    int opened = 0, rejected = 0;
    const std::string path = dir + "/mutant.safetensors";
    for (int it = 0; it < kIterations; ++it) {
        std::string m = mutate(valid, header_end, rng);
        if (rng() % 5 == 0) m = mutate(m, header_end, rng);  // sometimes two mutations
        write_bytes(path, m);
        auto f = tb::SafetensorsFile::open(path);
        if (!f.ok()) {
            ++rejected;
            ASSERT_EQ(f.error().message.rfind(path + ": ", 0), 0u) << f.error().message;
            continue;
        }
        ++opened;
        // Everything handed out must lie inside the mapping, and not overlap.
        const uint8_t* lo = (*f)->file_data();
        const uint8_t* hi = lo + (*f)->file_size();
        uint64_t checksum = 0;
        for (const auto& [name, v] : (*f)->tensors()) {
            ASSERT_GE(v.data, lo + 8 + (*f)->header_size()) << "iteration " << it << " " << name;
            ASSERT_LE(v.data + v.nbytes, hi) << "iteration " << it << " " << name;
            uint64_t numel = 1;
            for (int64_t d : v.shape) numel *= static_cast<uint64_t>(d);
            ASSERT_EQ(numel * tb::st_dtype_size(v.dtype), v.nbytes) << name;
            for (size_t i = 0; i < v.nbytes; ++i) checksum += v.data[i];  // touch every byte
        }
        (void)checksum;
    }
    std::cout << "[ stats    ] safetensors mutants: " << opened << " opened, " << rejected
              << " rejected\n";
    // The mutations must exercise both outcomes, or this test proves nothing.
    EXPECT_GT(rejected, kIterations / 4);
    EXPECT_GT(opened, 20);
}

TEST(Corruption, ConfigAndIndexJsonNeverCrash) {
    const tb::LlamaConfig cfg = tbtest::random_tiny_llama_config(4);
    const std::string config_text = tb::llama_config_to_json(cfg);
    std::mt19937_64 rng(77);
    int ok = 0, bad = 0;
    for (int it = 0; it < kIterations; ++it) {
        std::string m = mutate(config_text, config_text.size(), rng);
        auto r = tb::parse_llama_config(m, "c/config.json");
        if (r.ok()) {
            ++ok;
            // Whatever parsed must be internally consistent.
            EXPECT_GT(r->hidden_size, 0);
            EXPECT_EQ(r->num_attention_heads % r->num_key_value_heads, 0);
            EXPECT_EQ(r->head_dim % 2, 0);
        } else {
            ++bad;
            ASSERT_EQ(r.error().message.rfind("c/config.json: ", 0), 0u) << r.error().message;
        }
        auto g = tb::parse_generation_defaults(m, "c/generation_config.json");
        (void)g;
    }
    std::cout << "[ stats    ] config.json mutants: " << ok << " parsed, " << bad << " rejected\n";
    EXPECT_GT(ok, 20);
    EXPECT_GT(bad, kIterations / 4);
}

TEST(Corruption, DeepNestingIsAnErrorNotAStackOverflow) {
    // A million nested arrays: parsing, destroying and reporting must not recurse that deep.
    const size_t depth = 1000000;
    const std::string nest = std::string(depth, '[') + std::string(depth, ']');
    auto r =
        tb::parse_llama_config("{\"model_type\":\"llama\",\"vocab_size\":" + nest + "}", "c.json");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("c.json: vocab_size: expected an integer, got array", 0), 0u)
        << r.error().message.substr(0, 200);

    const std::string dir = scratch("corrupt_deep");
    const std::string path = dir + "/deep.safetensors";
    write_bytes(path, miotest::raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":" + nest +
                                                   ",\"data_offsets\":[0,4]}}",
                                               "abcd"));
    auto f = tb::SafetensorsFile::open(path);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().message, path + ": tensor 'w': shape: dimension 0 is not an integer");
}

TEST(Corruption, ShardedFolderNeverCrashes) {
    // Corrupt the index and one shard of a real folder; open_model_folder must stay an error
    // value (or succeed when the mutation was harmless).
    const std::string dir = scratch("corrupt_folder");
    tbtest::TinyLlamaOptions opt;
    opt.shards = 2;
    opt.seed = 9;
    const tb::LlamaConfig cfg = tbtest::random_tiny_llama_config(9);
    ASSERT_TRUE(tbtest::write_tiny_llama_folder(dir, cfg, opt).ok());
    ASSERT_TRUE(tb::open_model_folder(dir).ok());
    const std::string index_path = dir + "/model.safetensors.index.json";
    const std::string shard_path = dir + "/model-00001-of-00002.safetensors";
    const std::string index = read_bytes(index_path), shard = read_bytes(shard_path);
    auto sf = tb::SafetensorsFile::open(shard_path);
    ASSERT_TRUE(sf.ok());
    const size_t shard_header = 8 + (*sf)->header_size();
    sf = tb::make_error("", "released");  // drop the mapping before rewriting the file

    std::mt19937_64 rng(4242);
    int ok = 0, bad = 0;
    for (int it = 0; it < kIterations / 4; ++it) {
        const bool hit_index = rng() % 2;
        write_bytes(index_path, hit_index ? mutate(index, index.size(), rng) : index);
        write_bytes(shard_path, hit_index ? shard : mutate(shard, shard_header, rng));
        auto f = tb::open_model_folder(dir);
        if (f.ok()) {
            ++ok;
            for (const auto& [name, v] : f->tensors) ASSERT_NE(v, nullptr) << name;
        } else {
            ++bad;
            ASSERT_EQ(f.error().message.rfind(dir + "/", 0), 0u) << f.error().message;
        }
    }
    std::cout << "[ stats    ] folder mutants: " << ok << " opened, " << bad << " rejected\n";
    EXPECT_GT(bad, kIterations / 16);
    EXPECT_GT(ok, 5);
}

}  // namespace
