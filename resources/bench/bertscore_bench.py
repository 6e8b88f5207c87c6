#!/usr/bin/env python3
"""Python side of `tunebench-cli bench-bertscore`: BERTScore of the same pairs, timed.

Usage: bertscore_bench.py --model DIR --pairs PAIRS.jsonl --device cpu|cuda[:N] --layer N
                          [--batch-size 64] [--idf] [--warmup 0] [--repeats 1]

PAIRS.jsonl holds {"cand": ..., "ref": ...} per line. Uses the bert_score package (score())
when it can be imported; otherwise the same algorithm written here with torch + transformers
(bert_score 0.3.x: sent_encode with the slow tokenizer, the encoder truncated to `layer`
layers, embeddings of every unique sentence batched longest first, greedy cosine matching with
idf weights, P/R/F per pair). Each timed run is one full call including the tokenizer and
model load, as bert_score.score() does; the load alone is timed once more.

Prints one JSON line: engine, versions, seconds per run, median_s, load_s, pairs_per_s,
scoring_pairs_per_s and F (per pair, of the last run) for the caller's comparison.
"""
import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter, defaultdict


def sync(device):
    import torch
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def load(model_dir, layer, device):
    import torch
    from transformers import AutoModel, AutoTokenizer
    try:  # bert_score loads the slow (Python) tokenizer; newer transformers may not have it
        tok = AutoTokenizer.from_pretrained(model_dir, use_fast=False)
    except (TypeError, ValueError, ImportError):
        tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir)
    model.encoder.layer = torch.nn.ModuleList(list(model.encoder.layer[:layer]))
    model.eval()
    model.to(device)
    return tok, model


def sent_encode(tok, s):
    s = s.strip()
    if s == "":
        return [tok.cls_token_id, tok.sep_token_id]
    return tok.encode(s, add_special_tokens=True, max_length=tok.model_max_length,
                      truncation=True)


def score_algorithm(cands, refs, model_dir, layer, batch_size, idf, device):
    """bert_score 0.3.x's score() for one reference per candidate."""
    import torch
    tok, model = load(model_dir, layer, device)
    if idf:
        m = len(refs)
        df = Counter()
        for r in refs:
            df.update(set(sent_encode(tok, r)))
        weights = defaultdict(lambda: math.log((m + 1) / 1))
        weights.update({i: math.log((m + 1) / (c + 1)) for i, c in df.items()})
    else:
        weights = defaultdict(lambda: 1.0)
        weights[tok.sep_token_id] = 0
        weights[tok.cls_token_id] = 0
    sentences = sorted(set(refs + cands), key=lambda x: len(x.split(" ")), reverse=True)
    stats = {}
    with torch.no_grad():
        for b in range(0, len(sentences), batch_size):
            batch = sentences[b:b + batch_size]
            ids = [sent_encode(tok, s) for s in batch]
            n = max(len(x) for x in ids)
            padded = torch.full((len(ids), n), tok.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(ids), n), dtype=torch.long)
            for i, x in enumerate(ids):
                padded[i, :len(x)] = torch.tensor(x)
                mask[i, :len(x)] = 1
            emb = model(padded.to(device), attention_mask=mask.to(device)).last_hidden_state
            for i, x in enumerate(ids):
                w = torch.tensor([weights[t] for t in x], dtype=torch.float)
                stats[batch[i]] = (emb[i, :len(x)], w.to(device))

        def pad(items):
            n = max(e.shape[0] for e, _ in items)
            # bert_score pads embeddings with 2.0 (a zero vector would normalise to NaN)
            e = torch.full((len(items), n, items[0][0].shape[1]), 2.0, device=device)
            w = torch.zeros(len(items), n, device=device)
            m = torch.zeros(len(items), n, device=device)
            lens = []
            for i, (x, y) in enumerate(items):
                e[i, :x.shape[0]] = x
                w[i, :x.shape[0]] = y
                m[i, :x.shape[0]] = 1
                lens.append(x.shape[0])
            return e, w, m, torch.tensor(lens, device=device)

        out = []
        for b in range(0, len(cands), batch_size):
            re, rw, rm, _ = pad([stats[r] for r in refs[b:b + batch_size]])
            he, hw, hm, hl = pad([stats[c] for c in cands[b:b + batch_size]])
            re = re / re.norm(dim=-1, keepdim=True)
            he = he / he.norm(dim=-1, keepdim=True)
            sim = torch.bmm(he, re.transpose(1, 2)) * torch.bmm(hm.unsqueeze(2), rm.unsqueeze(1))
            wp = sim.max(dim=2)[0]
            wr = sim.max(dim=1)[0]
            hw = hw / hw.sum(dim=1, keepdim=True)
            rw = rw / rw.sum(dim=1, keepdim=True)
            p = (wp * hw).sum(dim=1)
            r = (wr * rw).sum(dim=1)
            f = 2 * p * r / (p + r)
            empty = hl == 2  # [CLS] [SEP] only
            p = p.masked_fill(empty, 0.0)
            r = r.masked_fill(empty, 0.0)
            f = f.masked_fill(empty, 0.0)
            f = f.masked_fill(torch.isnan(f), 0.0)
            out.append(f.cpu())
        return torch.cat(out).tolist()


def score_package(cands, refs, model_dir, layer, batch_size, idf, device):
    import bert_score
    _, _, f = bert_score.score(cands, refs, model_type=model_dir, num_layers=layer,
                               batch_size=batch_size, idf=idf, device=device)
    return f.tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--layer", type=int, required=True)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--idf", action="store_true")
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    out = {}
    try:
        import torch
        import transformers
        out.update(torch=torch.__version__, transformers=transformers.__version__,
                   python=sys.version.split()[0], device=a.device)
        if a.device.startswith("cuda"):
            out["gpu"] = torch.cuda.get_device_name(torch.device(a.device))
        pairs = [json.loads(x) for x in open(a.pairs, encoding="utf-8") if x.strip()]
        cands = [p["cand"] for p in pairs]
        refs = [p["ref"] for p in pairs]
        fn, engine = score_algorithm, "python: bert_score algorithm (torch+transformers)"
        try:
            import bert_score
            fn, engine = score_package, "bert_score " + bert_score.__version__
        except ImportError:
            pass
        out["engine"] = engine
        secs, f = [], None
        for k in range(a.warmup + a.repeats):
            sync(a.device)
            t0 = time.perf_counter()
            try:
                f = fn(cands, refs, a.model, a.layer, a.batch_size, a.idf, a.device)
            except Exception as e:  # noqa: BLE001 - the package may not take a local folder
                if fn is score_algorithm:
                    raise
                out["bert_score_error"] = repr(e)
                fn, engine = score_algorithm, "python: bert_score algorithm (torch+transformers)"
                out["engine"] = engine
                f = fn(cands, refs, a.model, a.layer, a.batch_size, a.idf, a.device)
            sync(a.device)
            if k >= a.warmup:
                secs.append(time.perf_counter() - t0)
        sync(a.device)
        t0 = time.perf_counter()
        load(a.model, a.layer, a.device)
        sync(a.device)
        load_s = time.perf_counter() - t0
        med = statistics.median(secs)
        out.update(seconds=secs, median_s=med, load_s=load_s, pairs_per_s=len(pairs) / med)
        if med > load_s:
            out["scoring_pairs_per_s"] = len(pairs) / (med - load_s)
        out["F"] = f
    except Exception as e:  # noqa: BLE001 - reported to the caller as JSON
        import traceback
        out["error"] = repr(e)
        out["traceback"] = traceback.format_exc()[-2000:]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
