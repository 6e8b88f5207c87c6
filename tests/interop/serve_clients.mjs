// The real client libraries against `tunebench-cli serve` (issue 12: "tested with clients'
// real request shapes"): the official `openai` JavaScript library and `ollama` (ollama-js),
// each making the calls their users make, for tunebench's test_serve_clients.
//   node serve_clients.mjs URL MODEL API_KEY
// Prints one JSON object: what each call returned (texts, usage, model lists, the status of a
// refused call). NODE_CLIENTS_DIR: the folder whose node_modules holds openai and ollama.
import {createRequire} from "node:module";
import path from "node:path";

const [url, model, apiKey] = process.argv.slice(2);
if (!url || !model || !apiKey) {
    console.error("usage: node serve_clients.mjs URL MODEL API_KEY");
    process.exit(2);
}
const base = process.env.NODE_CLIENTS_DIR ? path.join(process.env.NODE_CLIENTS_DIR, "x.js")
                                          : import.meta.url;
const require = createRequire(base);
const OpenAI = (await import(require.resolve("openai"))).default;
const {Ollama} = await import(require.resolve("ollama"));

const out = {};
const openai = new OpenAI({baseURL: url + "/v1", apiKey, maxRetries: 0, timeout: 60000});

out.openai_models = (await openai.models.list()).data.map((m) => m.id);

const c = await openai.completions.create(
    {model, prompt: "Say this is a test", max_tokens: 7, temperature: 0, seed: 3, stop: ["\n"]});
out.completion = {text: c.choices[0].text, finish_reason: c.choices[0].finish_reason,
                  usage: c.usage, object: c.object};

// Token ids as the prompt, streamed.
let text = "";
for await (const chunk of await openai.completions.create(
         {model, prompt: [1, 45, 783], max_tokens: 5, stream: true}))
    text += chunk.choices[0]?.text ?? "";
out.completion_ids_stream = {text};

const chat = await openai.chat.completions.create({
    model,
    messages: [{role: "system", content: "You answer briefly."},
               {role: "user", content: "Name a colour."}],
    max_completion_tokens: 6,
    temperature: 0,
});
out.chat = {text: chat.choices[0].message.content, role: chat.choices[0].message.role,
            finish_reason: chat.choices[0].finish_reason, usage: chat.usage};

text = "";
let usage = null, roles = [];
const stream = await openai.chat.completions.create({
    model,
    messages: [{role: "user", content: "Name a colour."}],
    max_tokens: 8,
    stream: true,
    stream_options: {include_usage: true},
});
for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const d = chunk.choices[0]?.delta;
    if (d?.role) roles.push(d.role);
    text += d?.content ?? "";
}
out.chat_stream = {text, usage, roles};

try {
    await openai.completions.create({model: "no-such-model", prompt: "x", max_tokens: 1});
    out.unknown_model = {status: 200};
} catch (e) {
    out.unknown_model = {status: e.status, message: e.error?.message ?? String(e)};
}

const ollama = new Ollama({host: url, headers: {Authorization: "Bearer " + apiKey}});
out.ollama_models = (await ollama.list()).models.map((m) => m.name);

const g = await ollama.generate(
    {model, prompt: "Why is the sky blue?", stream: false, options: {num_predict: 6, temperature: 0}});
out.ollama_generate = {text: g.response, done: g.done, eval_count: g.eval_count,
                       done_reason: g.done_reason};

text = "";
let last = null;
for await (const part of await ollama.generate(
         {model, prompt: "Once upon a time", raw: true, stream: true, options: {num_predict: 5}})) {
    text += part.response;
    last = part;
}
out.ollama_generate_stream = {text, done: last.done, eval_count: last.eval_count};

text = "";
last = null;
for await (const part of await ollama.chat({
         model,
         messages: [{role: "user", content: "Name a colour."}],
         stream: true,
         options: {num_predict: 4, temperature: 0},
     })) {
    text += part.message.content;
    last = part;
}
out.ollama_chat_stream = {text, done: last.done, eval_count: last.eval_count};

const oc = await ollama.chat({model, messages: [{role: "user", content: "hi"}], stream: false,
                              options: {num_predict: 3}});
out.ollama_chat = {text: oc.message.content, role: oc.message.role, eval_count: oc.eval_count};

console.log(JSON.stringify(out));
