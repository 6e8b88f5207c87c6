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

    const int64_t pad_id = tok.pad_id() >= 0 ? tok.pad_id() : model.config.pad_token_id.value_or(0);
    torch::NoGradGuard no_grad;
    const int64_t total = static_cast<int64_t>(rows.size());
    for (int64_t start = 0; start < total; start += options.batch_size) {
        if (options.cancel && options.cancel->cancelled()) {
            res.cancelled = true;
            break;
        }
        const int64_t end = std::min(total, start + options.batch_size);
        std::vector<const TokenizedRow*> batch_rows;
        for (int64_t i = start; i < end; ++i) batch_rows.push_back(&rows[static_cast<size_t>(i)]);
        Batch b = collate(batch_rows, pad_id, model.device);
        at::Tensor logits = model.forward(b.input_ids, b.position_ids, b.attention_mask, nullptr);
        // Shift: logits[:, :-1] predict labels[:, 1:]; NLL per position in fp32.
        at::Tensor shift_logits = logits.slice(1, 0, -1).to(at::kFloat);
        at::Tensor shift_labels = b.labels.slice(1, 1);
        at::Tensor logp = at::log_softmax(shift_logits, -1);
        at::Tensor valid = shift_labels.ne(kIgnoreIndex);
        at::Tensor safe = shift_labels.masked_fill(valid.logical_not(), 0);
        at::Tensor nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1);
        nll = nll.masked_fill(valid.logical_not(), 0.0);
        at::Tensor row_nll = nll.to(at::kDouble).sum(1).cpu();
        at::Tensor row_tok = valid.sum(1).cpu();
        for (int64_t i = start; i < end; ++i) {
            const size_t item = row_item[static_cast<size_t>(i)];
            res.item_nll[item] = row_nll[i - start].item<double>();
            res.item_tokens[item] = row_tok[i - start].item<int64_t>();
            res.nll_sum += res.item_nll[item];
            res.loss_tokens += res.item_tokens[item];
        }
        if (options.on_progress) options.on_progress(end, total);
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
