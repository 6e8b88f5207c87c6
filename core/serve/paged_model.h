// The `paged` engine's forward step (inside the serving core, core/serve/batcher.h): one
// forward over the flattened tokens of a continuous-batching step, with the KV cache in a
// block pool instead of one buffer per batch.
//
// KV pool: per layer K and V of [num_blocks, block_size, n_kv, hd]. A sequence owns a block
// table (block ids, in position order); token position p lives in slot
// table[p / block_size] * block_size + p % block_size of the flattened pool. Blocks are
// handed out by the Batcher's block manager (batcher.cpp); this file only reads and writes
// them.
//
// A step is a list of chunks: a chunk is the next tokens of one sequence (one token for a
// decoding sequence, up to a prefill budget for a prompt), with the number of its tokens
// already in the pool. The step runs:
// - embeddings, RMSNorm, the fused q/k/v and gate/up GEMMs, o/down and the head on all the
//   step's tokens at once ([T_total, H]: the base GEMMs are shared by every sequence);
// - LoRA per adapter group: rows of the same adapter are gathered, x A^T B^T * scale is
//   computed once per group and index_add_'ed back (rows without an adapter get nothing), so
//   sequences with different adapters (or none) share the step;
// - RoPE from a table gathered by position (LlamaModel::rope's numbers);
// - K/V of every token written into the pool at its slot (index_copy_);
// - attention: single-token chunks (decodes) together, through paged_decode_attention()
//   (the seam where a CUDA paged-attention kernel goes); longer chunks one by one, their
//   queries against the keys gathered through their block table (causal, offset by the
//   tokens already cached: chunked prefill and shared prefixes continue where they stand).
// The math is the eager engine's (engine_eager.cpp): the same op order per row, so fp32
// greedy tokens equal InferenceEngine's.
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <vector>

#include "core/infer/llama_model.h"

namespace tb::serve {

// Attention of one query token per sequence over its paged keys (the decode half of a step).
//   q:            [D, nh, hd] (roped)
//   k_pool/v_pool:[num_blocks, block_size, n_kv, hd], this step's K/V already written
//   block_tables: [D, max_blocks] int64 (rows padded with any valid block id)
//   context_lens: [D] int64, keys per sequence (the query's own position + 1)
//   max_context:  max(context_lens), known on the host
// Returns [D, nh, hd]. The torch version gathers K/V through the tables into a padded batch
// and runs one attention call under a key mask; a CUDA kernel reading the blocks in place
// replaces it without touching anything else (and ignores `gather`).
// `gather`: the slot indices and key mask of the tables, the same for every layer of a step
// (make_decode_gather, once per step); computed here when null.
struct DecodeGather {
    at::Tensor slots;  // [D * max_context] int64: pool slot of every (sequence, key position)
    at::Tensor bias;   // [D, 1, 1, max_context] additive key mask (0 / lowest) in q's dtype
};
DecodeGather make_decode_gather(const at::Tensor& block_tables, const at::Tensor& context_lens,
                                int64_t max_context, int64_t block_size, at::ScalarType dtype);
at::Tensor paged_decode_attention(const at::Tensor& q, const at::Tensor& k_pool,
                                  const at::Tensor& v_pool, const at::Tensor& block_tables,
                                  const at::Tensor& context_lens, int64_t max_context, double scale,
                                  bool use_fused, const DecodeGather* gather = nullptr);

// One adapter's LoRA branches, per layer and projection (q, k, v, o, gate, up, down);
// undefined where the adapter does not target the projection.
struct AdapterWeights {
    std::vector<std::array<LoraBranch, 7>> layers;
};

struct StepChunk {
    std::vector<int64_t> tokens;           // this step's tokens of the sequence
    int64_t start = 0;                     // position of tokens[0] (= tokens already cached)
    const std::vector<int64_t>* blocks{};  // block table, covering start + tokens.size()
    const AdapterWeights* adapter{};       // nullptr = base model
    bool want_logits = false;              // the last token's logits are needed
};

class PagedModel {
  public:
    // `model` must outlive this; its q/k/v and gate/up weights are fused in place (the
    // projections become views, as the eager engine does), and must carry no LoRA branch.
    PagedModel(LlamaModel& model, int64_t num_blocks, int64_t block_size);

    // Runs one step; returns the logits [n, V] (model dtype, model device) of the chunks with
    // want_logits, in chunk order.
    at::Tensor step(const std::vector<StepChunk>& chunks);

    int64_t num_blocks() const { return num_blocks_; }
    int64_t block_size() const { return block_size_; }
    // Bytes of K and V for one block over all layers.
    static int64_t block_bytes(const LlamaConfig& c, int64_t block_size, at::ScalarType dtype);

    const LlamaModel& model() const { return m_; }

  private:
    struct Fused {
        at::Tensor qkv;      // [(nh + 2 nkv) hd, H] or undefined (unfusable: per projection)
        at::Tensor gate_up;  // [2 I, H] or undefined
    };
    at::Tensor layer(int64_t i, const at::Tensor& h, const at::Tensor& cos, const at::Tensor& sin);
    void ensure_rope(int64_t n);

    LlamaModel& m_;
    int64_t num_blocks_, block_size_;
    std::vector<at::Tensor> k_pool_, v_pool_;  // per layer [NB, bs, nkv, hd]
    std::vector<Fused> fused_;
    at::Tensor cos_, sin_;  // [rows, hd]

    // Per-step state shared by the layers.
    struct StepState {
        at::Tensor slots;  // [T] int64: pool slot of every token
        // LoRA groups: (adapter, rows [n] int64 on device)
        std::vector<std::pair<const AdapterWeights*, at::Tensor>> groups;
        // decode (single-token) rows
        at::Tensor d_rows, d_tables, d_lens;
        int64_t d_max = 0;
        DecodeGather d_gather;
        // longer chunks: (first row, tokens, start, slots of positions 0..start+n)
        struct Pre {
            int64_t row, n, start;
            at::Tensor key_slots;  // [start + n] int64
        };
        std::vector<Pre> pre;
    } st_;
};

}  // namespace tb::serve
