#include "core/train/checkpointing.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>

#include "core/train/fused_forward.h"

// g++ 13 reports a false -Warray-bounds inside libstdc++'s vector<bool> as inlined into
// torch::autograd::Function::apply (torch's header, not this code). A pragma here cannot
// silence it: the warning's location is in the precompiled libstdc++ header, included before
// any line of this file, so core/train/CMakeLists.txt turns it off for this file on g++ >= 13.

namespace tb {

namespace {

at::Generator cpu_generator() { return at::detail::getDefaultCPUGenerator(); }

at::Generator cuda_generator(at::Device device) {
    return at::globalContext().defaultGenerator(device);
}

}  // namespace

RngSnapshot capture_rng(at::Device device) {
    RngSnapshot s;
    {
        at::Generator g = cpu_generator();
        std::lock_guard<std::mutex> lock(g.mutex());
        s.cpu = g.get_state();
    }
    if (device.is_cuda()) {
        at::Generator g = cuda_generator(device);
        std::lock_guard<std::mutex> lock(g.mutex());
        s.cuda = g.get_state();
    }
    return s;
}

void restore_rng(const RngSnapshot& snap, at::Device device) {
    if (snap.cpu.defined()) {
        at::Generator g = cpu_generator();
        std::lock_guard<std::mutex> lock(g.mutex());
        g.set_state(snap.cpu);
    }
    if (snap.cuda.defined() && device.is_cuda()) {
        at::Generator g = cuda_generator(device);
        std::lock_guard<std::mutex> lock(g.mutex());
        g.set_state(snap.cuda);
    }
}

namespace {

// The LoRA tensors of one layer, in a fixed order (the Function's extra inputs).
std::vector<at::Tensor> layer_lora_tensors(const LlamaModel& model, int64_t i) {
    std::vector<at::Tensor> out;
    const LlamaLayer& L = model.layers[static_cast<size_t>(i)];
    for (const LoraLinear* p :
         {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj}) {
        if (!p->lora.defined()) continue;
        for (const at::Tensor* t : {&p->lora.A, &p->lora.B, &p->lora.magnitude})
            if (t->defined() && t->requires_grad()) out.push_back(*t);
    }
    return out;
}

struct LayerArgs {
    const LlamaModel* model;
    int64_t layer;
    RopeTables rope;
    at::Tensor mask;
    bool training;
    bool fused;  // fused backend's layer (fused_forward.h) instead of LlamaModel::layer_forward
};

at::Tensor run_layer(const LlamaModel& model, int64_t i, const at::Tensor& h,
                     const RopeTables& rope, const at::Tensor& mask, bool training, bool fused) {
    return fused ? fused_layer_forward(model, i, h, rope, mask, training)
                 : model.layer_forward(i, h, rope, mask, nullptr, training);
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class LayerCheckpoint : public torch::autograd::Function<LayerCheckpoint> {
  public:
    // `params` are the layer's LoRA tensors: inputs of the node so that their gradients flow
    // through it. `args` is not a tensor: the node gets no edge for it.
    static at::Tensor forward(AutogradContext* ctx, at::Tensor h, at::TensorList params,
                              const LayerArgs* args) {
        RngSnapshot before = capture_rng(args->model->device);
        // The Function machinery already disables grad here: the layer's activations are
        // freed as soon as this returns.
        at::Tensor out = run_layer(*args->model, args->layer, h, args->rope, args->mask,
                                   args->training, args->fused);
        ctx->save_for_backward({h});
        ctx->saved_data["model"] = reinterpret_cast<int64_t>(args->model);
        ctx->saved_data["layer"] = args->layer;
        ctx->saved_data["training"] = args->training;
        ctx->saved_data["fused"] = args->fused;
        ctx->saved_data["cos"] = args->rope.cos;
        ctx->saved_data["sin"] = args->rope.sin;
        ctx->saved_data["has_mask"] = args->mask.defined();
        if (args->mask.defined()) ctx->saved_data["mask"] = args->mask;
        ctx->saved_data["rng_cpu"] = before.cpu;
        ctx->saved_data["has_rng_cuda"] = before.cuda.defined();
        if (before.cuda.defined()) ctx->saved_data["rng_cuda"] = before.cuda;
        ctx->saved_data["n_params"] = static_cast<int64_t>(params.size());
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
        const auto* model = reinterpret_cast<const LlamaModel*>(ctx->saved_data["model"].toInt());
        const int64_t layer = ctx->saved_data["layer"].toInt();
        const bool training = ctx->saved_data["training"].toBool();
        const bool fused = ctx->saved_data["fused"].toBool();
        RopeTables rope{ctx->saved_data["cos"].toTensor(), ctx->saved_data["sin"].toTensor()};
        at::Tensor mask;
        if (ctx->saved_data["has_mask"].toBool()) mask = ctx->saved_data["mask"].toTensor();
        RngSnapshot replay;
        replay.cpu = ctx->saved_data["rng_cpu"].toTensor();
        if (ctx->saved_data["has_rng_cuda"].toBool())
            replay.cuda = ctx->saved_data["rng_cuda"].toTensor();
        const int64_t n_params = ctx->saved_data["n_params"].toInt();

        at::Tensor h = ctx->get_saved_variables()[0].detach().requires_grad_(true);
        std::vector<at::Tensor> params = layer_lora_tensors(*model, layer);
        TORCH_CHECK(static_cast<int64_t>(params.size()) == n_params, "LoRA tensors of layer ",
                    layer, " changed between forward and backward");

        RngSnapshot now = capture_rng(model->device);
        restore_rng(replay, model->device);
        at::Tensor out;
        {
            at::AutoGradMode enable(true);
            out = run_layer(*model, layer, h, rope, mask, training, fused);
        }
        restore_rng(now, model->device);

        variable_list inputs{h};
        inputs.insert(inputs.end(), params.begin(), params.end());
        variable_list grads = torch::autograd::grad({out}, inputs, {grad_out[0]},
                                                    /*retain_graph=*/false,
                                                    /*create_graph=*/false,
                                                    /*allow_unused=*/true);
        grads.push_back(at::Tensor());  // for `args`
        return grads;
    }
};

}  // namespace

at::Tensor checkpointed_layer(const LlamaModel& model, int64_t i, const at::Tensor& h,
                              const RopeTables& rope, const at::Tensor& mask, bool training,
                              bool fused) {
    std::vector<at::Tensor> params = layer_lora_tensors(model, i);
    LayerArgs args{&model, i, rope, mask, training, fused};
    return LayerCheckpoint::apply(h, at::TensorList(params), &args);
}

at::Tensor training_attention_mask(const LlamaModel& model, const at::Tensor& key_mask,
                                   const at::Tensor& segment_ids, int64_t t) {
    at::Tensor mask = model.attention_mask(key_mask, 0, t);
    if (!segment_ids.defined() || !mask.defined()) return mask;  // undefined: one token
    at::Tensor seg = segment_ids.to(model.device);
    at::Tensor same = seg.unsqueeze(2).eq(seg.unsqueeze(1)).unsqueeze(1);  // [B, 1, T, T]
    // The causal/padding mask already holds 0 or the lowest value; a key of another example
    // gets the lowest value too.
    at::Tensor lowest = mask.min();
    return at::where(same, mask, lowest);
}

at::Tensor training_hidden_states(const LlamaModel& model, const at::Tensor& input_ids,
                                  const at::Tensor& position_ids, const at::Tensor& key_mask,
                                  bool training, bool checkpointing,
                                  const at::Tensor& segment_ids) {
    const int64_t T = input_ids.size(1);
    at::Tensor h = model.embed(input_ids);
    RopeTables tables = model.rope(position_ids);
    at::Tensor mask = training_attention_mask(model, key_mask, segment_ids, T);
    for (int64_t i = 0; i < static_cast<int64_t>(model.layers.size()); ++i)
        h = checkpointing ? checkpointed_layer(model, i, h, tables, mask, training)
                          : model.layer_forward(i, h, tables, mask, nullptr, training);
    return model.rms_norm(h, model.final_norm);
}

at::Tensor causal_lm_loss_sum(const at::Tensor& logits, const at::Tensor& labels) {
    const int64_t V = logits.size(-1);
    at::Tensor lf = logits.to(at::kFloat);
    at::Tensor shifted = at::constant_pad_nd(labels, {0, 1}, -100).slice(1, 1).contiguous();
    return at::cross_entropy_loss(lf.reshape({-1, V}), shifted.reshape({-1}), {},
                                  at::Reduction::Sum, -100);
}

at::Tensor micro_batch_loss(const LlamaModel& model, const at::Tensor& input_ids,
                            const at::Tensor& position_ids, const at::Tensor& key_mask,
                            const at::Tensor& labels, double loss_divisor, bool training,
                            bool checkpointing, const at::Tensor& segment_ids) {
    at::Tensor h = training_hidden_states(model, input_ids, position_ids, key_mask, training,
                                          checkpointing, segment_ids);
    at::Tensor logits = at::linear(h, model.lm_head);
    return causal_lm_loss_sum(logits, labels) / loss_divisor;
}

}  // namespace tb
