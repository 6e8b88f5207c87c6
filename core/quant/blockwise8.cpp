#include "core/quant/blockwise8.h"

#include "core/quant/codebook.h"

namespace tb {

at::Tensor as_blocks(const at::Tensor& flat, int64_t blocksize) {
    const int64_t n = flat.numel();
    const int64_t nb = (n + blocksize - 1) / blocksize;
    at::Tensor f = flat.reshape({-1});
    if (nb * blocksize != n) f = at::constant_pad_nd(f, {0, nb * blocksize - n}, 0);
    return f.view({nb, blocksize});
}

Blockwise8 quantize_blockwise8(const at::Tensor& x, const at::Tensor& code, int64_t blocksize) {
    TORCH_CHECK(blocksize > 0, "quantize_blockwise8: blocksize must be positive");
    const at::Tensor flat = x.reshape({-1}).to(at::kFloat);
    const int64_t n = flat.numel();
    Blockwise8 out;
    if (n == 0) {
        out.codes = at::empty({0}, flat.options().dtype(at::kByte));
        out.absmax = at::empty({0}, flat.options());
        return out;
    }
    at::Tensor blocks = as_blocks(flat, blocksize);  // zero padding never raises an absmax
    out.absmax = blocks.abs().amax({1});
    at::Tensor recip = at::reciprocal(out.absmax);  // 1/0 = inf -> NaN -> code 0
    at::Tensor scaled = (blocks * recip.unsqueeze(1)).reshape({-1}).narrow(0, 0, n);
    out.codes = dquantize_search(code.to(flat.device()), scaled);
    return out;
}

at::Tensor dequantize_blockwise8(const at::Tensor& codes, const at::Tensor& absmax,
                                 const at::Tensor& code, int64_t blocksize) {
    const int64_t n = codes.numel();
    at::Tensor v = code.to(codes.device()).index_select(0, codes.reshape({-1}).to(at::kLong));
    at::Tensor blocks = as_blocks(v, blocksize) * absmax.to(codes.device()).unsqueeze(1);
    return blocks.reshape({-1}).narrow(0, 0, n);
}

}  // namespace tb
