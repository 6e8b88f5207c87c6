// llama.cpp side of `tunebench-cli bench infer --llama-cpp FILE.gguf`: the same prompts, greedy,
// timed the way hf_generate_bench.py times transformers, through node-llama-cpp's prebuilt CPU
// binaries (getLlama({gpu: false, build: "never"})). Prints one JSON line shaped like the HF
// script's result: {"engine": "llama.cpp", "load": {...}, "batches": [...]}.
//   node llama_cpp_bench.mjs --model F.gguf --prompts P.json --batch 1,8 --max-new-tokens N
//        [--warmup W] [--repeats R] [--threads T] [--distinct D]
// A sequence is one request: the row is measured at batch 1 (larger batches are reported as
// not measured). NODE_LLAMA_DIR: the folder whose node_modules holds node-llama-cpp.
import {createRequire} from "node:module";
import {readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
const out = {engine: "llama.cpp"};
const fail = (msg) => {
    out.error = msg;
    console.log(JSON.stringify(out));
    process.exit(1);
};
if (!args.model || !args.prompts || !args["max-new-tokens"]) fail("usage: --model --prompts --max-new-tokens");

let getLlama;
try {
    const base = process.env.NODE_LLAMA_DIR ? path.join(process.env.NODE_LLAMA_DIR, "x.js") : import.meta.url;
    ({getLlama} = await import(createRequire(base).resolve("node-llama-cpp")));
} catch (e) {
    fail("node-llama-cpp not found (set NODE_LLAMA_DIR): " + String(e).slice(0, 200));
}

const prompts = JSON.parse(readFileSync(args.prompts, "utf8"));
const n = Number(args["max-new-tokens"]);
const warmup = Number(args.warmup ?? 1);
const repeats = Number(args.repeats ?? 3);
const threads = Number(args.threads ?? os.availableParallelism());
const batches = String(args.batch ?? "1").split(",").filter((s) => s).map(Number);

const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};
// numpy's linear percentile, as the HF script and bench_stats.h compute it.
const percentile = (v, q) => {
    const s = [...v].sort((a, b) => a - b);
    const pos = (q / 100) * (s.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
};
const figure = (v) => ({median: median(v), min: Math.min(...v), max: Math.max(...v)});

const t0 = performance.now();
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model});
const longest = Math.max(...prompts.map((p) => p.length));
const context = await model.createContext({
    contextSize: Math.max(256, longest + n + 8), batchSize: Math.max(512, longest), threads});
const sequence = context.getSequence();
out.load = {seconds: (performance.now() - t0) / 1000};
out.threads = threads;
out.version = llama.buildType ? String(llama.buildType) : undefined;

// One request: prompt ids in, exactly n greedy tokens out (EOS not special-cased: min tokens as
// the other engines run), each stamped when llama.cpp hands it over.
async function run(ids) {
    await sequence.clearHistory();
    const start = performance.now();
    const stamps = [], tokens = [];
    for await (const token of sequence.evaluate(ids, {temperature: 0})) {
        stamps.push((performance.now() - start) / 1000);
        tokens.push(Number(token));
        if (tokens.length >= n) break;
    }
    const wall = (performance.now() - start) / 1000;
    const itl = stamps.slice(1).map((t, i) => 1000 * (t - stamps[i]));
    return {ttft_ms: 1000 * stamps[0], itl, e2e_s: wall, tps: tokens.length / wall, tokens};
}

out.batches = [];
for (const b of batches) {
    if (b !== 1) {
        out.batches.push({batch: b, error: "llama.cpp row measured at batch 1 only (one sequence)"});
        continue;
    }
    try {
        for (let i = 0; i < warmup; ++i) await run(prompts[0]);
        const runs = [];
        for (let i = 0; i < repeats; ++i) runs.push(await run(prompts[0]));
        out.batches.push({
            batch: 1,
            ttft_ms: figure(runs.map((r) => r.ttft_ms)),
            itl_p50_ms: figure(runs.map((r) => percentile(r.itl, 50))),
            itl_p90_ms: figure(runs.map((r) => percentile(r.itl, 90))),
            itl_p99_ms: figure(runs.map((r) => percentile(r.itl, 99))),
            e2e_s: figure(runs.map((r) => r.e2e_s)),
            tokens_per_s_request: figure(runs.map((r) => r.tps)),
            tokens_per_s_aggregate: figure(runs.map((r) => r.tps)),
            peak_rss_bytes: process.memoryUsage().rss,
            tokens: [runs[0].tokens],
        });
    } catch (e) {
        out.batches.push({batch: b, error: String(e).slice(0, 300)});
    }
}
console.log(JSON.stringify(out));
await context.dispose();
await model.dispose();
await llama.dispose();
