#include "core/quant/adamw_8bit.h"

#include <cmath>
#include <cstring>

#include "core/common/tensor_bytes.h"
#include "core/common/torch_compat.h"
#include "core/model/safetensors.h"
#include "core/quant/blockwise8.h"
#include "core/quant/codebook.h"

namespace tb {

namespace {

constexpr const char* kFormat = "tunebench.adamw8bit.v1";

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The optimizer owns plain tensors (no autograd history); copies stay on the given device.
at::Tensor zeros_on(int64_t n, at::ScalarType dt, at::Device dev, bool pinned) {
    auto o = at::TensorOptions().dtype(dt).device(dev);
    if (pinned) o = o.pinned_memory(true);
    return at::zeros({n}, o);
}

}  // namespace

AdamW8bit::AdamW8bit(AdamW8bitOptions opts) : opts_(opts) {
    TORCH_CHECK(opts_.blocksize > 0, "AdamW8bit: blocksize must be positive");
}

at::Device AdamW8bit::state_device(const at::Tensor& param) const {
    if (opts_.paged && param.is_cuda()) return at::kCPU;
    return param.device();
}

AdamW8bit::State AdamW8bit::make_state(const at::Tensor& param) const {
    State s;
    s.numel = param.numel();
    s.eight_bit = s.numel >= opts_.min_8bit_size;
    const at::Device dev = state_device(param);
    const bool pinned = dev.is_cpu() && param.is_cuda();
    if (s.eight_bit) {
        // Code 0 with absmax 0 decodes to 0: a zero-initialised state, as in bitsandbytes.
        const int64_t nb = ceil_div(s.numel, opts_.blocksize);
        s.m = zeros_on(s.numel, at::kByte, dev, pinned);
        s.v = zeros_on(s.numel, at::kByte, dev, pinned);
        s.m_absmax = zeros_on(nb, at::kFloat, dev, pinned);
        s.v_absmax = zeros_on(nb, at::kFloat, dev, pinned);
    } else {
        s.m = zeros_on(s.numel, at::kFloat, dev, pinned);
        s.v = zeros_on(s.numel, at::kFloat, dev, pinned);
    }
    return s;
}

void AdamW8bit::update_range(State& s, const at::Tensor& p_flat, const at::Tensor& g_flat,
                             int64_t begin, int64_t len, double lr, int64_t step_index) const {
    const at::Device dev = p_flat.device();
    const bool remote = s.m.device() != dev;  // paged: states come from pinned host memory
    const double b1 = opts_.beta1, b2 = opts_.beta2;
    const at::Tensor g = g_flat.narrow(0, begin, len).to(at::kFloat);
    at::Tensor p = p_flat.narrow(0, begin, len);
    at::Tensor p32 = p.scalar_type() == at::kFloat ? p : p.to(at::kFloat);

    at::Tensor m, v;
    const int64_t bs = opts_.blocksize;
    const int64_t b_begin = begin / bs, nb = ceil_div(len, bs);
    at::Tensor smap, umap;
    if (s.eight_bit) {
        smap = dynamic_map_table(true, dev);
        umap = dynamic_map_table(false, dev);
        auto fetch = [&](const at::Tensor& t, int64_t b, int64_t n) {
            return t.narrow(0, b, n).to(dev, /*non_blocking=*/true);
        };
        m = dequantize_blockwise8(fetch(s.m, begin, len), fetch(s.m_absmax, b_begin, nb), smap, bs);
        v = dequantize_blockwise8(fetch(s.v, begin, len), fetch(s.v_absmax, b_begin, nb), umap, bs);
    } else {
        m = s.m.narrow(0, begin, len).to(dev, true);  // a view when the state is local
        v = s.v.narrow(0, begin, len).to(dev, true);
    }

    // torch.optim.AdamW (single-tensor path), in fp32.
    if (opts_.weight_decay != 0.0) p32.mul_(1.0 - lr * opts_.weight_decay);
    m.lerp_(g, 1.0 - b1);
    v.mul_(b2).addcmul_(g, g, 1.0 - b2);
    const double bc1 = 1.0 - std::pow(b1, static_cast<double>(step_index));
    const double bc2 = 1.0 - std::pow(b2, static_cast<double>(step_index));
    at::Tensor denom = (v.sqrt() / std::sqrt(bc2)).add_(opts_.eps);
    p32.addcdiv_(m, denom, -lr / bc1);
    if (!p32.is_same(p)) p.copy_(p32);

    if (s.eight_bit) {
        const Blockwise8 qm = quantize_blockwise8(m, smap, bs);
        const Blockwise8 qv = quantize_blockwise8(v, umap, bs);
        s.m.narrow(0, begin, len).copy_(qm.codes, true);
        s.v.narrow(0, begin, len).copy_(qv.codes, true);
        s.m_absmax.narrow(0, b_begin, nb).copy_(qm.absmax, true);
        s.v_absmax.narrow(0, b_begin, nb).copy_(qv.absmax, true);
    } else if (remote) {
        s.m.narrow(0, begin, len).copy_(m, true);
        s.v.narrow(0, begin, len).copy_(v, true);
    }
}

Status AdamW8bit::step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                       double lr, int64_t step_index) {
    if (params.size() != grads.size())
        return make_error("AdamW8bit::step", "got " + std::to_string(params.size()) +
                                                 " parameters but " + std::to_string(grads.size()) +
                                                 " gradients");
    if (step_index < 1) return make_error("AdamW8bit::step", "step_index must be >= 1");
    if (!states_.empty() && states_.size() != params.size())
        return make_error("AdamW8bit::step", "parameter count changed from " +
                                                 std::to_string(states_.size()) + " to " +
                                                 std::to_string(params.size()));
    for (size_t i = 0; i < params.size(); ++i) {
        const std::string where = "AdamW8bit::step: parameter " + std::to_string(i);
        if (!params[i].defined() || !at::isFloatingType(params[i].scalar_type()))
            return make_error(where, "must be a defined floating-point tensor");
        if (grads[i].defined() && grads[i].sizes() != params[i].sizes())
            return make_error(where, "gradient shape differs from the parameter's");
        if (!states_.empty() && states_[i].numel != params[i].numel())
            return make_error(where, "element count changed since the state was created");
    }
    torch::NoGradGuard no_grad;
    if (states_.empty())
        for (const at::Tensor& p : params) states_.push_back(make_state(p));

    bool any_remote = false;
    for (size_t i = 0; i < params.size(); ++i) {
        if (!grads[i].defined()) continue;
        State& s = states_[i];
        // In-place on the parameter's storage: a contiguous parameter is updated through a
        // flat view; a non-contiguous one through a contiguous copy written back at the end.
        at::Tensor p = params[i];
        at::Tensor p_flat = p.is_contiguous() ? p.view({-1}) : p.contiguous().view({-1});
        const at::Tensor g_flat = grads[i].detach().reshape({-1});
        const bool remote = s.m.device() != p.device();
        any_remote = any_remote || remote;
        int64_t chunk = s.numel;
        if (remote) {
            chunk = std::max(opts_.blocksize,
                             (opts_.page_chunk_elems / opts_.blocksize) * opts_.blocksize);
        }
        for (int64_t b = 0; b < s.numel; b += chunk)
            update_range(s, p_flat, g_flat, b, std::min(chunk, s.numel - b), lr, step_index);
        if (!p.is_contiguous()) p.copy_(p_flat.view(p.sizes()));
    }
    // Paged states are written back asynchronously: wait so the host copy is final.
    if (any_remote) compat::cuda_synchronize();
    return Status::Ok();
}

int64_t AdamW8bit::state_bytes() const {
    int64_t total = 0;
    for (const State& s : states_)
        total += tensor_bytes(s.m) + tensor_bytes(s.v) + tensor_bytes(s.m_absmax) +
                 tensor_bytes(s.v_absmax);
    return total;
}

int64_t AdamW8bit::device_state_bytes() const {
    int64_t total = 0;
    for (const State& s : states_)
        if (s.m.is_cuda())
            total += tensor_bytes(s.m) + tensor_bytes(s.v) + tensor_bytes(s.m_absmax) +
                     tensor_bytes(s.v_absmax);
    return total;
}

int64_t AdamW8bit::num_8bit_tensors() const {
    int64_t n = 0;
    for (const State& s : states_) n += s.eight_bit ? 1 : 0;
    return n;
}

int64_t AdamW8bit::num_fp32_tensors() const {
    return static_cast<int64_t>(states_.size()) - num_8bit_tensors();
}

std::map<std::string, at::Tensor> AdamW8bit::state_dict() const {
    std::map<std::string, at::Tensor> sd;
    for (size_t i = 0; i < states_.size(); ++i) {
        const State& s = states_[i];
        const std::string k = std::to_string(i);
        sd[k + ".m"] = s.m.to(at::kCPU).clone();
        sd[k + ".v"] = s.v.to(at::kCPU).clone();
        if (s.eight_bit) {
            sd[k + ".m_absmax"] = s.m_absmax.to(at::kCPU).clone();
            sd[k + ".v_absmax"] = s.v_absmax.to(at::kCPU).clone();
        }
    }
    return sd;
}

Status AdamW8bit::load_state_dict(const std::map<std::string, at::Tensor>& sd,
                                  const std::vector<at::Tensor>& params) {
    std::vector<State> states;
    for (size_t i = 0; i < params.size(); ++i) {
        const std::string k = std::to_string(i);
        const std::string where = "optimizer state " + k;
        State s = make_state(params[i]);
        auto take = [&](const std::string& name, at::Tensor& dst) -> Status {
            auto it = sd.find(k + "." + name);
            if (it == sd.end()) return make_error(where, "missing tensor '" + k + "." + name + "'");
            const at::Tensor& src = it->second;
            if (src.scalar_type() != dst.scalar_type() || src.numel() != dst.numel())
                return make_error(where, "tensor '" + k + "." + name + "' has " +
                                             std::to_string(src.numel()) + " " +
                                             c10::toString(src.scalar_type()) +
                                             " values, expected " + std::to_string(dst.numel()) +
                                             " " + c10::toString(dst.scalar_type()));
            dst.copy_(src.reshape({-1}));
            return Status::Ok();
        };
        TB_TRY_STATUS(take("m", s.m));
        TB_TRY_STATUS(take("v", s.v));
        if (s.eight_bit) {
            TB_TRY_STATUS(take("m_absmax", s.m_absmax));
            TB_TRY_STATUS(take("v_absmax", s.v_absmax));
        }
        states.push_back(std::move(s));
    }
    if (sd.count(std::to_string(params.size()) + ".m"))
        return make_error("optimizer state", "holds more tensors than the " +
                                                 std::to_string(params.size()) + " parameters");
    states_ = std::move(states);
    return Status::Ok();
}

Status AdamW8bit::save(const std::string& path,
                       const std::map<std::string, std::string>& extra_metadata) const {
    std::vector<StTensorOut> out;
    for (const auto& [name, t] : state_dict()) {
        StTensorOut o;
        o.name = name;
        o.dtype = t.scalar_type() == at::kByte ? StDType::U8 : StDType::F32;
        o.shape = {t.numel()};
        const at::Tensor c = t.contiguous();
        o.data.assign(static_cast<const char*>(c.data_ptr()),
                      static_cast<size_t>(c.numel() * c.element_size()));
        out.push_back(std::move(o));
    }
    std::map<std::string, std::string> meta = {
        {"format", kFormat},
        {"blocksize", std::to_string(opts_.blocksize)},
        {"min_8bit_size", std::to_string(opts_.min_8bit_size)},
        {"tensors", std::to_string(states_.size())},
    };
    for (const auto& [k, v] : extra_metadata) {
        if (meta.count(k))
            return make_error(path, "__metadata__." + k + ": reserved by the optimizer");
        meta[k] = v;
    }
    return write_safetensors(path, out, meta);
}

Status AdamW8bit::load(const std::string& path, const std::vector<at::Tensor>& params,
                       std::map<std::string, std::string>* metadata_out) {
    TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(path));
    const auto& meta = file->metadata();
    auto get = [&](const std::string& k) {
        auto it = meta.find(k);
        return it == meta.end() ? std::string() : it->second;
    };
    if (get("format") != kFormat)
        return make_error(path, "__metadata__.format: expected '" + std::string(kFormat) +
                                    "', found '" + get("format") + "'");
    if (get("blocksize") != std::to_string(opts_.blocksize) ||
        get("min_8bit_size") != std::to_string(opts_.min_8bit_size))
        return make_error(path, "__metadata__: saved with blocksize " + get("blocksize") +
                                    " / min_8bit_size " + get("min_8bit_size") +
                                    ", this optimizer uses " + std::to_string(opts_.blocksize) +
                                    " / " + std::to_string(opts_.min_8bit_size));
    std::map<std::string, at::Tensor> sd;
    for (const auto& [name, view] : file->tensors()) {
        // 8-bit codes are U8, absmax and 32-bit moments F32; the byte count is checked
        // against the dtype before the copy below trusts it.
        TB_TRY_STATUS(st_check_tensor(path, view, {StDType::U8, StDType::F32}));
        const at::ScalarType dt = view.dtype == StDType::U8 ? at::kByte : at::kFloat;
        const int64_t n = static_cast<int64_t>(view.nbytes / (dt == at::kByte ? 1 : 4));
        at::Tensor t = at::empty({n}, at::TensorOptions().dtype(dt));
        if (view.nbytes) std::memcpy(t.data_ptr(), view.data, view.nbytes);
        sd[name] = t;
    }
    Status s = load_state_dict(sd, params);
    if (!s.ok()) return make_error(path, s.error().message);
    if (metadata_out) *metadata_out = meta;
    return Status::Ok();
}

}  // namespace tb
