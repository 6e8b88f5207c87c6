#!/usr/bin/env python3
"""PEFT side of `tunebench-cli bench train`: the same steps as tunebench's train bench
(core/train/train_bench.h) in Transformers + PEFT, printed as one JSON object on stdout.

One step: forward + backward of one batch (every token carries loss), clip_grad_norm_(1.0),
torch.optim.AdamW. Random-weight LlamaForCausalLM of the given shape (initializer_range
0.02) in bf16 on CUDA (fp32 on CPU), SDPA attention, LoRA through peft.get_peft_model. The
peak is torch.cuda.max_memory_allocated() over the timed steps, after a reset that follows
the warm-up (weights included), as tunebench measures it.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=5632)
    ap.add_argument("--layers", type=int, default=22)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--r", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32)
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--targets", default="q_proj,k_proj,v_proj,o_proj")
    ap.add_argument("--checkpointing", action="store_true")
    ap.add_argument("--load-in-4bit", action="store_true")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    out = {"engine": "transformers+peft"}
    try:
        import torch
        import transformers
        import peft
    except Exception as e:  # noqa: BLE001 - reported to the caller
        out["error"] = f"cannot import torch/transformers/peft: {e}"
        print(json.dumps(out))
        return 0
    out["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                       "peft": peft.__version__}
    dev = a.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if dev.startswith("cuda") else torch.float32
    torch.manual_seed(a.seed)
    cfg = transformers.LlamaConfig(
        vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate,
        num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
        max_position_embeddings=max(2048, a.seq), rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False, use_cache=False, attn_implementation="sdpa")
    model = transformers.LlamaForCausalLM(cfg).to(dtype)
    if a.load_in_4bit:
        try:
            import bitsandbytes  # noqa: F401
        except Exception as e:  # noqa: BLE001
            out["error"] = f"QLoRA needs bitsandbytes: {e}"
            print(json.dumps(out))
            return 0
        # bitsandbytes quantises at load time: round-trip the random model through a folder.
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            del model
            q = transformers.BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16)
            model = transformers.LlamaForCausalLM.from_pretrained(
                tmp, quantization_config=q, dtype=torch.bfloat16, device_map={"": dev},
                attn_implementation="sdpa")
    else:
        model = model.to(dev)
    if a.checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    lcfg = peft.LoraConfig(r=a.r, lora_alpha=a.alpha, lora_dropout=a.dropout,
                           target_modules=a.targets.split(","), task_type="CAUSAL_LM")
    model = peft.get_peft_model(model, lcfg)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr)
    g = torch.Generator().manual_seed(a.seed + 1)
    ids = torch.randint(3, a.vocab, (a.batch, a.seq), generator=g).to(dev)
    is_cuda = dev.startswith("cuda")

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    first = None
    for i in range(a.warmup):
        loss = step()
        first = loss if first is None else first
    if is_cuda:
        torch.cuda.synchronize()  # no empty_cache: the timed steps find the allocator warm
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
        first = loss if first is None else first
    if is_cuda:
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    out.update({
        "device": dev, "dtype": str(dtype).replace("torch.", ""),
        "tokens_per_step": a.batch * a.seq,
        "tokens_per_s": a.steps * a.batch * a.seq / secs,
        "step_ms": 1000.0 * secs / a.steps,
        "peak_bytes": torch.cuda.max_memory_allocated() if is_cuda else None,
        "peak_kind": "cuda_max_allocated" if is_cuda else "none",
        "trainable_params": sum(p.numel() for p in params),
        "first_loss": first, "last_loss": loss,
    })
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
