#include "core/train/fused_graph_step.h"

#include "core/train/fused_forward.h"

namespace tb {

Result<double> FusedGraphMicroStep::run(const LlamaModel& model, const Batch& b,
                                        double loss_divisor, bool checkpointing,
                                        const std::vector<NamedParameter>& trainable) {
    if (!graph_.captured()) {
        in_ = b;
        grads_.clear();
        for (const auto& np : trainable) {
            at::Tensor t = np.tensor;
            t.mutable_grad() = at::zeros_like(t);
            grads_.push_back(t.grad());
        }
        auto body = [&] {
            at::Tensor loss = fused_micro_batch_loss(
                model, in_.input_ids, in_.position_ids, in_.attention_mask, in_.labels,
                loss_divisor, true, checkpointing, at::Tensor(), /*host_sync_free=*/true);
            loss.backward();
            loss_ = loss.detach();
        };
        TB_TRY_STATUS(graph_.capture(
            body, [&] { zero_grads(); }, 3));
    } else if (!b.input_ids.is_same(in_.input_ids)) {
        in_.input_ids.copy_(b.input_ids);
        in_.position_ids.copy_(b.position_ids);
        in_.attention_mask.copy_(b.attention_mask);
        in_.labels.copy_(b.labels);
    }
    graph_.replay();
    return loss_.item<double>();
}

void FusedGraphMicroStep::zero_grads() {
    if (!grads_.empty()) at::_foreach_zero_(grads_);
}

}  // namespace tb
