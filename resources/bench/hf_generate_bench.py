#!/usr/bin/env python3
"""HF side of `tunebench-cli bench infer`: transformers' generate on the same prompts and the
same weights (an HF folder) as tunebench's engines, measured the same way
(core/infer/infer_bench.h), printed as one JSON object on stdout.

Load: from_pretrained(dtype, attn_implementation="sdpa") onto the device, synchronised.
A run: generate() over `batch` prompts (left padded when their lengths differ), greedy,
min_new_tokens = max_new_tokens, with a streamer that stamps the host time at which each
step's tokens are known (HF calls put(next_tokens.cpu()), so the stamp is after the copy).
`warmup` untimed runs, then `repeats` timed ones; figures are medians with min and max. Peak
memory: torch.cuda.max_memory_allocated/reserved over the timed runs, after a reset.
"""
import argparse
import json
import sys
import time


def percentile(v, q):
    if not v:
        return 0.0
    v = sorted(v)
    pos = q / 100.0 * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def figure(vals):
    return {"median": percentile(vals, 50), "min": min(vals), "max": max(vals)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True, help="JSON list of token-id lists")
    ap.add_argument("--batch", default="1")
    ap.add_argument("--distinct", type=int, default=0)
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto")
    a = ap.parse_args()
    out = {"engine": "transformers"}
    try:
        import torch
        import transformers
    except Exception as e:  # noqa: BLE001 - reported to the caller
        out["error"] = f"cannot import torch/transformers: {e}"
        print(json.dumps(out))
        return 0
    out["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__}
    dev = a.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    is_cuda = dev.startswith("cuda")
    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}.get(
        a.dtype, torch.bfloat16 if is_cuda else torch.float32)
    with open(a.prompts) as f:
        prompts = json.load(f)
    distinct = a.distinct or len(prompts)

    def sync():
        if is_cuda:
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(
            a.model, dtype=dtype, attn_implementation="sdpa").to(dev)
    except TypeError:  # transformers < 4.56 spells it torch_dtype
        model = transformers.AutoModelForCausalLM.from_pretrained(
            a.model, torch_dtype=dtype, attn_implementation="sdpa").to(dev)
    model.eval()
    sync()
    out["load"] = {"seconds": time.perf_counter() - t0}
    if is_cuda:
        out["load"]["device_allocated_bytes"] = torch.cuda.memory_allocated()
        out["load"]["device_reserved_bytes"] = torch.cuda.memory_reserved()

    from transformers.generation.streamers import BaseStreamer

    class Stamps(BaseStreamer):
        def __init__(self, start):
            self.start, self.times, self.first = start, [], True

        def put(self, value):
            if self.first:  # the prompt
                self.first = False
                return
            self.times.append(time.perf_counter() - self.start)

        def end(self):
            pass

    n = a.max_new_tokens

    def run(batch):
        # Rows of different lengths (test-split prompts) are left padded with a zero mask, HF's
        # decoder-only convention; synthetic prompts have one length and no padding.
        width = max(len(r) for r in batch)
        ids = torch.tensor([[0] * (width - len(r)) + list(r) for r in batch], dtype=torch.long,
                           device=dev)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in batch],
                            dtype=torch.long, device=dev)
        sync()
        start = time.perf_counter()
        s = Stamps(start)
        with torch.inference_mode():
            res = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                                 min_new_tokens=n, do_sample=False, num_beams=1,
                                 pad_token_id=0, streamer=s)
        sync()
        wall = time.perf_counter() - start
        new = res[:, ids.shape[1]:].tolist()
        t = s.times
        itl = [1000.0 * (t[i] - t[i - 1]) for i in range(1, len(t))] * len(batch)
        return {
            "ttft_ms": 1000.0 * t[0], "itl": itl, "e2e_s": wall,
            # every row gets its tokens at the same steps: a row's latency is the last stamp
            "tps_request": len(t) / t[-1], "tps_aggregate": len(batch) * len(t) / wall,
            "tokens": new,
        }

    out["batches"] = []
    for b in [int(x) for x in a.batch.split(",") if x]:
        batch = [prompts[i % distinct] for i in range(b)]
        try:
            for _ in range(a.warmup):
                run(batch)
            if is_cuda:
                sync()
                torch.cuda.reset_peak_memory_stats()
            runs = [run(batch) for _ in range(a.repeats)]
        except Exception as e:  # noqa: BLE001 - e.g. out of memory at a large batch
            out["batches"].append({"batch": b, "error": str(e)[:300]})
            continue
        fig = {
            "batch": b,
            "ttft_ms": figure([r["ttft_ms"] for r in runs]),
            "itl_p50_ms": figure([percentile(r["itl"], 50) for r in runs]),
            "itl_p90_ms": figure([percentile(r["itl"], 90) for r in runs]),
            "itl_p99_ms": figure([percentile(r["itl"], 99) for r in runs]),
            "e2e_s": figure([r["e2e_s"] for r in runs]),
            "tokens_per_s_request": figure([r["tps_request"] for r in runs]),
            "tokens_per_s_aggregate": figure([r["tps_aggregate"] for r in runs]),
            "tokens": runs[0]["tokens"],
        }
        if is_cuda:
            fig["peak_allocated_bytes"] = torch.cuda.max_memory_allocated()
            fig["peak_reserved_bytes"] = torch.cuda.max_memory_reserved()
        out["batches"].append(fig)
    out["device"] = dev
    out["dtype"] = str(dtype).replace("torch.", "")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
