// Greedy continuation of given prompt token ids in llama.cpp (through node-llama-cpp's
// prebuilt CPU binaries), for tunebench's GGUF interop test.
//   node llama_greedy.mjs MODEL.gguf IDS N [LORA.gguf]
// IDS: comma-separated prompt ids (bos included when wanted). Prints one JSON line:
//   {"tokens":[...]}
// NODE_PATH (or a node_modules beside this file's caller) must hold node-llama-cpp.
import {createRequire} from "node:module";
import path from "node:path";

const [modelPath, idsText, nText, loraPath] = process.argv.slice(2);
if (!modelPath || !idsText || !nText) {
    console.error("usage: node llama_greedy.mjs MODEL.gguf IDS N [LORA.gguf]");
    process.exit(2);
}
// Resolve node-llama-cpp from NODE_LLAMA_DIR (the folder holding node_modules) when given.
const base = process.env.NODE_LLAMA_DIR ? path.join(process.env.NODE_LLAMA_DIR, "x.js") : import.meta.url;
const require = createRequire(base);
const {getLlama} = await import(require.resolve("node-llama-cpp"));

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const contextOptions = {contextSize: 256, batchSize: 256, threads: 2};
if (loraPath) contextOptions.lora = {adapters: [{filePath: loraPath, scale: 1.0}]};
const context = await model.createContext(contextOptions);
const sequence = context.getSequence();
const ids = idsText.split(",").map((s) => Number(s));
const n = Number(nText);
const tokens = [];
// Greedy: temperature 0 picks the argmax token; no repetition penalty, no grammar.
for await (const token of sequence.evaluate(ids, {temperature: 0})) {
    tokens.push(Number(token));
    if (tokens.length >= n) break;
}
console.log(JSON.stringify({tokens}));
await context.dispose();
await model.dispose();
await llama.dispose();
