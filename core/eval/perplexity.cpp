#include "core/eval/perplexity.h"

#include <cmath>
#include <limits>
#include <string>

namespace tb::eval {

Result<PerplexityResult> compute_perplexity(const LlamaModel& model, const Tokenizer& tok,
                                            const std::vector<Example>& examples,
                                            const std::vector<size_t>& indices,
                                            const PerplexityOptions& options) {
    if (options.batch_size < 1) return make_error("perplexity", "batch_size must be >= 1");
    if (indices.empty()) return make_error("perplexity", "no rows to score");
    PerplexityResult res;
    res.item_nll.assign(indices.size(), 0.0);
    res.item_tokens.assign(indices.size(), 0);

    // Tokenize every row first (cheap) so that errors surface before any forward pass.
    std::vector<TokenizedRow> rows;
    std::vector<size_t> row_item;  // rows[i] belongs to indices[row_item[i]]
    for (size_t i = 0; i < indices.size(); ++i) {
        const Example& ex = examples.at(indices[i]);
        auto r = tokenize_example(ex, tok, options.tokenize);
        if (!r.ok()) return make_error("line " + std::to_string(ex.source_line), r.error().message);
        if (r->truncated) ++res.truncated;
        if (loss_tokens(*r) == 0) {
            ++res.dropped;
            continue;
        }
        rows.push_back(std::move(r).value());
        row_item.push_back(i);
    }
    if (rows.empty())
        return make_error("perplexity", "no row has a response token left after truncation");

    torch::NoGradGuard no_grad;
    const int64_t total = static_cast<int64_t>(rows.size());
    for (int64_t start = 0; start < total; start += options.batch_size) {
        if (options.cancel && options.cancel->cancelled()) {
            res.cancelled = true;
            break;
        }
        const int64_t end = std::min(total, start + options.batch_size);
        for (int64_t i = start; i < end; ++i) {
            // One row per forward pass, unpadded: its logits then do not depend on which rows
            // share its batch (a padded batch changes the GEMM shapes, and with them the fp32
            // rounding: 1.2e-8 relative on an AMD EPYC between batch sizes 2 and 8).
            const TokenizedRow& row = rows[static_cast<size_t>(i)];
            Batch b = collate({&row}, /*pad_id=*/0, model.device);
            at::Tensor logits =
                model.forward(b.input_ids, b.position_ids, b.attention_mask, nullptr);
            // Shift: logits[:, :-1] predict labels[:, 1:]; NLL per position in fp32.
            at::Tensor shift_logits = logits.slice(1, 0, -1).to(at::kFloat);
            at::Tensor shift_labels = b.labels.slice(1, 1);
            at::Tensor logp = at::log_softmax(shift_logits, -1);
            at::Tensor valid = shift_labels.ne(kIgnoreIndex);
            at::Tensor safe = shift_labels.masked_fill(valid.logical_not(), 0);
            at::Tensor nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1);
            // Per-position NLLs summed in fp64, left to right on the CPU: the row's sum is
            // the same however the tensor library would have reduced it.
            at::Tensor pos_nll = nll.masked_select(valid).to(at::kDouble).cpu().contiguous();
            const double* v = pos_nll.data_ptr<double>();
            double row_nll = 0;
            for (int64_t t = 0; t < pos_nll.numel(); ++t) row_nll += v[t];
            const size_t item = row_item[static_cast<size_t>(i)];
            res.item_nll[item] = row_nll;
            res.item_tokens[item] = pos_nll.numel();
        }
        if (options.on_progress) options.on_progress(end, total);
    }
    // The split's sum in fp64, in item order, over the rows scored: the same order whatever
    // the batch size, so equal inputs give bit-equal totals.
    for (size_t k = 0; k < indices.size(); ++k) {
        res.nll_sum += res.item_nll[k];
        res.loss_tokens += res.item_tokens[k];
    }
    if (res.loss_tokens > 0) {
        res.mean_nll = res.nll_sum / static_cast<double>(res.loss_tokens);
        res.perplexity = std::exp(res.mean_nll);
    } else {
        res.mean_nll = res.perplexity = std::numeric_limits<double>::quiet_NaN();
    }
    return res;
}

metrics::AdditiveMetric perplexity_metric(const PerplexityResult& r) {
    metrics::AdditiveMetric m;
    m.dim = 2;
    for (size_t i = 0; i < r.item_nll.size(); ++i) {
        if (r.item_tokens[i] == 0) continue;
        m.rows.push_back(r.item_nll[i]);
        m.rows.push_back(static_cast<double>(r.item_tokens[i]));
    }
    m.finalize = [](const double* sums, size_t) {
        return sums[1] > 0 ? std::exp(sums[0] / sums[1]) : std::numeric_limits<double>::quiet_NaN();
    };
    return m;
}

metrics::AdditiveMetric log_perplexity_metric(metrics::AdditiveMetric m) {
    m.finalize = [](const double* sums, size_t) {
        return sums[1] > 0 ? sums[0] / sums[1] : std::numeric_limits<double>::quiet_NaN();
    };
    return m;
}

}  // namespace tb::eval
