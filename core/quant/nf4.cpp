#include "core/quant/nf4.h"

#include <algorithm>
#include <string>

#include "core/common/tensor_bytes.h"
#include "core/quant/blockwise8.h"
#include "core/quant/codebook.h"

#if defined(TUNEBENCH_WITH_CUDA)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/quant/nf4_cuda.h"
#endif

namespace tb {

namespace {

bool valid_blocksize(int64_t b) { return b >= 64 && b <= 4096 && (b & (b - 1)) == 0; }

int64_t numel_of(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// "cuda" (no index) names the current device, so it matches any concrete cuda:N here; a
// plain != would send an index-less target into an endless move-and-retry.
bool same_device(const at::Device& a, const at::Device& b) {
    return a.type() == b.type() && (!a.has_index() || !b.has_index() || a.index() == b.index());
}

// --- CPU (and CUDA fallback) path: torch ops only ------------------------------------------

// NF4 codes of a flat float32 tensor, uint8 [nblocks * blocksize] (padded with the codes of
// zeros), and the absmax per block.
std::pair<at::Tensor, at::Tensor> nf4_codes_torch(const at::Tensor& flat, int64_t blocksize) {
    at::Tensor blocks = as_blocks(flat, blocksize);
    at::Tensor absmax = blocks.abs().amax({1});
    at::Tensor scaled = blocks * at::reciprocal(absmax).unsqueeze(1);
    const auto& sp = nf4_splits();
    at::Tensor splits =
        at::from_blob(const_cast<float*>(sp.data()), {15}, at::kFloat).to(flat.device());
    // bucketize(right=false) returns #{k : split[k] < x}: exactly the decision tree's code.
    at::Tensor codes = at::bucketize(scaled, splits, /*out_int32=*/true, /*right=*/false);
    // NaN (all-zero block: 0 * inf) must give code 0 as in bitsandbytes; bucketize's binary
    // search is not specified for NaN, so set it explicitly.
    codes = at::where(at::isnan(scaled), at::zeros({}, codes.options()), codes);
    return {codes.to(at::kByte).reshape({-1}), absmax};
}

at::Tensor pack_nibbles(const at::Tensor& codes_padded, int64_t n) {
    const int64_t m = n + (n % 2);  // the padded tail always holds at least one more code
    at::Tensor c = codes_padded.narrow(0, 0, m).view({-1, 2}).to(at::kInt);
    return (c.select(1, 0) * 16 + c.select(1, 1)).to(at::kByte).contiguous();
}

at::Tensor unpack_nibbles(const at::Tensor& packed, int64_t n) {
    at::Tensor p = packed.to(at::kInt);
    at::Tensor hi = at::floor_divide(p, 16);
    at::Tensor lo = at::remainder(p, 16);
    return at::stack({hi, lo}, 1).reshape({-1}).narrow(0, 0, n).to(at::kByte);
}

#if defined(TUNEBENCH_WITH_CUDA)
nf4cuda::FloatType float_type(at::ScalarType t) {
    switch (t) {
        case at::kFloat:
            return nf4cuda::FloatType::F32;
        case at::kBFloat16:
            return nf4cuda::FloatType::BF16;
        default:
            return nf4cuda::FloatType::F16;
    }
}

void check_cuda(const std::string& err) {
    // A failing launch is a bug (bad configuration) or a broken device, not an input error.
    TORCH_CHECK(err.empty(), "NF4 CUDA kernel failed: ", err);
}
#endif

}  // namespace

int64_t QuantizedWeight::numel() const { return numel_of(shape); }

int64_t QuantizedWeight::bytes() const {
    return tensor_bytes(packed) + tensor_bytes(absmax_q) + tensor_bytes(absmax2) +
           tensor_bytes(absmax) + (double_quant() ? 4 : 0);
}

QuantizedWeight QuantizedWeight::to(at::Device d) const {
    QuantizedWeight q = *this;
    auto mv = [&](const at::Tensor& t) { return t.defined() ? t.to(d) : t; };
    q.packed = mv(packed);
    q.absmax_q = mv(absmax_q);
    q.absmax2 = mv(absmax2);
    q.absmax = mv(absmax);
    return q;
}

at::Tensor QuantizedWeight::absmax_values() const {
    if (!double_quant()) return absmax;
    at::Tensor a = dequantize_blockwise8(absmax_q, absmax2, dynamic_map_table(true, device()),
                                         nested_blocksize);
    return a + offset;
}

at::Tensor QuantizedWeight::codes() const { return unpack_nibbles(packed, numel()); }

at::Tensor QuantizedWeight::dequantize(at::ScalarType out_dtype, at::Device target) const {
    if (!same_device(target, device())) {
        const QuantizedWeight moved = to(target);
        return moved.dequantize(out_dtype, moved.device());
    }
    const at::Device dev = device();  // concrete (cuda:N), also when `target` has no index
    const int64_t n = numel();
#if defined(TUNEBENCH_WITH_CUDA)
    if (dev.is_cuda() &&
        (out_dtype == at::kFloat || out_dtype == at::kBFloat16 || out_dtype == at::kHalf)) {
        c10::cuda::CUDAGuard guard(dev);
        at::Tensor out = at::empty(shape, at::TensorOptions().dtype(out_dtype).device(dev));
        const at::Tensor p = packed.is_contiguous() && packed.storage_offset() % 4 == 0
                                 ? packed
                                 : packed.contiguous().clone();
        const at::Tensor code8 = dynamic_map_table(true, dev);
        const at::Tensor aq = double_quant() ? absmax_q.contiguous() : at::Tensor();
        const at::Tensor a2 = double_quant() ? absmax2.contiguous() : at::Tensor();
        const at::Tensor a1 = double_quant() ? at::Tensor() : absmax.contiguous();
        check_cuda(nf4cuda::dequantize(
            p.data_ptr<uint8_t>(), n, blocksize, a1.defined() ? a1.data_ptr<float>() : nullptr,
            aq.defined() ? aq.data_ptr<uint8_t>() : nullptr,
            a2.defined() ? a2.data_ptr<float>() : nullptr, code8.data_ptr<float>(), offset,
            nested_blocksize, out.data_ptr(), float_type(out_dtype),
            c10::cuda::getCurrentCUDAStream(dev.index()).stream()));
        return out;
    }
#endif
    at::Tensor codes = unpack_nibbles(packed, n).to(at::kLong);
    at::Tensor v = nf4_table(dev).index_select(0, codes);
    at::Tensor w = as_blocks(v, blocksize) * absmax_values().unsqueeze(1);
    return w.reshape({-1}).narrow(0, 0, n).view(shape).to(out_dtype);
}

double nf4_max_gap() {
    const auto& v = nf4_values();
    double g = 0;
    for (size_t i = 1; i < v.size(); ++i) g = std::max(g, static_cast<double>(v[i] - v[i - 1]));
    return g;
}

Result<QuantizedWeight> quantize_nf4(const at::Tensor& w, const Nf4Options& opts) {
    if (!w.defined() || w.numel() == 0) return make_error("quantize_nf4", "empty tensor");
    const auto st = w.scalar_type();
    if (st != at::kFloat && st != at::kBFloat16 && st != at::kHalf && st != at::kDouble)
        return make_error("quantize_nf4", std::string("unsupported dtype ") + c10::toString(st) +
                                              " (need a float tensor)");
    if (!valid_blocksize(opts.blocksize))
        return make_error("quantize_nf4", "blocksize " + std::to_string(opts.blocksize) +
                                              " is not a power of two in [64, 4096]");
    if (opts.double_quant &&
        (opts.nested_blocksize < 2 || (opts.nested_blocksize & (opts.nested_blocksize - 1)) != 0))
        return make_error("quantize_nf4", "nested_blocksize " +
                                              std::to_string(opts.nested_blocksize) +
                                              " is not a power of two >= 2");
    torch::NoGradGuard no_grad;
    QuantizedWeight q;
    q.shape = w.sizes().vec();
    q.dtype = st;
    q.blocksize = opts.blocksize;
    q.nested_blocksize = opts.nested_blocksize;
    const int64_t n = w.numel();
    const at::Tensor flat = w.detach().reshape({-1});

    at::Tensor absmax;
#if defined(TUNEBENCH_WITH_CUDA)
    if (w.is_cuda() && opts.use_cuda_kernel) {
        c10::cuda::CUDAGuard guard(w.device());
        const at::Tensor x = st == at::kDouble ? flat.to(at::kFloat) : flat.contiguous();
        const int64_t nblocks = (n + opts.blocksize - 1) / opts.blocksize;
        q.packed = at::empty({(n + 1) / 2}, x.options().dtype(at::kByte));
        absmax = at::empty({nblocks}, x.options().dtype(at::kFloat));
        check_cuda(nf4cuda::quantize(x.data_ptr(), float_type(x.scalar_type()), n, opts.blocksize,
                                     q.packed.data_ptr<uint8_t>(), absmax.data_ptr<float>(),
                                     c10::cuda::getCurrentCUDAStream(w.device().index()).stream()));
    }
#endif
    if (!q.packed.defined()) {
        auto [codes, am] = nf4_codes_torch(flat.to(at::kFloat), opts.blocksize);
        q.packed = pack_nibbles(codes, n);
        absmax = am;
    }

    if (!opts.double_quant) {
        q.absmax = absmax;
        return q;
    }
    // Double quantisation (QLoRA): centre the absmax values, then 8-bit blockwise with the
    // signed dynamic map. The mean is taken in float64 so CPU and CUDA agree exactly.
    q.offset = static_cast<float>(absmax.to(at::kDouble).mean().item<double>());
    at::Tensor centred = absmax - q.offset;
    Blockwise8 b8 =
        quantize_blockwise8(centred, dynamic_map_table(true, w.device()), opts.nested_blocksize);
    q.absmax_q = b8.codes;
    q.absmax2 = b8.absmax;
    return q;
}

}  // namespace tb
