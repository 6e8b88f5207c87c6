#include "core/train/optimizer.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "core/common/torch_compat.h"
#include "core/model/safetensors.h"
#include "core/quant/adamw_8bit.h"

namespace tb {

AdamW::AdamW(std::vector<NamedParameter> params, const AdamWOptions& options)
    : params_(std::move(params)), opt_(options) {
    m_.resize(params_.size());
    v_.resize(params_.size());
}

Status AdamW::step(double lr) {
    torch::NoGradGuard no_grad;
    ++step_;
    const double b1 = opt_.beta1, b2 = opt_.beta2;
    // Python evaluates these in double from the (float) step count.
    const double bias_correction1 = 1.0 - std::pow(b1, static_cast<double>(step_));
    const double bias_correction2 = 1.0 - std::pow(b2, static_cast<double>(step_));
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    // torch.optim.AdamW's multi-tensor path (its default on CUDA), op for op: one launch per
    // op for all parameters instead of one per parameter, and the same per-element results as
    // the single-tensor loop.
    std::vector<at::Tensor> ps, gs, ms, vs;
    for (size_t i = 0; i < params_.size(); ++i) {
        at::Tensor& p = params_[i].tensor;
        const at::Tensor& g = p.grad();
        if (!g.defined()) continue;
        if (!m_[i].defined()) {
            m_[i] = at::zeros_like(p, at::MemoryFormat::Preserve);
            v_[i] = at::zeros_like(p, at::MemoryFormat::Preserve);
        }
        ps.push_back(p);
        gs.push_back(g);
        ms.push_back(m_[i]);
        vs.push_back(v_[i]);
    }
    if (ps.empty()) return Status::Ok();
    if (opt_.weight_decay != 0.0) at::_foreach_mul_(ps, 1.0 - lr * opt_.weight_decay);
    compat::foreach_lerp_(ms, gs, 1.0 - b1);
    at::_foreach_mul_(vs, b2);
    at::_foreach_addcmul_(vs, gs, gs, 1.0 - b2);
    std::vector<at::Tensor> denom = at::_foreach_sqrt(vs);
    at::_foreach_div_(denom, bias_correction2_sqrt);
    at::_foreach_add_(denom, opt_.eps);
    at::_foreach_addcdiv_(ps, ms, denom, -step_size);
    return Status::Ok();
}

void AdamW::zero_grad() {
    for (auto& p : params_)
        if (p.tensor.grad().defined()) p.tensor.mutable_grad() = at::Tensor();
}

int64_t AdamW::state_bytes() const {
    int64_t n = 0;
    for (size_t i = 0; i < m_.size(); ++i)
        if (m_[i].defined()) n += (m_[i].numel() + v_[i].numel()) * m_[i].element_size();
    return n;
}

static StTensorOut to_out(const std::string& name, const at::Tensor& t) {
    at::Tensor c = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
    StTensorOut o;
    o.name = name;
    o.dtype = StDType::F32;
    o.shape = c.sizes().vec();
    o.data.assign(reinterpret_cast<const char*>(c.data_ptr<float>()),
                  static_cast<size_t>(c.numel()) * sizeof(float));
    return o;
}

// State file: "exp_avg/<param>" and "exp_avg_sq/<param>" F32 tensors (only for parameters
// updated at least once), metadata {"optimizer": "adamw", "step": N, hyperparameters}.
Status AdamW::save(const std::string& path) const {
    std::vector<StTensorOut> out;
    for (size_t i = 0; i < params_.size(); ++i) {
        if (!m_[i].defined()) continue;
        out.push_back(to_out("exp_avg/" + params_[i].name, m_[i]));
        out.push_back(to_out("exp_avg_sq/" + params_[i].name, v_[i]));
    }
    auto num = [](double x) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", x);
        return std::string(buf);
    };
    std::map<std::string, std::string> meta{
        {"optimizer", "adamw"},     {"step", std::to_string(step_)},
        {"beta1", num(opt_.beta1)}, {"beta2", num(opt_.beta2)},
        {"eps", num(opt_.eps)},     {"weight_decay", num(opt_.weight_decay)}};
    return write_safetensors(path, out, meta);
}

Status AdamW::load(const std::string& path) {
    TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(path));
    const auto& meta = file->metadata();
    auto it = meta.find("optimizer");
    if (it == meta.end() || it->second != "adamw")
        return make_error(path, "__metadata__.optimizer: not an AdamW state file");
    auto st = meta.find("step");
    if (st == meta.end()) return make_error(path, "__metadata__.step: missing");
    int64_t step = 0;
    try {
        step = std::stoll(st->second);
    } catch (...) {
        return make_error(path, "__metadata__.step: not an integer");
    }
    std::vector<at::Tensor> m(params_.size()), v(params_.size());
    size_t used = 0;
    for (size_t i = 0; i < params_.size(); ++i) {
        const StTensorView* a = file->find("exp_avg/" + params_[i].name);
        const StTensorView* b = file->find("exp_avg_sq/" + params_[i].name);
        if (!a && !b) continue;
        if (!a || !b) return make_error(path, params_[i].name + ": only one of the two moments");
        const std::vector<int64_t> shape = params_[i].tensor.sizes().vec();
        for (const StTensorView* view : {a, b})
            TB_TRY_STATUS(st_check_tensor(path, *view, {StDType::F32}, &shape));
        auto load_one = [&](const StTensorView* view) {
            return at::from_blob(const_cast<uint8_t*>(view->data), view->shape, at::kFloat)
                .to(params_[i].tensor.options().requires_grad(false), false, true);
        };
        m[i] = load_one(a);
        v[i] = load_one(b);
        used += 2;
    }
    if (used != file->tensors().size())
        return make_error(path, "holds moments for parameters this model does not have");
    m_ = std::move(m);
    v_ = std::move(v);
    step_ = step;
    return Status::Ok();
}

namespace {

// core/quant's AdamW8bit behind the trainer's Optimizer interface. The state file is the
// quant module's (8-bit codes + absmax per block) with our step count and parameter names in
// its metadata, so a resume checks it belongs to the same parameters.
class AdamW8bitOptimizer : public Optimizer {
  public:
    AdamW8bitOptimizer(std::vector<NamedParameter> params, const AdamWOptions& o, bool paged)
        : params_(std::move(params)) {
        AdamW8bitOptions q;
        q.beta1 = o.beta1;
        q.beta2 = o.beta2;
        q.eps = o.eps;
        q.weight_decay = o.weight_decay;
        q.paged = paged;
        impl_ = AdamW8bit(q);
        for (const auto& p : params_) names_ += (names_.empty() ? "" : ",") + p.name;
    }

    Status step(double lr) override {
        std::vector<at::Tensor> ps, gs;
        for (const auto& p : params_) {
            ps.push_back(p.tensor);
            gs.push_back(p.tensor.grad());
        }
        TB_TRY_STATUS(impl_.step(ps, gs, lr, step_ + 1));
        ++step_;
        return Status::Ok();
    }
    void zero_grad() override {
        for (auto& p : params_)
            if (p.tensor.grad().defined()) p.tensor.mutable_grad() = at::Tensor();
    }
    int64_t steps() const override { return step_; }
    Status save(const std::string& path) const override {
        return impl_.save(
            path,
            {{"optimizer", "adamw_8bit"}, {"step", std::to_string(step_)}, {"parameters", names_}});
    }
    Status load(const std::string& path) override {
        std::vector<at::Tensor> ps;
        for (const auto& p : params_) ps.push_back(p.tensor);
        std::map<std::string, std::string> meta;
        TB_TRY_STATUS(impl_.load(path, ps, &meta));
        if (meta["optimizer"] != "adamw_8bit")
            return make_error(path, "__metadata__.optimizer: not an 8-bit AdamW state file");
        if (meta["parameters"] != names_)
            return make_error(path, "__metadata__.parameters: state of other parameters");
        try {
            step_ = std::stoll(meta["step"]);
        } catch (...) {
            return make_error(path, "__metadata__.step: not an integer");
        }
        return Status::Ok();
    }
    int64_t state_bytes() const override { return impl_.state_bytes(); }

  private:
    std::vector<NamedParameter> params_;
    AdamW8bit impl_;
    std::string names_;
    int64_t step_ = 0;
};

}  // namespace

Result<std::unique_ptr<Optimizer>> make_optimizer(const std::string& name,
                                                  std::vector<NamedParameter> params,
                                                  const AdamWOptions& options) {
    if (name == "adamw") return std::unique_ptr<Optimizer>(new AdamW(std::move(params), options));
    if (name == "adamw_8bit" || name == "paged_adamw_8bit")
        return std::unique_ptr<Optimizer>(
            new AdamW8bitOptimizer(std::move(params), options, name == "paged_adamw_8bit"));
    return make_error(
        "training.optimizer",
        "unknown optimizer '" + name + "' (expected adamw, adamw_8bit or paged_adamw_8bit)");
}

double clip_grad_norm(const std::vector<NamedParameter>& params, double max_norm) {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> grads;
    for (const auto& p : params)
        if (p.tensor.grad().defined()) grads.push_back(p.tensor.grad());
    if (grads.empty()) return 0.0;
    // torch.nn.utils.clip_grad_norm_'s foreach path: per-tensor norms in one launch, their
    // norm, then every gradient scaled by a device-side coefficient (no sync until the
    // returned value is read).
    std::vector<at::Tensor> norms = at::_foreach_norm(grads, 2);
    at::Tensor total = at::linalg_vector_norm(at::stack(norms), 2);
    if (max_norm > 0) {
        // Python: clip_coef = max_norm / (total + 1e-6) is Tensor.__rtruediv__ =
        // reciprocal(total + 1e-6) * max_norm, in the gradient dtype.
        at::Tensor coef = (total + 1e-6).reciprocal() * max_norm;
        compat::foreach_mul_(grads, at::clamp_max(coef, 1.0));
    }
    return total.item<double>();
}

Result<ScheduleKind> parse_schedule(const std::string& name) {
    if (name == "constant") return ScheduleKind::Constant;
    if (name == "linear") return ScheduleKind::Linear;
    if (name == "cosine") return ScheduleKind::Cosine;
    return make_error("training.lr_scheduler",
                      "unknown schedule '" + name + "' (expected constant, linear or cosine)");
}

double Schedule::factor(int64_t step) const {
    const double s = static_cast<double>(step);
    const double w = static_cast<double>(warmup_steps);
    const double t = static_cast<double>(total_steps);
    if (step < warmup_steps) return s / std::max(1.0, w);
    switch (kind) {
        case ScheduleKind::Constant:
            return 1.0;
        case ScheduleKind::Linear:
            return std::max(0.0, (t - s) / std::max(1.0, t - w));
        case ScheduleKind::Cosine: {
            const double progress = (s - w) / std::max(1.0, t - w);
            return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * num_cycles * 2.0 * progress)));
        }
    }
    return 1.0;
}

int64_t warmup_steps_for(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
    if (warmup_steps > 0) return warmup_steps;
    return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

}  // namespace tb
