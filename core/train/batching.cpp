#include "core/train/batching.h"

#include <algorithm>
#include <cstdint>

#include "core/data/prompt.h"
#include "core/data/split.h"

namespace tb {

Result<PromptTemplate> parse_prompt_template(const std::string& name) {
    if (name == "chat") return PromptTemplate::Chat;
    if (name == "instruction") return PromptTemplate::Instruction;
    return make_error("data.prompt_template",
                      "unknown template '" + name + "' (expected chat or instruction)");
}

// Encodes text whose special tokens are written out (chat renderings) or plain text, with
// bos in front when the tokenizer adds one and the text does not already start with it.
// The largest n' <= n that does not fall inside a UTF-8 sequence of `s` (n <= s.size()).
static size_t utf8_floor(const std::string& s, size_t n) {
    if (n >= s.size()) return s.size();
    size_t k = n;
    // Back over at most 3 continuation bytes; invalid UTF-8 simply stops there.
    while (k > 0 && n - k < 3 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    return (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80 ? n : k;
}

static std::vector<int64_t> encode_with_bos(const Tokenizer& tok, const std::string& text) {
    std::vector<int64_t> ids = tok.encode(text, /*add_special_tokens=*/false);
    if (tok.add_bos_token() && tok.bos_id() >= 0 && (ids.empty() || ids[0] != tok.bos_id()))
        ids.insert(ids.begin(), tok.bos_id());
    return ids;
}

Result<TokenizedRow> tokenize_example(const Example& ex, const Tokenizer& tok,
                                      const TokenizeOptions& opts) {
    PromptParts parts;
    if (opts.prompt_template == PromptTemplate::Chat) {
        std::vector<ChatTurn> turns = example_messages(ex);
        std::vector<ChatMessage> msgs;
        msgs.reserve(turns.size());
        for (const auto& t : turns) msgs.push_back({t.role, t.content});
        if (msgs.empty() || msgs.back().role != "assistant")
            return make_error("data", "conversation does not end with an assistant message");
        std::vector<ChatMessage> head(msgs.begin(), msgs.end() - 1);
        TB_ASSIGN_OR_RETURN(std::string rendered_prompt, tok.apply_chat_template(head, true));
        TB_ASSIGN_OR_RETURN(std::string rendered_full, tok.apply_chat_template(msgs, false));
        TB_ASSIGN_OR_RETURN(parts, split_rendered_chat(rendered_prompt, rendered_full));
    } else {
        parts = build_instruction_prompt(ex);
    }
    TokenizedRow row;
    const std::string full = parts.prompt + parts.response;
    std::vector<int64_t> prompt_ids;
    bool encoded = false;
    // Rows of more than twice the cut length: encode only a prefix (batching.h, truncation).
    const uint64_t cut_len =
        opts.max_length > 0 && opts.max_length < (int64_t{1} << 40)
            ? static_cast<uint64_t>(opts.max_length) * static_cast<uint64_t>(kCutBytesPerToken)
            : UINT64_MAX / 4;
    if (static_cast<uint64_t>(full.size()) / 2 > cut_len) {
        const size_t cut = utf8_floor(full, static_cast<size_t>(cut_len));
        const std::string head = full.substr(0, cut);
        row.ids = encode_with_bos(tok, head);
        if (static_cast<int64_t>(row.ids.size()) >= opts.max_length + kCutMarginTokens) {
            // A prompt longer than the cut is cut the same way, so both encodings stay
            // prefixes of one text and their common prefix is still the prompt's tokens.
            prompt_ids = parts.prompt.size() > cut ? row.ids : encode_with_bos(tok, parts.prompt);
            row.cut_from_bytes = full.size();
            row.cut_to_bytes = cut;
            encoded = true;
        }
    }
    if (!encoded) {
        prompt_ids = encode_with_bos(tok, parts.prompt);
        row.ids = encode_with_bos(tok, full);
    }
    const bool response_has_eos =
        !tok.eos_token().empty() && parts.response.find(tok.eos_token()) != std::string::npos;
    if (!response_has_eos && tok.eos_id() >= 0) row.ids.push_back(tok.eos_id());
    // Prompt tokens = the longest common prefix: a token that merges across the boundary
    // belongs to the response (it contains response text the model must learn to produce).
    size_t n_prompt = 0;
    while (n_prompt < prompt_ids.size() && n_prompt < row.ids.size() &&
           prompt_ids[n_prompt] == row.ids[n_prompt])
        ++n_prompt;
    row.labels = row.ids;
    if (opts.loss_on_response_only)
        std::fill(row.labels.begin(), row.labels.begin() + static_cast<std::ptrdiff_t>(n_prompt),
                  kIgnoreIndex);
    if (opts.max_length > 0 && static_cast<int64_t>(row.ids.size()) > opts.max_length) {
        row.ids.resize(static_cast<size_t>(opts.max_length));
        row.labels.resize(static_cast<size_t>(opts.max_length));
        row.truncated = true;
    }
    return row;
}

int64_t loss_tokens(const TokenizedRow& row) {
    int64_t n = 0;
    for (size_t t = 1; t < row.labels.size(); ++t) n += row.labels[t] != kIgnoreIndex;
    return n;
}

Result<TokenizedSet> tokenize_examples(const std::vector<Example>& examples,
                                       const std::vector<size_t>& indices, const Tokenizer& tok,
                                       const TokenizeOptions& opts, const CancelToken* cancel) {
    TokenizedSet set;
    set.rows.reserve(indices.size());
    for (size_t idx : indices) {
        if (cancel && cancel->cancelled()) return make_error("tokenizing", "cancelled");
        const Example& ex = examples.at(idx);
        auto r = tokenize_example(ex, tok, opts);
        if (!r.ok()) return make_error("line " + std::to_string(ex.source_line), r.error().message);
        TokenizedRow row = std::move(r).value();
        row.source = idx;
        if (row.truncated) ++set.truncated;
        if (row.cut_from_bytes > 0)
            set.notes.push_back(
                (opts.source.empty() ? std::string("line ") : opts.source + ":") +
                std::to_string(ex.source_line) + ": row of " + std::to_string(row.cut_from_bytes) +
                " bytes is far beyond max_length " + std::to_string(opts.max_length) +
                " tokens; only its first " + std::to_string(row.cut_to_bytes) +
                " bytes were tokenized (the first " + std::to_string(opts.max_length) +
                " tokens are kept as for the whole row)");
        if (loss_tokens(row) == 0) {
            ++set.dropped_no_target;
            continue;
        }
        set.tokens += static_cast<int64_t>(row.ids.size());
        set.rows.push_back(std::move(row));
    }
    return set;
}

std::vector<TokenizedRow> pack_rows(const std::vector<TokenizedRow>& rows, int64_t max_length) {
    std::vector<TokenizedRow> out;
    TokenizedRow cur;
    for (const auto& r : rows) {
        const size_t room = static_cast<size_t>(max_length);
        if (!cur.ids.empty() && cur.ids.size() + r.ids.size() > room) {
            out.push_back(std::move(cur));
            cur = TokenizedRow{};
        }
        if (cur.ids.empty()) {
            cur.source = r.source;
        } else {
            // A later example: its first label would be predicted from the previous
            // example's last token.
            cur.segment_starts.push_back(static_cast<int64_t>(cur.ids.size()));
        }
        const size_t at = cur.labels.size();
        cur.ids.insert(cur.ids.end(), r.ids.begin(), r.ids.end());
        cur.labels.insert(cur.labels.end(), r.labels.begin(), r.labels.end());
        if (at > 0) cur.labels[at] = kIgnoreIndex;
        cur.truncated = cur.truncated || r.truncated;
    }
    if (!cur.ids.empty()) out.push_back(std::move(cur));
    return out;
}

Batch collate(const std::vector<const TokenizedRow*>& rows, int64_t pad_id, at::Device device,
              int64_t min_rows, int64_t min_len) {
    Batch b;
    b.rows = static_cast<int64_t>(rows.size());
    const int64_t R = std::max(b.rows, min_rows);  // tensor rows (padding rows after the real)
    int64_t T = min_len;
    for (const auto* r : rows) T = std::max<int64_t>(T, static_cast<int64_t>(r->ids.size()));
    at::Tensor ids = at::full({R, T}, pad_id, at::kLong);
    at::Tensor mask = at::zeros({R, T}, at::kLong);
    at::Tensor labels = at::full({R, T}, kIgnoreIndex, at::kLong);
    auto ids_a = ids.accessor<int64_t, 2>();
    auto mask_a = mask.accessor<int64_t, 2>();
    auto lab_a = labels.accessor<int64_t, 2>();
    for (int64_t i = 0; i < b.rows; ++i) {
        const TokenizedRow& r = *rows[static_cast<size_t>(i)];
        for (size_t t = 0; t < r.ids.size(); ++t) {
            ids_a[i][static_cast<int64_t>(t)] = r.ids[t];
            mask_a[i][static_cast<int64_t>(t)] = 1;
            lab_a[i][static_cast<int64_t>(t)] = r.labels[t];
        }
        b.tokens += static_cast<int64_t>(r.ids.size());
        b.loss_tokens += loss_tokens(r);
    }
    b.position_ids = at::arange(T, at::kLong).unsqueeze(0).expand({R, T}).contiguous();
    bool packed = false;
    for (const auto* r : rows) packed = packed || !r->segment_starts.empty();
    if (packed) {
        at::Tensor seg = at::full({R, T}, -1, at::kLong);
        auto seg_a = seg.accessor<int64_t, 2>();
        auto pos_a = b.position_ids.accessor<int64_t, 2>();
        for (int64_t i = 0; i < b.rows; ++i) {
            const TokenizedRow& r = *rows[static_cast<size_t>(i)];
            int64_t s = 0, begin = 0;
            for (int64_t t = 0; t < static_cast<int64_t>(r.ids.size()); ++t) {
                if (s < static_cast<int64_t>(r.segment_starts.size()) &&
                    t == r.segment_starts[static_cast<size_t>(s)]) {
                    ++s;
                    begin = t;
                }
                seg_a[i][t] = s;
                pos_a[i][t] = t - begin;
            }
        }
        b.segment_ids = seg.to(device);
    }
    b.input_ids = ids.to(device);
    b.attention_mask = mask.to(device);
    b.labels = labels.to(device);
    b.position_ids = b.position_ids.to(device);
    return b;
}

std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch) {
    // One stream per epoch, decorrelated from the seed's own stream and from the split's
    // (which uses SplitMix64(seed) directly).
    SplitMix64 mix(seed ^ 0x5452414E494E4721ULL);  // "TRAINING!"
    const uint64_t s = mix.next() ^ (static_cast<uint64_t>(epoch + 1) * 0xD1B54A32D192ED03ULL);
    SplitMix64 rng(s);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    shuffle_indices(order, rng);
    return order;
}

int64_t micro_batches_per_epoch(size_t n, int64_t batch_size) {
    return (static_cast<int64_t>(n) + batch_size - 1) / batch_size;
}

std::vector<const TokenizedRow*> micro_batch_rows(const std::vector<TokenizedRow>& rows,
                                                  const std::vector<size_t>& order,
                                                  int64_t batch_size, int64_t index) {
    std::vector<const TokenizedRow*> out;
    const size_t begin = static_cast<size_t>(index * batch_size);
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    for (size_t i = begin; i < end; ++i) out.push_back(&rows[order[i]]);
    return out;
}

std::vector<const TokenizedRow*> rank_micro_batch_rows(const std::vector<TokenizedRow>& rows,
                                                       const std::vector<size_t>& order,
                                                       int64_t batch_size, int64_t world,
                                                       int64_t rank, int64_t index) {
    std::vector<const TokenizedRow*> out;
    const size_t global = static_cast<size_t>(batch_size * world);
    const size_t begin = static_cast<size_t>(index) * global;
    const size_t end = std::min(order.size(), begin + global);
    for (size_t i = begin + static_cast<size_t>(rank); i < end; i += static_cast<size_t>(world))
        out.push_back(&rows[order[i]]);
    return out;
}

}  // namespace tb
