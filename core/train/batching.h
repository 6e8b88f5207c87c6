// From dataset examples to token batches for causal-LM fine-tuning.
//
// Per example (tokenize_example):
//   prompt / response text: through the model's chat template (the conversation without its
//     final assistant message rendered with add_generation_prompt=true is the prompt, the full
//     rendering minus that prefix is the response) or through the Alpaca instruction template
//     (core/data/prompt.h).
//   ids: the full text encoded once (so tokens at the prompt/response boundary are the ones the
//     model sees at inference), bos prepended when the tokenizer adds one and the text does not
//     start with it, eos appended unless the rendered response already carries the eos token
//     (chat templates such as TinyLlama's put "</s>" after every message).
//   labels: a copy of ids with -100 on the prompt tokens (the longest common prefix of the
//     prompt's own encoding and the full encoding) when the loss is on the response only.
//   truncation: the first max_length tokens are kept; the row is counted as truncated. A row
//     with no label token left after truncation carries no loss and is dropped (counted).
//     A rendered row longer than twice kCutBytesPerToken bytes per token of max_length is cut
//     to kCutBytesPerToken x max_length bytes before it is encoded (a 50 MB row costs what a 16 KB
//     one does), and a note names it. The cut is taken only when the cut text still encodes to at
//     least kCutMarginTokens tokens beyond max_length, so the max_length tokens kept lie far before
//     the cut and are the ones the whole text gives; otherwise (long runs that fuse into few
//     tokens) the whole text is encoded.
// Batches (collate): right padding with the pad id, attention_mask 1 on real tokens, labels
// -100 on padding, position ids 0..T-1 (right padding leaves real positions unchanged).
// The loss is HF's causal-LM loss: logits at t predict labels at t+1; so a batch's number of
// loss tokens is the count of labels[:, 1:] != -100.
//
// Packing (optional): rows are concatenated in order, each keeping its own bos/eos, into
// sequences of at most max_length tokens; a row never straddles two sequences. Every packed
// example is isolated as if it were alone in its row (like transformers'
// DataCollatorWithFlattening): position ids restart at 0 at each example, attention is
// block-diagonal causal (Batch::segment_ids feeds training_attention_mask), and the label of
// each example's first token is -100 so that no position is trained to predict the next
// example's bos. A packed example's loss therefore equals its unpacked loss.
//
// Shuffling: every epoch visits the rows in a permutation drawn from SplitMix64 seeded by
// (seed, epoch) with our own Fisher-Yates (core/data/split.h), so the order is the same on
// every machine and a resumed run needs only (epoch, batch index) to continue.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/cancel_token.h"
#include "core/common/error.h"
#include "core/data/example.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/train_options.h"  // PromptTemplate

namespace tb {

constexpr int64_t kIgnoreIndex = -100;

// See "truncation" above. 32 bytes a token is 8x what English text needs with a Llama vocabulary
// and more than the longest ordinary piece; the margin covers BPE merges that change near the cut.
constexpr int64_t kCutBytesPerToken = 32;
constexpr int64_t kCutMarginTokens = 64;

struct TokenizeOptions {
    int64_t max_length = 512;
    std::string source;  // the data file, named in notes ("<source>:<line>: ...")
    PromptTemplate prompt_template = PromptTemplate::Chat;
    bool loss_on_response_only = true;  // false: loss on every token (data.loss_on: all)
};

struct TokenizedRow {
    std::vector<int64_t> ids;
    std::vector<int64_t> labels;  // same length as ids
    bool truncated = false;
    // > 0 when the rendered text (this many bytes) was cut before encoding (see truncation).
    size_t cut_from_bytes = 0;
    size_t cut_to_bytes = 0;  // the prefix that was encoded
    size_t source = 0;        // index of the example it came from (first one when packed)
    // Packed rows: the offset in ids where each example after the first begins (ascending);
    // empty for an unpacked row.
    std::vector<int64_t> segment_starts;
};

// Tokenizes one example. Errors: chat template missing or failing (named), a template whose
// prompt is not a prefix of the full rendering.
Result<TokenizedRow> tokenize_example(const Example& ex, const Tokenizer& tok,
                                      const TokenizeOptions& opts);

struct TokenizedSet {
    std::vector<TokenizedRow> rows;
    size_t truncated = 0;          // rows cut to max_length (kept when they still have labels)
    size_t dropped_no_target = 0;  // rows without any label token after truncation
    int64_t tokens = 0;            // sum of row lengths
    // One line per row cut before encoding: "<source>:<line>: row of N bytes ...".
    std::vector<std::string> notes;
};

// Tokenizes examples[indices[i]] in order. Errors name the example's source line. `cancel`
// (optional) is polled before every row; a cancelled call returns the error "cancelled".
Result<TokenizedSet> tokenize_examples(const std::vector<Example>& examples,
                                       const std::vector<size_t>& indices, const Tokenizer& tok,
                                       const TokenizeOptions& opts,
                                       const CancelToken* cancel = nullptr);

// Packs rows (in the given order) into sequences of at most max_length tokens.
std::vector<TokenizedRow> pack_rows(const std::vector<TokenizedRow>& rows, int64_t max_length);

// Number of tokens that carry loss in a row: labels[1:] != -100 (the first label has no
// logit predicting it).
int64_t loss_tokens(const TokenizedRow& row);

struct Batch {
    at::Tensor input_ids;       // [B, T] int64
    at::Tensor attention_mask;  // [B, T] int64, 1 = real token
    at::Tensor labels;          // [B, T] int64, -100 = no loss
    at::Tensor position_ids;    // [B, T] int64 (restart at 0 per packed example)
    // [B, T] int64 example index within the row (0, 1, ...; padding -1) when a row of the
    // batch is packed; undefined otherwise (plain causal + padding mask).
    at::Tensor segment_ids;
    int64_t rows = 0;
    int64_t tokens = 0;       // real tokens
    int64_t loss_tokens = 0;  // tokens carrying loss (after the shift)
};

// Right-pads rows to the longest one; tensors are created on `device`. `min_rows` / `min_len`
// pad further, to at least that many rows (all padding: mask 0, labels -100) and tokens, for a
// fixed batch shape (CUDA graph replay); Batch::rows/tokens/loss_tokens count real data only.
Batch collate(const std::vector<const TokenizedRow*>& rows, int64_t pad_id, at::Device device,
              int64_t min_rows = 0, int64_t min_len = 0);

// The visiting order of `n` rows in `epoch` (0-based) for `seed`.
std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch);

// Micro-batches of an epoch: ceil(n / batch_size); the last one may be smaller.
int64_t micro_batches_per_epoch(size_t n, int64_t batch_size);

// Rows of micro-batch `index` in an epoch order.
std::vector<const TokenizedRow*> micro_batch_rows(const std::vector<TokenizedRow>& rows,
                                                  const std::vector<size_t>& order,
                                                  int64_t batch_size, int64_t index);

// Data parallel (data_parallel.h): rank `rank`'s share of global micro-batch `index` of
// world x batch_size rows, the positions rank, rank + world, ... of it (torch's
// DistributedSampler: indices[rank::world_size]); empty when the micro-batch is short enough.
// world 1: micro_batch_rows(rows, order, batch_size, index).
std::vector<const TokenizedRow*> rank_micro_batch_rows(const std::vector<TokenizedRow>& rows,
                                                       const std::vector<size_t>& order,
                                                       int64_t batch_size, int64_t world,
                                                       int64_t rank, int64_t index);

}  // namespace tb
