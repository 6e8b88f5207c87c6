#include "core/quant/codebook.h"

#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tb {

namespace {

// torch.linspace(start, end, steps) for float32 as ATen's scalar CPU kernel computes it:
// step = (end - start) / (steps - 1) in float; the first half counts up from start, the
// second half down from end (so both ends are exact).
std::vector<float> linspace_f32(double start_d, double end_d, int64_t steps) {
    const float start = static_cast<float>(start_d);
    const float end = static_cast<float>(end_d);
    const float step = (end - start) / static_cast<float>(steps - 1);
    const int64_t halfway = steps / 2;
    std::vector<float> out(static_cast<size_t>(steps));
    for (int64_t i = 0; i < steps; ++i) {
        out[static_cast<size_t>(i)] = i < halfway
                                          ? start + step * static_cast<float>(i)
                                          : end - step * static_cast<float>(steps - i - 1);
    }
    return out;
}

// create_dynamic_map(signed, max_exponent_bits=7, total_bits=8), step by step as in Python:
// for each exponent i, the midpoints of linspace(0.1, 1, fraction_items) scaled by 10^(i-6).
std::array<float, 256> make_dynamic_map(bool is_signed) {
    constexpr int kMaxExponentBits = 7;
    constexpr int kTotalBits = 8;
    constexpr int kNonSignBits = kTotalBits - 1;  // bitsandbytes: (1 if signed else 1)
    std::vector<float> data;
    for (int i = 0; i < kMaxExponentBits; ++i) {
        const int items = is_signed ? (1 << (i + kNonSignBits - kMaxExponentBits)) + 1
                                    : (1 << (i + kNonSignBits - kMaxExponentBits + 1)) + 1;
        const std::vector<float> b = linspace_f32(0.1, 1.0, items);
        // Python: (10 ** (i - 6)) * means -> the scalar is rounded to float32 first.
        const float scale = static_cast<float>(std::pow(10.0, i - (kMaxExponentBits - 1)));
        for (size_t j = 0; j + 1 < b.size(); ++j) {
            const float mean = (b[j] + b[j + 1]) / 2.0f;
            data.push_back(scale * mean);
            if (is_signed) data.push_back(-scale * mean);
        }
    }
    // additional_items = 2^(7-7) - 1 = 0 for the defaults: nothing else to add.
    data.push_back(0.0f);
    data.push_back(1.0f);
    std::array<float, 256> out{};
    TORCH_CHECK(data.size() == out.size(), "dynamic map has ", data.size(), " values");
    std::sort(data.begin(), data.end());
    std::copy(data.begin(), data.end(), out.begin());
    return out;
}

// Device tables are created once and intentionally never freed: a static map of CUDA tensors
// destroyed after the CUDA context at exit would crash in the allocator.
at::Tensor cached_table(const std::string& what, at::Device device, const float* data,
                        int64_t n) {
    static std::mutex mu;
    static auto* cache = new std::map<std::string, at::Tensor>();
    const std::string key = what + "@" + device.str();
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache->find(key);
    if (it != cache->end()) return it->second;
    at::Tensor t = at::from_blob(const_cast<float*>(data), {n}, at::kFloat).clone().to(device);
    cache->emplace(key, t);
    return t;
}

}  // namespace

const std::array<float, 16>& nf4_values() {
    static const std::array<float, 16> v = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };
    return v;
}

const std::array<float, 15>& nf4_splits() {
    static const std::array<float, 15> v = {
        -0.8480964004993439f,  -0.6106329262256622f, -0.4599952697753906f,
        -0.33967943489551544f, -0.23460740596055984f, -0.13791173323988914f,
        -0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f,
        0.2035212516784668f,    0.2920137718319893f,  0.3893125355243683f,
        0.5016634166240692f,    0.6427869200706482f,  0.8614784181118011f,
    };
    return v;
}

const std::array<float, 256>& dynamic_map(bool is_signed) {
    static const std::array<float, 256> s = make_dynamic_map(true);
    static const std::array<float, 256> u = make_dynamic_map(false);
    return is_signed ? s : u;
}

at::Tensor nf4_table(at::Device device) {
    return cached_table("nf4", device, nf4_values().data(), 16);
}

at::Tensor dynamic_map_table(bool is_signed, at::Device device) {
    return cached_table(is_signed ? "dyn_signed" : "dyn_unsigned", device,
                        dynamic_map(is_signed).data(), 256);
}

at::Tensor dquantize_search(const at::Tensor& code, const at::Tensor& x_in) {
    TORCH_CHECK(code.numel() == 256 && code.scalar_type() == at::kFloat,
                "dquantize_search: code must be 256 float32 values");
    const at::Tensor x = x_in.to(at::kFloat).reshape({-1});
    const int64_t n = x.numel();
    auto long_opts = at::TensorOptions().dtype(at::kLong).device(x.device());
    at::Tensor pivot = at::full({n}, 127, long_opts);
    at::Tensor upper_pivot = at::full({n}, 255, long_opts);
    at::Tensor lower_pivot = at::zeros({n}, long_opts);
    at::Tensor lower = at::full({n}, -1.0f, x.options());
    at::Tensor upper = at::full({n}, 1.0f, x.options());
    at::Tensor val = code.index_select(0, pivot);
    for (int64_t i = 64; i > 0; i >>= 1) {
        at::Tensor gt = x > val;
        lower_pivot = at::where(gt, pivot, lower_pivot);
        lower = at::where(gt, val, lower);
        upper_pivot = at::where(gt, upper_pivot, pivot);
        upper = at::where(gt, upper, val);
        pivot = at::where(gt, pivot + i, pivot - i);
        val = code.index_select(0, pivot);
    }
    upper = at::where(upper_pivot == 255, code[255].expand({n}), upper);
    lower = at::where(lower_pivot == 0, code[0].expand({n}), lower);
    at::Tensor gt = x > val;
    at::Tensor mid_up = (upper + val) * 0.5f;
    at::Tensor mid_lo = (lower + val) * 0.5f;
    at::Tensor res = at::where(gt, at::where(x > mid_up, upper_pivot, pivot),
                               at::where(x < mid_lo, lower_pivot, pivot));
    return res.to(at::kByte).view(x_in.sizes());
}

}  // namespace tb
