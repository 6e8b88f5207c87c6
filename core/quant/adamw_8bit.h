// AdamW with 8-bit blockwise-quantised optimizer states (Dettmers et al., "8-bit Optimizers via
// Block-wise Quantization"; bitsandbytes' AdamW8bit / PagedAdamW8bit, optim_bits=8).
//
// Per trainable tensor with at least `min_8bit_size` elements, both moments are stored as one
// byte per element plus a float32 absmax per block of `blocksize` elements: m with the signed
// dynamic map, v with the unsigned one (codebook.h). Each step dequantises the block,
// applies the fp32 AdamW update (torch.optim.AdamW's order of operations: decoupled decay
// first, then m/v, bias corrections, p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)), updates the
// parameter from those fp32 moments, and requantises them (new absmax per block). Smaller
// tensors keep fp32 moments, as bitsandbytes does.
//
// Paging (CUDA only): the states live in pinned host memory and are moved to the device in
// chunks of `page_chunk_elems` elements for the update and back afterwards (asynchronous
// copies on the current stream; the step synchronises once at its end so the host copy is
// valid when it returns). This trades PCIe traffic (~2 x 2 bytes/param/step) for device
// memory. bitsandbytes pages with CUDA unified memory instead; this implementation uses
// explicit copies. On CPU the flag changes nothing.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace tb {

struct AdamW8bitOptions {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  // decoupled (AdamW)
    // Block of the state quantisation. bitsandbytes >= 0.44 uses 256 (BLOCKSIZE_2STATE);
    // earlier releases used 2048. Any positive value works here.
    int64_t blocksize = 256;
    // Tensors with fewer elements keep fp32 states (bitsandbytes' min_8bit_size default).
    int64_t min_8bit_size = 4096;
    // CUDA: keep the states in pinned host memory between steps (PagedAdamW8bit analogue).
    bool paged = false;
    // Elements per host->device chunk when paged (rounded down to a multiple of blocksize).
    int64_t page_chunk_elems = int64_t{1} << 22;
};

class AdamW8bit {
  public:
    explicit AdamW8bit(AdamW8bitOptions opts = {});

    // One update of `params` in place (under NoGrad). grads[i] is params[i]'s gradient (same
    // shape; an undefined gradient skips that tensor and leaves its state untouched). lr: this
    // step's learning rate; step_index: 1-based number of this update (bias correction).
    // State i belongs to params[i]: pass the same tensors in the same order every step.
    // Errors: count/shape mismatches, non-float parameters.
    Status step(const std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads,
                double lr, int64_t step_index);

    // Bytes held by the optimizer state (codes, absmax values, fp32 moments of small tensors).
    int64_t state_bytes() const;
    // Of those, the bytes resident on a CUDA device (0 when paged: they wait in host memory).
    int64_t device_state_bytes() const;
    // Number of tensors with 8-bit / fp32 states.
    int64_t num_8bit_tensors() const;
    int64_t num_fp32_tensors() const;
    const AdamW8bitOptions& options() const { return opts_; }
    bool initialised() const { return !states_.empty(); }

    // Checkpointing. Names: "<i>.m", "<i>.v" (uint8 codes or float32 moments), "<i>.m_absmax",
    // "<i>.v_absmax" (float32, 8-bit states only); tensors are CPU copies.
    std::map<std::string, at::Tensor> state_dict() const;
    // Restores a state_dict for these params (validated: count, element counts, block size).
    Status load_state_dict(const std::map<std::string, at::Tensor>& sd,
                           const std::vector<at::Tensor>& params);
    // safetensors file (written atomically) with the block size in its metadata, plus
    // `extra_metadata` (e.g. the trainer's step count and parameter names; keys "format",
    // "blocksize", "min_8bit_size" and "tensors" are reserved). load() validates the file
    // against `params` and this optimizer's options and returns the metadata in `metadata_out`.
    Status save(const std::string& path,
                const std::map<std::string, std::string>& extra_metadata = {}) const;
    Status load(const std::string& path, const std::vector<at::Tensor>& params,
                std::map<std::string, std::string>* metadata_out = nullptr);

  private:
    struct State {
        bool eight_bit = false;
        int64_t numel = 0;
        at::Tensor m, v;                // uint8 [numel] codes, or float32 [numel] moments
        at::Tensor m_absmax, v_absmax;  // float32 [nblocks] (8-bit only)
    };
    State make_state(const at::Tensor& param) const;
    at::Device state_device(const at::Tensor& param) const;
    void update_range(State& s, const at::Tensor& p_flat, const at::Tensor& g_flat, int64_t begin,
                      int64_t len, double lr, int64_t step_index) const;

    AdamW8bitOptions opts_;
    std::vector<State> states_;
};

}  // namespace tb
