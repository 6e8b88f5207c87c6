// Resume reads optimizer state files; a tensor whose dtype is not the one the optimizer reads
// (AdamW: F32 moments; 8-bit AdamW: U8 codes and F32 absmax) is a clear error naming the file
// and the tensor, never a read past the tensor's bytes (issue 10).
#include <gtest/gtest.h>

#include "core/model/safetensors.h"
#include "core/quant/adamw_8bit.h"
#include "core/train/optimizer.h"
#include "tests/test_paths.h"

namespace {

std::vector<tb::StTensorOut> read_all(const std::string& path) {
    auto f = tb::SafetensorsFile::open(path);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
    std::vector<tb::StTensorOut> out;
    for (const auto& [name, v] : f.value()->tensors())
        out.push_back(
            {name, v.dtype, v.shape, std::string(reinterpret_cast<const char*>(v.data), v.nbytes)});
    return out;
}

// Rewrites `path` with tensor `name` relabelled as `dt` (same shape, bytes for the new dtype).
void relabel(const std::string& path, const std::string& name, tb::StDType dt) {
    auto f = tb::SafetensorsFile::open(path);
    ASSERT_TRUE(f.ok());
    const auto meta = f.value()->metadata();
    auto ts = read_all(path);
    bool found = false;
    for (auto& t : ts) {
        if (t.name != name) continue;
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        t.dtype = dt;
        t.data.assign(static_cast<size_t>(n) * tb::st_dtype_size(dt), '\x07');
        found = true;
    }
    ASSERT_TRUE(found) << name;
    ASSERT_TRUE(tb::write_safetensors(path, ts, meta).ok());
}

std::string message(const tb::Status& s) { return s.ok() ? "ok" : s.error().message; }

}  // namespace

TEST(StateFileInput, AdamWMomentsOfAnotherDtypeAreErrors) {
    at::manual_seed(5);
    std::vector<tb::NamedParameter> params{{"w", at::randn({3, 5}).requires_grad_(true)}};
    tb::AdamW opt(params, {});
    params[0].tensor.mutable_grad() = at::randn({3, 5});
    ASSERT_TRUE(opt.step(1e-3).ok());
    const std::string path = tbtest::scratch_dir("state_adamw") + "/optimizer.safetensors";
    ASSERT_TRUE(opt.save(path).ok());
    {
        tb::AdamW fresh(params, {});
        ASSERT_TRUE(fresh.load(path).ok());  // the unedited file loads
    }
    for (tb::StDType dt : {tb::StDType::U8, tb::StDType::I32, tb::StDType::F64}) {
        ASSERT_TRUE(opt.save(path).ok());
        relabel(path, "exp_avg/w", dt);
        tb::AdamW fresh(params, {});
        const std::string msg = message(fresh.load(path));
        EXPECT_NE(msg.find(path + ": tensor 'exp_avg/w': dtype " + tb::st_dtype_name(dt)),
                  std::string::npos)
            << msg;
        EXPECT_EQ(fresh.steps(), 0) << "a refused file must not change the optimizer";
    }
}

TEST(StateFileInput, AdamW8bitTensorsOfAnotherDtypeAreErrors) {
    at::manual_seed(6);
    // Large enough for 8-bit state (min_8bit_size elements) so codes (U8) and absmax (F32)
    // both exist.
    at::Tensor p = at::randn({64, 80});
    tb::AdamW8bit opt;
    at::Tensor g = at::randn({64, 80});
    ASSERT_TRUE(opt.step({p}, {g}, 1e-3, 1).ok());
    const std::string path = tbtest::scratch_dir("state_adamw8") + "/optimizer.safetensors";
    ASSERT_TRUE(opt.save(path).ok());
    {
        tb::AdamW8bit fresh;
        ASSERT_TRUE(fresh.load(path, {p}).ok());
    }
    for (auto [name, dt] : {std::pair<const char*, tb::StDType>{"0.m", tb::StDType::I32},
                            {"0.m_absmax", tb::StDType::F16},
                            {"0.v", tb::StDType::BOOL}}) {
        ASSERT_TRUE(opt.save(path).ok());
        relabel(path, name, dt);
        tb::AdamW8bit fresh;
        const std::string msg = message(fresh.load(path, {p}));
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(name), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::string("dtype ") + tb::st_dtype_name(dt)), std::string::npos)
            << msg;
    }
    // U8 and F32 are both state dtypes; one in the other's place is caught per tensor.
    ASSERT_TRUE(opt.save(path).ok());
    relabel(path, "0.m_absmax", tb::StDType::U8);
    tb::AdamW8bit fresh;
    const std::string msg = message(fresh.load(path, {p}));
    EXPECT_NE(msg.find(path + ": optimizer state 0: tensor '0.m_absmax' has 20 Byte values"),
              std::string::npos)
        << msg;
}
